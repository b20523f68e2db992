DROP INDEX "shadow_findings_state_idx";--> statement-breakpoint
ALTER TABLE "shadow_findings" ADD COLUMN "confidence" real;--> statement-breakpoint
ALTER TABLE "shadow_findings" ADD COLUMN "candidate" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "shadow_findings_state_idx" ON "shadow_findings" USING btree ("candidate","state","last_seen");