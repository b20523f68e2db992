CREATE TABLE "portal_states" (
	"portal_url" text PRIMARY KEY NOT NULL,
	"running_version" integer,
	"latest_version" integer,
	"expires_at" timestamp with time zone,
	"last_seen_at" timestamp with time zone,
	"behind_since" timestamp with time zone,
	"alerted_at" timestamp with time zone,
	"last_error" text,
	"failures" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
