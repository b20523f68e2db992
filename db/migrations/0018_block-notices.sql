CREATE TABLE "shadow_block_notice_recipients" (
	"notice_id" uuid NOT NULL,
	"email" text NOT NULL,
	"dismissed_at" timestamp with time zone,
	CONSTRAINT "shadow_block_notice_recipients_notice_id_email_pk" PRIMARY KEY("notice_id","email")
);
--> statement-breakpoint
CREATE TABLE "shadow_block_notices" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"block_id" uuid NOT NULL,
	"message" text NOT NULL,
	"recipients" integer NOT NULL,
	"webhook_origin" text,
	"webhook_status" text,
	"created_by" uuid,
	"created_by_label" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "shadow_block_notice_recipients" ADD CONSTRAINT "shadow_block_notice_recipients_notice_id_shadow_block_notices_id_fk" FOREIGN KEY ("notice_id") REFERENCES "public"."shadow_block_notices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "shadow_block_notices" ADD CONSTRAINT "shadow_block_notices_block_id_shadow_blocks_id_fk" FOREIGN KEY ("block_id") REFERENCES "public"."shadow_blocks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "shadow_block_notice_recipients_email_idx" ON "shadow_block_notice_recipients" USING btree ("email");--> statement-breakpoint
CREATE INDEX "shadow_block_notices_block_idx" ON "shadow_block_notices" USING btree ("block_id","created_at");