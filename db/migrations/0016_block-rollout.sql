ALTER TABLE "mcp_events" ADD COLUMN "block_id" uuid;--> statement-breakpoint
ALTER TABLE "mcp_events" ADD COLUMN "would_block" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "llm_events" ADD COLUMN "block_id" uuid;--> statement-breakpoint
ALTER TABLE "llm_events" ADD COLUMN "would_block" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "shadow_blocks" ADD COLUMN "mode" text DEFAULT 'block' NOT NULL;--> statement-breakpoint
ALTER TABLE "shadow_blocks" ADD COLUMN "enforce_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "mcp_events_block_idx" ON "mcp_events" USING btree ("block_id","time") WHERE "mcp_events"."block_id" is not null;--> statement-breakpoint
CREATE INDEX "llm_events_block_idx" ON "llm_events" USING btree ("block_id","time") WHERE "llm_events"."block_id" is not null;