ALTER TYPE "public"."server_auth" ADD VALUE 'oauth_authorization_code';--> statement-breakpoint
CREATE TABLE "upstream_oauth_flows" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"created_by" uuid NOT NULL,
	"server_url" text NOT NULL,
	"state" text NOT NULL,
	"sealed" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "upstream_oauth_flows" ADD CONSTRAINT "upstream_oauth_flows_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "upstream_oauth_flows_state_idx" ON "upstream_oauth_flows" USING btree ("state");