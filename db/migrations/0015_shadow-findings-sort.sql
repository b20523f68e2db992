CREATE INDEX "shadow_findings_sort_last_seen_idx" ON "shadow_findings" USING btree ("candidate","last_seen","id");--> statement-breakpoint
CREATE INDEX "shadow_findings_sort_first_seen_idx" ON "shadow_findings" USING btree ("candidate","first_seen","id");--> statement-breakpoint
CREATE INDEX "shadow_findings_sort_severity_idx" ON "shadow_findings" USING btree ("candidate","severity","id");--> statement-breakpoint
CREATE INDEX "shadow_findings_sort_users_idx" ON "shadow_findings" USING btree ("candidate","user_count","id");--> statement-breakpoint
CREATE INDEX "shadow_findings_sort_requests_idx" ON "shadow_findings" USING btree ("candidate","requests","id");