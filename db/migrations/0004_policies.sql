CREATE TYPE "public"."policy_effect" AS ENUM('allow', 'deny');--> statement-breakpoint
CREATE TYPE "public"."policy_subject" AS ENUM('everyone', 'user', 'team', 'group', 'email_domain', 'token');--> statement-breakpoint
CREATE TABLE "policies" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"effect" "policy_effect" NOT NULL,
	"subject_type" "policy_subject" NOT NULL,
	"subject_user_id" uuid,
	"subject_team_id" uuid,
	"subject_value" text,
	"server_slug" text NOT NULL,
	"tool" text NOT NULL,
	"priority" integer NOT NULL,
	"conditions" jsonb,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "policies_subject_check" CHECK (("policies"."subject_type" = 'user') = ("policies"."subject_user_id" is not null) and ("policies"."subject_type" = 'team') = ("policies"."subject_team_id" is not null) and ("policies"."subject_type" in ('group', 'email_domain', 'token')) = ("policies"."subject_value" is not null))
);
--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "idp_groups" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "policies" ADD CONSTRAINT "policies_subject_user_id_users_id_fk" FOREIGN KEY ("subject_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "policies" ADD CONSTRAINT "policies_subject_team_id_teams_id_fk" FOREIGN KEY ("subject_team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "policies_name_idx" ON "policies" USING btree (lower("name"));--> statement-breakpoint
CREATE INDEX "policies_server_idx" ON "policies" USING btree ("server_slug");