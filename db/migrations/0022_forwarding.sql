CREATE TYPE "public"."forwarding_sink_kind" AS ENUM('webhook', 'splunk_hec', 'otlp');--> statement-breakpoint
CREATE TABLE "forwarding_alerts_fired" (
	"sink_id" uuid NOT NULL,
	"key" text NOT NULL,
	"fired_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "forwarding_outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"sink_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"payload" jsonb NOT NULL,
	"items" integer NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"dead_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "forwarding_outbox_kind_check" CHECK ("forwarding_outbox"."kind" in ('events', 'alert'))
);
--> statement-breakpoint
CREATE TABLE "forwarding_sinks" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"kind" "forwarding_sink_kind" NOT NULL,
	"url" text NOT NULL,
	"credential_ciphertext" text,
	"credential_key_id" text,
	"filters" jsonb NOT NULL,
	"forward_events" boolean DEFAULT true NOT NULL,
	"alert_rules" jsonb NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"last_success_at" timestamp with time zone,
	"last_error_at" timestamp with time zone,
	"last_error" text,
	"delivered" integer DEFAULT 0 NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "mcp_events" ADD COLUMN "trace_id" text;--> statement-breakpoint
ALTER TABLE "mcp_events" ADD COLUMN "span_id" text;--> statement-breakpoint
ALTER TABLE "forwarding_alerts_fired" ADD CONSTRAINT "forwarding_alerts_fired_sink_id_forwarding_sinks_id_fk" FOREIGN KEY ("sink_id") REFERENCES "public"."forwarding_sinks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "forwarding_outbox" ADD CONSTRAINT "forwarding_outbox_sink_id_forwarding_sinks_id_fk" FOREIGN KEY ("sink_id") REFERENCES "public"."forwarding_sinks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "forwarding_alerts_fired_idx" ON "forwarding_alerts_fired" USING btree ("sink_id","key");--> statement-breakpoint
CREATE INDEX "forwarding_outbox_due_idx" ON "forwarding_outbox" USING btree ("next_attempt_at","id") WHERE "forwarding_outbox"."dead_at" is null;--> statement-breakpoint
CREATE INDEX "forwarding_outbox_sink_idx" ON "forwarding_outbox" USING btree ("sink_id","dead_at");--> statement-breakpoint
CREATE UNIQUE INDEX "forwarding_sinks_name_idx" ON "forwarding_sinks" USING btree (lower("name"));--> statement-breakpoint
CREATE INDEX "mcp_events_trace_idx" ON "mcp_events" USING btree ("trace_id") WHERE "mcp_events"."trace_id" is not null;