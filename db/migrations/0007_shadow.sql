CREATE TYPE "public"."shadow_finding_kind" AS ENUM('remote', 'stdio');--> statement-breakpoint
CREATE TYPE "public"."shadow_finding_resolution" AS ENUM('approved', 'blocked', 'false_positive');--> statement-breakpoint
CREATE TYPE "public"."shadow_finding_severity" AS ENUM('low', 'medium', 'high');--> statement-breakpoint
CREATE TYPE "public"."shadow_finding_state" AS ENUM('new', 'investigating', 'resolved');--> statement-breakpoint
CREATE TYPE "public"."traffic_upload_status" AS ENUM('processing', 'done', 'failed');--> statement-breakpoint
CREATE TABLE "scan_reports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"device_name" text NOT NULL,
	"device_user" text NOT NULL,
	"os" text NOT NULL,
	"scanned_at" timestamp with time zone NOT NULL,
	"servers" integer NOT NULL,
	"shadow_servers" integer NOT NULL,
	"report" jsonb NOT NULL,
	"created_by" uuid,
	"created_by_label" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "shadow_blocks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"origin" text NOT NULL,
	"path_prefix" text DEFAULT '' NOT NULL,
	"reason" text NOT NULL,
	"finding_id" uuid,
	"created_by" uuid,
	"created_by_label" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "shadow_finding_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"finding_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"actor_id" uuid,
	"actor_label" text NOT NULL,
	"note" text,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "shadow_findings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"key" text NOT NULL,
	"kind" "shadow_finding_kind" NOT NULL,
	"url" text,
	"origin" text,
	"host" text,
	"command" text,
	"names" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"vendor" text,
	"first_seen" timestamp with time zone NOT NULL,
	"last_seen" timestamp with time zone NOT NULL,
	"requests" bigint DEFAULT 0 NOT NULL,
	"methods" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"tools" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"users" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"user_count" integer DEFAULT 0 NOT NULL,
	"devices" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"clients" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"evidence" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"score" integer DEFAULT 0 NOT NULL,
	"severity" "shadow_finding_severity" NOT NULL,
	"severity_reasons" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"seen_in_traffic" integer DEFAULT 0 NOT NULL,
	"seen_in_scans" integer DEFAULT 0 NOT NULL,
	"state" "shadow_finding_state" DEFAULT 'new' NOT NULL,
	"resolution" "shadow_finding_resolution",
	"assignee_id" uuid,
	"server_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "shadow_findings_resolution_check" CHECK (("shadow_findings"."state" = 'resolved') = ("shadow_findings"."resolution" is not null))
);
--> statement-breakpoint
CREATE TABLE "shadow_sightings" (
	"finding_id" uuid NOT NULL,
	"day" date NOT NULL,
	"user" text NOT NULL,
	"requests" bigint NOT NULL,
	CONSTRAINT "shadow_sightings_finding_id_day_user_pk" PRIMARY KEY("finding_id","day","user")
);
--> statement-breakpoint
CREATE TABLE "traffic_uploads" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"filename" text,
	"format" text,
	"status" "traffic_upload_status" DEFAULT 'processing' NOT NULL,
	"bytes" bigint DEFAULT 0 NOT NULL,
	"lines" bigint DEFAULT 0 NOT NULL,
	"bad_lines" bigint DEFAULT 0 NOT NULL,
	"bad_line_samples" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"formats" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"mcp_records" bigint DEFAULT 0 NOT NULL,
	"servers" integer DEFAULT 0 NOT NULL,
	"shadow_servers" integer DEFAULT 0 NOT NULL,
	"new_findings" integer DEFAULT 0 NOT NULL,
	"sha256" text,
	"duplicate_of" uuid,
	"error" text,
	"created_by" uuid,
	"created_by_label" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "shadow_blocks" ADD CONSTRAINT "shadow_blocks_finding_id_shadow_findings_id_fk" FOREIGN KEY ("finding_id") REFERENCES "public"."shadow_findings"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "shadow_finding_events" ADD CONSTRAINT "shadow_finding_events_finding_id_shadow_findings_id_fk" FOREIGN KEY ("finding_id") REFERENCES "public"."shadow_findings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "shadow_findings" ADD CONSTRAINT "shadow_findings_assignee_id_users_id_fk" FOREIGN KEY ("assignee_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "shadow_findings" ADD CONSTRAINT "shadow_findings_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "shadow_sightings" ADD CONSTRAINT "shadow_sightings_finding_id_shadow_findings_id_fk" FOREIGN KEY ("finding_id") REFERENCES "public"."shadow_findings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "scan_reports_created_idx" ON "scan_reports" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "shadow_blocks_target_idx" ON "shadow_blocks" USING btree ("origin","path_prefix");--> statement-breakpoint
CREATE INDEX "shadow_finding_events_finding_idx" ON "shadow_finding_events" USING btree ("finding_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "shadow_findings_key_idx" ON "shadow_findings" USING btree ("key");--> statement-breakpoint
CREATE INDEX "shadow_findings_state_idx" ON "shadow_findings" USING btree ("state","last_seen");--> statement-breakpoint
CREATE INDEX "shadow_findings_first_seen_idx" ON "shadow_findings" USING btree ("first_seen");--> statement-breakpoint
CREATE INDEX "shadow_sightings_day_idx" ON "shadow_sightings" USING btree ("day");--> statement-breakpoint
CREATE INDEX "traffic_uploads_created_idx" ON "traffic_uploads" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "traffic_uploads_sha_idx" ON "traffic_uploads" USING btree ("sha256");