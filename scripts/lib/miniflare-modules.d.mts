export declare const PORTAL_MODULE_RULES: { type: "CompiledWasm"; include: string[] }[];
