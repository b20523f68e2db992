ALTER TABLE "users" ADD COLUMN "email_verified" boolean DEFAULT false NOT NULL;--> statement-breakpoint
-- Existing accounts: local-mode users (the machine's owner vouched for them) and users an administrator created and nobody has signed in as yet are verified; OIDC users are verified again by their next sign-in, which records the IdP's email_verified.
UPDATE "users" SET "email_verified" = true WHERE "auth_source" IN ('local', 'provisioned');
