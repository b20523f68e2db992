CREATE TYPE "public"."server_auth" AS ENUM('none', 'bearer', 'headers', 'oauth_client_credentials');--> statement-breakpoint
CREATE TYPE "public"."server_status" AS ENUM('pending_review', 'approved', 'rejected');--> statement-breakpoint
CREATE TYPE "public"."server_transport" AS ENUM('streamable-http', 'sse');--> statement-breakpoint
CREATE TYPE "public"."tool_state" AS ENUM('enabled', 'disabled', 'quarantined', 'removed');--> statement-breakpoint
CREATE TABLE "server_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"server_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"actor_id" uuid,
	"actor_label" text NOT NULL,
	"reason" text,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"snapshot_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "server_snapshots" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"server_id" uuid NOT NULL,
	"server_info" jsonb NOT NULL,
	"protocol_version" text,
	"capabilities" jsonb NOT NULL,
	"instructions" text,
	"tools" jsonb NOT NULL,
	"prompts" jsonb NOT NULL,
	"resources" jsonb NOT NULL,
	"resource_templates" jsonb NOT NULL,
	"tools_hash" text NOT NULL,
	"tokens_json" integer NOT NULL,
	"tokens_typescript" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "server_tools" (
	"server_id" uuid NOT NULL,
	"name" text NOT NULL,
	"state" "tool_state" NOT NULL,
	"definition" jsonb NOT NULL,
	"hash" text NOT NULL,
	"pinned_hash" text,
	"findings" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"tokens_json" integer NOT NULL,
	"tokens_typescript" integer NOT NULL,
	"quarantine_reason" text,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "server_tools_server_id_name_pk" PRIMARY KEY("server_id","name")
);
--> statement-breakpoint
CREATE TABLE "servers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"url" text NOT NULL,
	"description" text,
	"justification" text,
	"owner_team_id" uuid,
	"requested_by" uuid,
	"status" "server_status" DEFAULT 'pending_review' NOT NULL,
	"transport" "server_transport" NOT NULL,
	"endpoint_url" text NOT NULL,
	"auth_type" "server_auth" DEFAULT 'none' NOT NULL,
	"credential_ciphertext" text,
	"credential_key_id" text,
	"auth_summary" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"current_snapshot_id" uuid,
	"last_synced_at" timestamp with time zone,
	"last_sync_error" text,
	"decided_by" uuid,
	"decided_at" timestamp with time zone,
	"decision_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "server_events" ADD CONSTRAINT "server_events_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_snapshots" ADD CONSTRAINT "server_snapshots_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_tools" ADD CONSTRAINT "server_tools_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "servers" ADD CONSTRAINT "servers_owner_team_id_teams_id_fk" FOREIGN KEY ("owner_team_id") REFERENCES "public"."teams"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "servers" ADD CONSTRAINT "servers_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "servers" ADD CONSTRAINT "servers_decided_by_users_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "server_events_server_idx" ON "server_events" USING btree ("server_id","id");--> statement-breakpoint
CREATE INDEX "server_snapshots_server_idx" ON "server_snapshots" USING btree ("server_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "servers_slug_idx" ON "servers" USING btree ("slug");--> statement-breakpoint
CREATE INDEX "servers_status_idx" ON "servers" USING btree ("status");