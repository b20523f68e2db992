CREATE TABLE "bundle_acks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"portal_url" text NOT NULL,
	"version" integer NOT NULL,
	"status" text NOT NULL,
	"active_version" integer,
	"message" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "bundle_deployments" (
	"version" integer PRIMARY KEY NOT NULL,
	"signed" jsonb NOT NULL,
	"key_id" text NOT NULL,
	"content_hash" text NOT NULL,
	"summary" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"kind" text DEFAULT 'publish' NOT NULL,
	"rolled_back_from" integer,
	"published_by" uuid,
	"published_by_label" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "mcp_events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"time" timestamp with time zone NOT NULL,
	"user_id" uuid,
	"email" text,
	"team_id" uuid,
	"token_id" uuid,
	"auth_method" text,
	"client_name" text,
	"client_version" text,
	"client_ip" text,
	"client_country" text,
	"session_id" text,
	"method" text NOT NULL,
	"endpoint" text NOT NULL,
	"server_id" uuid,
	"server_slug" text,
	"server_url" text,
	"tool" text,
	"prompt" text,
	"resource_uri" text,
	"decision" text NOT NULL,
	"reason" text,
	"rule_id" text,
	"success" boolean NOT NULL,
	"error" text,
	"duration_ms" integer,
	"bytes_in" integer,
	"bytes_out" integer,
	"result_tokens" integer,
	"bundle_version" integer,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "server_access_grants" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"server_id" uuid NOT NULL,
	"team_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "server_access_grants" ADD CONSTRAINT "server_access_grants_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_access_grants" ADD CONSTRAINT "server_access_grants_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "bundle_acks_portal_idx" ON "bundle_acks" USING btree ("portal_url","id");--> statement-breakpoint
CREATE INDEX "bundle_deployments_created_idx" ON "bundle_deployments" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "mcp_events_time_idx" ON "mcp_events" USING btree ("time","id");--> statement-breakpoint
CREATE INDEX "mcp_events_user_idx" ON "mcp_events" USING btree ("user_id","time");--> statement-breakpoint
CREATE INDEX "mcp_events_server_idx" ON "mcp_events" USING btree ("server_slug","time");--> statement-breakpoint
CREATE INDEX "mcp_events_decision_idx" ON "mcp_events" USING btree ("decision","time");--> statement-breakpoint
CREATE UNIQUE INDEX "server_access_grants_team_idx" ON "server_access_grants" USING btree ("server_id","team_id");--> statement-breakpoint
CREATE UNIQUE INDEX "server_access_grants_everyone_idx" ON "server_access_grants" USING btree ("server_id") WHERE "server_access_grants"."team_id" is null;