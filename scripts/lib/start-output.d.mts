import type { Readable, Writable } from "node:stream";
export declare const CIMD_NOTICE: string;
export declare function plain(line: string): string;
export declare function keepPortalLine(line: string): boolean;
export declare function keepConsoleLine(line: string): boolean;
export declare function nextBuildFilter(): (line: string) => boolean;
export declare function renamePortalOrigin(line: string, listenOrigin: string, publicOrigin: string): string;
export declare function pipeLines(stream: Readable, keep: (line: string) => boolean, out: Writable, rewrite?: (line: string) => string): void;
