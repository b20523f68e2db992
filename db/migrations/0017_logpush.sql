CREATE TABLE "logpush_batches" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"job_id" uuid NOT NULL,
	"sha256" text NOT NULL,
	"bytes" bigint NOT NULL,
	"lines" bigint NOT NULL,
	"accepted_lines" bigint NOT NULL,
	"rejected_lines" bigint NOT NULL,
	"rejected_samples" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"shadow_servers" integer DEFAULT 0 NOT NULL,
	"new_findings" integer DEFAULT 0 NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "logpush_jobs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"format" text NOT NULL,
	"secret_prefix" text NOT NULL,
	"secret_hash" text NOT NULL,
	"batches" bigint DEFAULT 0 NOT NULL,
	"lines" bigint DEFAULT 0 NOT NULL,
	"bad_lines" bigint DEFAULT 0 NOT NULL,
	"last_batch_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"created_by" uuid,
	"created_by_label" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "traffic_upload_chunks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"upload_id" uuid NOT NULL,
	"first_line" bigint NOT NULL,
	"lines" bigint NOT NULL,
	"bad_lines" bigint NOT NULL,
	"sha256" text NOT NULL,
	"duplicate_of" uuid,
	"committed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "traffic_uploads" ADD COLUMN "committed_lines" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "traffic_uploads" ADD COLUMN "chunks" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "logpush_batches" ADD CONSTRAINT "logpush_batches_job_id_logpush_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."logpush_jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "traffic_upload_chunks" ADD CONSTRAINT "traffic_upload_chunks_upload_id_traffic_uploads_id_fk" FOREIGN KEY ("upload_id") REFERENCES "public"."traffic_uploads"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "logpush_batches_job_sha_idx" ON "logpush_batches" USING btree ("job_id","sha256");--> statement-breakpoint
CREATE INDEX "logpush_batches_received_idx" ON "logpush_batches" USING btree ("job_id","received_at");--> statement-breakpoint
CREATE UNIQUE INDEX "logpush_jobs_secret_hash_idx" ON "logpush_jobs" USING btree ("secret_hash");--> statement-breakpoint
CREATE INDEX "logpush_jobs_secret_prefix_idx" ON "logpush_jobs" USING btree ("secret_prefix");--> statement-breakpoint
CREATE INDEX "traffic_upload_chunks_sha_idx" ON "traffic_upload_chunks" USING btree ("sha256","first_line");--> statement-breakpoint
CREATE INDEX "traffic_upload_chunks_upload_idx" ON "traffic_upload_chunks" USING btree ("upload_id");