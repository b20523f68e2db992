import { z } from "zod";
import { endpoint, IdParams, NoQuery } from "@/lib/api/endpoint";
import { CreateUserInput, MeOutput, UpdateUserInput, UserOutput } from "./schemas";

/** The public API contracts of this domain (routes under app/api/v1; the OpenAPI document is built from them). */

export const getMe = endpoint({
  method: "GET", path: "/me", operationId: "getMe", tag: "Identity", permission: "me.read", status: 200,
  summary: "Who am I: the user, role and scopes behind the presented token",
  query: NoQuery, response: MeOutput,
});

export const listUsersEndpoint = endpoint({
  method: "GET", path: "/users", operationId: "listUsers", tag: "Users", permission: "users.read", status: 200,
  summary: "List users with their roles and teams",
  query: NoQuery, response: z.object({ users: z.array(UserOutput) }),
});

export const createUserEndpoint = endpoint({
  method: "POST", path: "/users", operationId: "createUser", tag: "Users", permission: "users.manage", status: 201,
  summary: "Pre-provision a user (before first sign-in) or a service account",
  query: NoQuery, body: CreateUserInput, response: UserOutput,
});

export const getUserEndpoint = endpoint({
  method: "GET", path: "/users/{id}", operationId: "getUser", tag: "Users", permission: "users.read", status: 200,
  summary: "Get one user", params: IdParams, query: NoQuery, response: UserOutput,
});

export const updateUserEndpoint = endpoint({
  method: "PATCH", path: "/users/{id}", operationId: "updateUser", tag: "Users", permission: "users.manage", status: 200,
  summary: "Change a user's name, role, or disable them (the last admin cannot be demoted)",
  params: IdParams, query: NoQuery, body: UpdateUserInput, response: UserOutput,
});
