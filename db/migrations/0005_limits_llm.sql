CREATE TYPE "public"."budget_action" AS ENUM('block', 'flag');--> statement-breakpoint
CREATE TYPE "public"."budget_metric" AS ENUM('tokens', 'usd');--> statement-breakpoint
CREATE TYPE "public"."budget_period" AS ENUM('day', 'week', 'month');--> statement-breakpoint
CREATE TYPE "public"."limit_subject" AS ENUM('everyone', 'user', 'team', 'token');--> statement-breakpoint
CREATE TYPE "public"."rate_limit_kind" AS ENUM('mcp', 'llm', 'all');--> statement-breakpoint
CREATE TYPE "public"."rate_limit_per" AS ENUM('user', 'team', 'token');--> statement-breakpoint
CREATE TYPE "public"."llm_provider_kind" AS ENUM('openai', 'anthropic');--> statement-breakpoint
CREATE TABLE "budget_alerts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"budget_id" uuid NOT NULL,
	"period_key" text NOT NULL,
	"threshold" integer NOT NULL,
	"spent" bigint NOT NULL,
	"limit" bigint NOT NULL,
	"crossed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"webhook_status" text
);
--> statement-breakpoint
CREATE TABLE "budgets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"subject_type" "limit_subject" NOT NULL,
	"subject_user_id" uuid,
	"subject_team_id" uuid,
	"subject_token_id" uuid,
	"metric" "budget_metric" NOT NULL,
	"limit" bigint NOT NULL,
	"period" "budget_period" NOT NULL,
	"on_exceed" "budget_action" DEFAULT 'block' NOT NULL,
	"alert_webhook_url" text,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "budgets_subject_check" CHECK ("budgets"."subject_type" <> 'everyone' and ("budgets"."subject_type" = 'user') = ("budgets"."subject_user_id" is not null) and ("budgets"."subject_type" = 'team') = ("budgets"."subject_team_id" is not null) and ("budgets"."subject_type" = 'token') = ("budgets"."subject_token_id" is not null)),
	CONSTRAINT "budgets_limit_check" CHECK ("budgets"."limit" >= 1)
);
--> statement-breakpoint
CREATE TABLE "rate_limits" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"subject_type" "limit_subject" NOT NULL,
	"subject_user_id" uuid,
	"subject_team_id" uuid,
	"subject_token_id" uuid,
	"per" "rate_limit_per" NOT NULL,
	"scope_kind" "rate_limit_kind" NOT NULL,
	"server_slug" text,
	"tool" text,
	"limit" integer NOT NULL,
	"window_seconds" integer NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "rate_limits_subject_check" CHECK (("rate_limits"."subject_type" = 'user') = ("rate_limits"."subject_user_id" is not null) and ("rate_limits"."subject_type" = 'team') = ("rate_limits"."subject_team_id" is not null) and ("rate_limits"."subject_type" = 'token') = ("rate_limits"."subject_token_id" is not null)),
	CONSTRAINT "rate_limits_bounds_check" CHECK ("rate_limits"."limit" >= 1 and "rate_limits"."window_seconds" between 1 and 86400)
);
--> statement-breakpoint
CREATE TABLE "llm_events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"time" timestamp with time zone NOT NULL,
	"user_id" uuid,
	"email" text,
	"team_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"token_id" uuid,
	"client_ip" text,
	"provider_slug" text NOT NULL,
	"provider_kind" text NOT NULL,
	"operation" text NOT NULL,
	"model" text,
	"stream" boolean NOT NULL,
	"status" integer NOT NULL,
	"success" boolean NOT NULL,
	"error" text,
	"decision" text NOT NULL,
	"reason" text,
	"rule_id" text,
	"cache" text,
	"input_tokens" integer,
	"output_tokens" integer,
	"cached_input_tokens" integer,
	"cache_write_tokens" integer,
	"cost_micro_usd" bigint,
	"over_budget" boolean DEFAULT false NOT NULL,
	"duration_ms" integer,
	"request_log" text,
	"response_log" text,
	"bundle_version" integer,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "llm_prices" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"provider" "llm_provider_kind" NOT NULL,
	"model" text NOT NULL,
	"input_per_mtok" double precision NOT NULL,
	"output_per_mtok" double precision NOT NULL,
	"cached_input_per_mtok" double precision,
	"cache_write_per_mtok" double precision,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "llm_providers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"kind" "llm_provider_kind" NOT NULL,
	"base_url" text NOT NULL,
	"credential_ciphertext" text,
	"credential_key_id" text,
	"cache_ttl_seconds" integer DEFAULT 0 NOT NULL,
	"log_bodies" boolean DEFAULT false NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "budget_alerts" ADD CONSTRAINT "budget_alerts_budget_id_budgets_id_fk" FOREIGN KEY ("budget_id") REFERENCES "public"."budgets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "budgets" ADD CONSTRAINT "budgets_subject_user_id_users_id_fk" FOREIGN KEY ("subject_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "budgets" ADD CONSTRAINT "budgets_subject_team_id_teams_id_fk" FOREIGN KEY ("subject_team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "budgets" ADD CONSTRAINT "budgets_subject_token_id_api_tokens_id_fk" FOREIGN KEY ("subject_token_id") REFERENCES "public"."api_tokens"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rate_limits" ADD CONSTRAINT "rate_limits_subject_user_id_users_id_fk" FOREIGN KEY ("subject_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rate_limits" ADD CONSTRAINT "rate_limits_subject_team_id_teams_id_fk" FOREIGN KEY ("subject_team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rate_limits" ADD CONSTRAINT "rate_limits_subject_token_id_api_tokens_id_fk" FOREIGN KEY ("subject_token_id") REFERENCES "public"."api_tokens"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "budget_alerts_once_idx" ON "budget_alerts" USING btree ("budget_id","period_key","threshold");--> statement-breakpoint
CREATE INDEX "budget_alerts_time_idx" ON "budget_alerts" USING btree ("crossed_at");--> statement-breakpoint
CREATE UNIQUE INDEX "budgets_name_idx" ON "budgets" USING btree (lower("name"));--> statement-breakpoint
CREATE UNIQUE INDEX "rate_limits_name_idx" ON "rate_limits" USING btree (lower("name"));--> statement-breakpoint
CREATE INDEX "llm_events_time_idx" ON "llm_events" USING btree ("time","id");--> statement-breakpoint
CREATE INDEX "llm_events_user_idx" ON "llm_events" USING btree ("user_id","time");--> statement-breakpoint
CREATE INDEX "llm_events_token_idx" ON "llm_events" USING btree ("token_id","time");--> statement-breakpoint
CREATE UNIQUE INDEX "llm_prices_model_idx" ON "llm_prices" USING btree ("provider","model");--> statement-breakpoint
CREATE UNIQUE INDEX "llm_providers_slug_idx" ON "llm_providers" USING btree ("slug");