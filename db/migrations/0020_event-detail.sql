ALTER TABLE "mcp_events" ADD COLUMN "arguments" text;--> statement-breakpoint
ALTER TABLE "mcp_events" ADD COLUMN "result_excerpt" text;--> statement-breakpoint
ALTER TABLE "portal_settings" ADD COLUMN "event_detail" text DEFAULT 'masked' NOT NULL;