/** Entry point bundled by scripts/scan.mjs: the pure parts of the laptop scan. */
export { candidatePaths, CLIENT_IDS, type CandidatePath, type ClientId, type Platform } from "./clients";
export { claudeCodeProjects, parseConfig, stripJsonComments, type FoundServer } from "./parse";
export { buildReport, assertNoSecrets, ScanReportInput, type ScanReport } from "./report";
// The CLI words its counts with the console's helper ("1 server", "2 servers").
export { count } from "@core/text/count";
