export declare function consoleOriginFor(options: { host: string; port: string; authUrl?: string }): string;
export declare function wranglerDevArgs(options: { wranglerCli: string; config: string; port: string; persistTo: string; vars: Record<string, string>; secretsFile: string }): string[];
export declare function writeSecretsFile(file: string, secrets: Record<string, string>): void;
export declare function wranglerSecretsFile(dataDir: string): string;
export declare function wranglerEnv(env: NodeJS.ProcessEnv, logPath: string): NodeJS.ProcessEnv;
export declare const CONSOLE_NODE_FLAGS: readonly string[];
