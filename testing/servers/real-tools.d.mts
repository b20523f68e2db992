import type { McpToolDefinition } from "@core/tools/tool-types";

export declare const REAL_SERVERS: { slug: string; pkg: string; args: string[] }[];
export declare function listRealTools(): Promise<{ slug: string; pkg: string; version: string; tools: McpToolDefinition[] }[]>;
