/**
 * The downstream MCP server of a session: the SDK's `Server`, except that a request whose params
 * do not fit its method's schema is answered -32602 (Invalid params) with a short message naming
 * the field. The SDK parses a request before its handler runs and lets the schema library's error
 * escape, which its protocol layer answers -32603 (Internal error) with the issues' JSON dump.
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { getLiteralValue, getObjectShape, safeParse, type AnyObjectSchema, type SchemaOutput } from "@modelcontextprotocol/sdk/server/zod-compat.js";
import { z } from "zod";
import { invalidParams } from "./invalid-input";

type Handler = Parameters<Server["setRequestHandler"]>[1];

export class PortalServer extends Server {
  /**
   * Registers `handler` behind a schema that accepts the method with any params and runs the real
   * check itself, throwing the -32602 (the SDK's parse lets a thrown error through as the answer).
   * Called by the SDK's own constructors too (initialize, ping), so they answer the same way.
   */
  override setRequestHandler<T extends AnyObjectSchema>(requestSchema: T, handler: (request: SchemaOutput<T>, extra: Parameters<Handler>[1]) => ReturnType<Handler>): void {
    const method = getLiteralValue(getObjectShape(requestSchema)?.method ?? z.never());
    if (typeof method !== "string") throw new Error("request schema without a method literal");
    const checked = z.looseObject({ method: z.literal(method) }).check((ctx) => {
      const parsed = safeParse(requestSchema, ctx.value);
      if (!parsed.success) throw invalidParams(method, parsed.error);
    });
    super.setRequestHandler(checked, (request, extra) => {
      // Checked above: parsing again hands the handler the schema's own output (defaults and all).
      const parsed = safeParse(requestSchema, request);
      if (!parsed.success) throw invalidParams(method, parsed.error);
      return handler(parsed.data as SchemaOutput<T>, extra);
    });
  }
}
