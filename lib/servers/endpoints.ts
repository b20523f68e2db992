import { z } from "zod";
import { endpoint, IdParams, NoQuery } from "@/lib/api/endpoint";
import { SetToolApprovalInput, ToolApprovalOutput } from "./set-tool-approval";
import { ApproveServerInput, ListServersQuery, RegisterServerInput, RejectServerInput, ServerAccessOutput, ServerOutput, SetServerAccessInput } from "./schemas";

/** The public API contracts of this domain (routes under app/api/v1; the OpenAPI document is built from them). */

export const listServersEndpoint = endpoint({
  method: "GET", path: "/servers", operationId: "listServers", tag: "Servers", permission: "servers.read", status: 200,
  summary: "List registered MCP servers (filter by status, search by text)",
  query: ListServersQuery, response: z.object({ servers: z.array(ServerOutput) }),
});

export const registerServerEndpoint = endpoint({
  method: "POST", path: "/servers", operationId: "registerServer", tag: "Servers", permission: "servers.request", status: 201,
  summary: "Request a remote MCP server: runs discovery and returns the server, pending review, with its tools",
  description: "Nothing is saved when discovery fails; the 422 error says why (UPSTREAM_UNREACHABLE, UPSTREAM_NOT_MCP, UPSTREAM_AUTH_FAILED, UPSTREAM_TIMEOUT, UPSTREAM_ADDRESS_REFUSED). Credentials are encrypted at rest and never returned.",
  query: NoQuery, body: RegisterServerInput, response: ServerOutput,
});

export const getServerEndpoint = endpoint({
  method: "GET", path: "/servers/{id}", operationId: "getServer", tag: "Servers", permission: "servers.read", status: 200,
  summary: "Get one server with its tools, their states, hashes, findings and token cost", params: IdParams, query: NoQuery, response: ServerOutput,
});

export const syncServerEndpoint = endpoint({
  method: "POST", path: "/servers/{id}/sync", operationId: "syncServer", tag: "Servers", permission: "servers.sync", status: 200,
  summary: "Re-run discovery now; new or changed tools of an approved server are quarantined",
  params: IdParams, query: NoQuery,
  response: z.object({ server: ServerOutput, changed: z.boolean(), added: z.array(z.string()), removed: z.array(z.string()), modified: z.array(z.string()), quarantined: z.array(z.string()) }),
});

export const approveServerEndpoint = endpoint({
  method: "POST", path: "/servers/{id}/approve", operationId: "approveServer", tag: "Servers", permission: "servers.review", status: 200,
  summary: "Approve (or re-approve) a server with the tools to enable; pins every tool's current hash",
  params: IdParams, query: NoQuery, body: ApproveServerInput, response: ServerOutput,
});

export const rejectServerEndpoint = endpoint({
  method: "POST", path: "/servers/{id}/reject", operationId: "rejectServer", tag: "Servers", permission: "servers.review", status: 200,
  summary: "Reject a request (or withdraw an approved server)", params: IdParams, query: NoQuery, body: RejectServerInput, response: ServerOutput,
});

export const getServerAccessEndpoint = endpoint({
  method: "GET", path: "/servers/{id}/access", operationId: "getServerAccess", tag: "Servers", permission: "servers.read", status: 200,
  summary: "Who may use this server at the edge: everyone, or the listed teams (neither: nobody)",
  params: IdParams, query: NoQuery, response: ServerAccessOutput,
});

export const setServerAccessEndpoint = endpoint({
  method: "PUT", path: "/servers/{id}/access", operationId: "setServerAccess", tag: "Servers", permission: "servers.access", status: 200,
  summary: "Replace who may use this server at the edge; takes effect with the next publish",
  params: IdParams, query: NoQuery, body: SetServerAccessInput, response: ServerAccessOutput,
});

export const setToolApprovalEndpoint = endpoint({
  method: "PUT", path: "/servers/{id}/tools/{name}/approval", operationId: "setToolApproval", tag: "Servers", permission: "servers.review", status: 200,
  summary: "Whether a call of this tool from Code Mode waits for the user's approval (ask, never, or the portal's rule); takes effect with the next publish",
  params: IdParams.extend({ name: z.string().min(1).max(200) }), query: NoQuery, body: SetToolApprovalInput, response: ToolApprovalOutput,
});
