/** See conformance-lib.mjs for how a scenario is judged. */
export declare const SUITE_VERSION: string;
export declare const PENDING_SCENARIOS: ReadonlySet<string>;

export interface CheckSummary {
  id: string;
  status: "SUCCESS" | "FAILURE" | "WARNING" | "INFO";
  message?: string;
}

export interface ScenarioResult {
  name: string;
  status: "passed" | "failed" | "warnings" | "skipped";
  /** `<check id>: <message>` of the checks that FAILED. */
  failures: string[];
  /** Same, for WARNING checks. */
  warnings: string[];
  /** Same, for checks the suite reported as not applicable. */
  skipped: string[];
  /** Checks with status SUCCESS. */
  succeeded: number;
  /** In the suite's "pending" list (not in its default run). */
  pending: boolean;
  checks: CheckSummary[];
}

export interface ConformanceResult {
  url: string;
  suiteVersion: string;
  scenarios: ScenarioResult[];
  /** Scenarios with status "passed". */
  passed: number;
  total: number;
}

export interface RunConformanceOptions {
  /** Added to every request, through a local pass-through proxy (the suite cannot send headers). */
  headers?: Record<string, string>;
  /** A subset of scenarios; default all server scenarios. */
  scenarios?: string[];
  /** Single-scenario processes run at once. Default 2. */
  concurrency?: number;
  /** Per single-scenario process. Default 90 000 ms. */
  timeoutMs?: number;
  /** For the whole-suite process. Default 600 000 ms. */
  suiteTimeoutMs?: number;
}

export declare function runConformance(url: string, options?: RunConformanceOptions): Promise<ConformanceResult>;
export declare function listServerScenarios(): Promise<string[]>;
export declare function judgeScenario(
  name: string,
  checks: Array<{ id: string; status: string; errorMessage?: string; description?: string; details?: { message?: string } }>,
): ScenarioResult;
export declare function startHeaderProxy(target: string, headers: Record<string, string>): Promise<{ url: string; close(): Promise<void> }>;
export declare function diffConformance(
  expected: ConformanceResult,
  actual: ConformanceResult,
): Array<{ name: string; expected: ScenarioResult["status"]; actual: ScenarioResult["status"] | "missing" }>;
export declare function formatConformance(result: ConformanceResult): string;
