import { z } from "zod";
import { endpoint, IdParams, NoQuery } from "@/lib/api/endpoint";
import { CreateTokenInput, CreateTokenOutput, ListTokensQuery, TokenOutput } from "./schemas";

/** The public API contracts of this domain (routes under app/api/v1; the OpenAPI document is built from them). */

export const listTokensEndpoint = endpoint({
  method: "GET", path: "/tokens", operationId: "listTokens", tag: "API tokens", permission: "tokens.read-own", status: 200,
  summary: "List API tokens (your own; everyone's with all=true for security and admin)",
  query: ListTokensQuery, response: z.object({ tokens: z.array(TokenOutput) }),
});

export const createTokenEndpoint = endpoint({
  method: "POST", path: "/tokens", operationId: "createToken", tag: "API tokens", permission: "tokens.manage-own", status: 201,
  summary: "Create an API token; the response carries the secret, exactly once",
  description: "Only an administrator's API token (or the bootstrap token) may create tokens through the API; people create theirs in the console. A token created by a token expires no later than it and is revoked with it. PORTCULLIS_TOKEN_MAX_DAYS caps every token's lifetime.",
  query: NoQuery, body: CreateTokenInput, response: CreateTokenOutput,
});

export const revokeTokenEndpoint = endpoint({
  method: "DELETE", path: "/tokens/{id}", operationId: "revokeToken", tag: "API tokens", permission: "tokens.manage-own", status: 200,
  summary: "Revoke an API token (your own; any token for security and admin)",
  params: IdParams, query: NoQuery, response: TokenOutput,
});
