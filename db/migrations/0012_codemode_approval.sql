ALTER TABLE "server_tools" ADD COLUMN "approval" text;--> statement-breakpoint
ALTER TABLE "portal_settings" ADD COLUMN "codemode_approval" text DEFAULT 'flagged' NOT NULL;