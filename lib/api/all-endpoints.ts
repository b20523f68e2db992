import type { Endpoint } from "./endpoint";
import * as users from "@/lib/users/endpoints";
import * as tokens from "@/lib/tokens/endpoints";
import * as teams from "@/lib/teams/endpoints";
import * as servers from "@/lib/servers/endpoints";
import * as config from "@/lib/config/endpoints";
import * as policies from "@/lib/policies/endpoints";
import * as rateLimits from "@/lib/rate-limits/endpoints";
import * as budgets from "@/lib/budgets/endpoints";
import * as llmProviders from "@/lib/llm-providers/endpoints";
import * as usage from "@/lib/usage/endpoints";
import * as audit from "@/lib/audit/endpoints";
import * as shadow from "@/lib/shadow/endpoints";
import * as forwarding from "@/lib/forwarding/endpoints";

/**
 * Every public API endpoint, gathered from the domains' contracts (lib/<domain>/endpoints.ts). A route
 * file that exports a method no contract documents fails lib/api/openapi.test.ts.
 */
export const ALL_ENDPOINTS: readonly Endpoint[] = [users, tokens, teams, servers, config, policies, rateLimits, budgets, llmProviders, usage, audit, shadow, forwarding].flatMap((domain) => Object.values(domain) as Endpoint[]);
