export declare const VERSION: "2026-07-28";
export declare const MODERN_TOOLS: { name: string; description: string; inputSchema: Record<string, unknown>; annotations?: Record<string, unknown> }[];
export declare function startModernServer(options?: { port?: number; host?: string; bearer?: string }): Promise<{ url: string; close(): Promise<void> }>;
