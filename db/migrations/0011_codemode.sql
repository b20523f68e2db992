CREATE TABLE "portal_settings" (
	"id" text PRIMARY KEY NOT NULL,
	"codemode_mode" text DEFAULT 'off' NOT NULL,
	"codemode_shape" text DEFAULT 'search_and_execute' NOT NULL,
	"updated_by" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "mcp_events" ADD COLUMN "via" text;--> statement-breakpoint
ALTER TABLE "mcp_events" ADD COLUMN "parent_id" uuid;--> statement-breakpoint
ALTER TABLE "mcp_events" ADD COLUMN "codemode_tokens" integer;--> statement-breakpoint
CREATE INDEX "mcp_events_parent_idx" ON "mcp_events" USING btree ("parent_id") WHERE "mcp_events"."parent_id" is not null;