/**
 * Did every call reach the console's audit log exactly once? Matches the events the console stored
 * against the soak's ledger of calls.
 *
 * - MCP (`mcp_events`): the portal's event carries the session id, the method, the tool and the time
 *   the portal answered. A client makes one call at a time on its session, so the calls of one
 *   session are disjoint time windows [start, end] (client clock, ms): the event of a call must lie
 *   in its call's window (the portal stamps it after the request arrived and before it answered; the
 *   same machine's clock). Each event goes to a call of its session, method and tool whose window
 *   holds it; where two windows touch at their common millisecond, to the earlier call unless that
 *   one already has its event (events are taken in time order).
 * - LLM (`llm_events`): the provider logs bodies, so each event's redacted request log carries the
 *   call's marker: matched by marker exactly (and the event's time, the call's start at the portal,
 *   must lie in the window too).
 * Then each call has 0 (missing), 1 (exactly once) or more (duplicated) events, and any event that
 * matches no call is unexpected.
 */

/** Calls whose window holds `t`: `calls` sorted by start, one after another, so a binary search and a short walk back. */
function windowsHolding(calls, t) {
  let lo = 0;
  let hi = calls.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (calls[mid].start <= t) lo = mid + 1;
    else hi = mid;
  }
  const out = [];
  // A session's calls follow one another, so an earlier call that ended before t means all earlier ones did.
  for (let i = lo - 1; i >= 0 && calls[i].end >= t; i--) out.push(calls[i]);
  return out;
}

const groupBy = (items, key) => {
  const map = new Map();
  for (const item of items) {
    const k = key(item);
    if (!map.has(k)) map.set(k, []);
    map.get(k).push(item);
  }
  return map;
};

/** The marker of a soak LLM call in an event's request log (traffic.mjs writes "… soak call <id> in one …"). */
const markerOf = (requestLog) => /soak call (\S+) in one/.exec(requestLog ?? "")?.[1] ?? null;

/**
 * `calls`: the ledger's calls (kind, id, sessionId, tokenId, method, tool, start, end, ok);
 * `stored`: `{ mcp, llm }` rows from the console's database.
 */
export function checkAudit(calls, stored) {
  const counts = new Map(calls.map((c) => [c, 0]));
  const unexpected = [];
  const tokenMismatch = [];

  // MCP: by session, then by time window. Events in time order, each to the earliest call that
  // holds it and has none yet (the greedy that matches points to touching intervals correctly).
  const mcpCalls = calls.filter((c) => c.kind === "mcp");
  const bySession = groupBy(mcpCalls, (c) => c.sessionId);
  for (const list of bySession.values()) list.sort((a, b) => a.start - b.start);
  const rows = [...stored.mcp].sort((a, b) => (a.session_id ?? "").localeCompare(b.session_id ?? "") || a.t - b.t);
  for (const row of rows) {
    const candidates = windowsHolding(bySession.get(row.session_id) ?? [], row.t)
      .filter((c) => c.method === row.method && (c.tool ?? null) === (row.tool ?? null))
      .sort((a, b) => a.start - b.start);
    if (candidates.length === 0) {
      unexpected.push({ table: "mcp_events", id: row.id, time: new Date(row.t).toISOString(), session: row.session_id, method: row.method, tool: row.tool, decision: row.decision, error: row.error });
      continue;
    }
    const call = candidates.find((c) => counts.get(c) === 0) ?? candidates[0];
    counts.set(call, counts.get(call) + 1);
    if (row.token_id !== call.tokenId) tokenMismatch.push({ id: row.id, call: call.id });
  }

  // LLM: by marker.
  const llmById = new Map(calls.filter((c) => c.kind === "llm").map((c) => [c.id, c]));
  let llmOutsideWindow = 0;
  for (const row of stored.llm) {
    const call = llmById.get(markerOf(row.request_log));
    if (!call) {
      unexpected.push({ table: "llm_events", id: row.id, time: new Date(row.t).toISOString(), operation: row.operation, status: row.status, error: row.error, requestLog: (row.request_log ?? "").slice(0, 120) });
      continue;
    }
    counts.set(call, counts.get(call) + 1);
    if (row.t < call.start || row.t > call.end) llmOutsideWindow++;
    if (row.token_id !== call.tokenId) tokenMismatch.push({ id: row.id, call: call.id });
  }

  const missing = [];
  const duplicated = [];
  let once = 0;
  for (const [call, n] of counts) {
    if (n === 0) missing.push(call);
    else if (n === 1) once++;
    else duplicated.push({ call, events: n });
  }
  return {
    expected: calls.length,
    stored: stored.mcp.length + stored.llm.length,
    storedMcp: stored.mcp.length,
    storedLlm: stored.llm.length,
    once,
    missing,
    duplicated,
    extraEvents: duplicated.reduce((a, d) => a + d.events - 1, 0),
    unexpected,
    tokenMismatch,
    llmOutsideWindow,
  };
}
