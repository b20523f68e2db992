/** A call of the soak's ledger (traffic.mjs), as the audit check reads it. */
export interface LedgerCall {
  kind: "mcp" | "llm";
  /** The call's marker, e.g. `soak-mcp-1-42`. */
  id: string;
  sessionId?: string | null;
  tokenId: string;
  method: string;
  tool?: string;
  /** Client wall clock, epoch ms. */
  start: number;
  end: number;
  ok: boolean;
}

/** A row of `mcp_events` (t: epoch ms). */
export interface StoredMcpEvent {
  id: string;
  t: number;
  session_id: string | null;
  token_id: string | null;
  method: string;
  tool: string | null;
  decision?: string;
  error?: string | null;
}

/** A row of `llm_events` (t: epoch ms). */
export interface StoredLlmEvent {
  id: string;
  t: number;
  token_id: string | null;
  operation?: string;
  status?: number;
  error?: string | null;
  request_log: string | null;
}

export interface AuditCheck {
  expected: number;
  stored: number;
  storedMcp: number;
  storedLlm: number;
  once: number;
  missing: LedgerCall[];
  duplicated: { call: LedgerCall; events: number }[];
  extraEvents: number;
  unexpected: Record<string, unknown>[];
  tokenMismatch: { id: string; call: string }[];
  llmOutsideWindow: number;
}

export function checkAudit(calls: LedgerCall[], stored: { mcp: StoredMcpEvent[]; llm: StoredLlmEvent[] }): AuditCheck;
