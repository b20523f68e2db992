ALTER TABLE "mcp_events" ADD COLUMN "trace_id" text;--> statement-breakpoint
ALTER TABLE "mcp_events" ADD COLUMN "span_id" text;--> statement-breakpoint
CREATE INDEX "mcp_events_trace_idx" ON "mcp_events" USING btree ("trace_id") WHERE "mcp_events"."trace_id" is not null;