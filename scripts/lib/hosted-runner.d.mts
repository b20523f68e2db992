export const DEFAULT_HOSTED_PORT: number;

export interface HostedProject {
  name: string;
  dir: string;
  description?: string;
  owner?: string;
  ready: boolean;
  reason?: string;
}
export function findHostedProjects(dir: string): HostedProject[];
export function assignPorts(dirs: string[], previous: Record<string, number>, base?: number): Record<string, number>;

export interface HostedServerListing {
  name: string;
  dir: string;
  url: string;
  description?: string;
  owner?: string;
}
export function startHostedServers(options: { dir: string; portal: string; dataDir: string; basePort?: number; log?: (line: string) => void }): Promise<{
  servers: HostedServerListing[];
  skipped: { name: string; reason: string }[];
  stop(): Promise<void>;
}>;
export function hostedManifestPath(dataDir: string): string;
