/**
 * LLM calls from a tool, through the portal's LLM gateway, as the person calling the tool: their
 * policies, budgets, cache and usage apply, and the call is metered to them. No API key here: the
 * gateway accepts the proof the portal sent with this tool call (`Portcullis-Proof`) as that
 * person's credential for the proof's short life (about a minute) — call the LLM while handling
 * the tool call, not later. docs/upstream-proof.md in Portcullis, "LLM calls from a hosted server".
 *
 *   const llm = portalLlm(env.PORTCULLIS_PORTAL_URL, extra);
 *   const text = await llm.chat("openai", { model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }] });
 *
 * Self-contained (fetch only), so it works in Workers and in Node alike.
 */

/** What an MCP SDK handler's `extra` holds of the request (src/index.ts puts the proof in `authInfo.token`). */
export interface ProofCarrier {
  authInfo?: { token?: string };
}

/** The header the portal's proof travels in, both ways. */
const PROOF_HEADER = "Portcullis-Proof";

/** The proof the portal sent with this request (src/index.ts verified it before any tool ran). */
export function proofOf(extra: ProofCarrier): string {
  const token = extra.authInfo?.token;
  if (!token || token.split(".").length !== 3) throw new Error("no portal proof on this request: LLM calls go through the portal for the person calling");
  return token;
}

export interface PortalLlm {
  /** A request to `<portal>/llm/<path>` (`openai/v1/chat/completions`, `anthropic/v1/messages`…) with the caller's proof. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** An OpenAI-style chat completion through `provider`; the first choice's text. Throws with the gateway's message on a refusal. */
  chat(provider: string, body: { model: string; messages: { role: string; content: string }[]; [key: string]: unknown }): Promise<string>;
}

/** The portal's LLM gateway for the person calling this tool. */
export function portalLlm(portalUrl: string, extra: ProofCarrier, fetchImpl: typeof fetch = (input, init) => fetch(input, init)): PortalLlm {
  const proof = proofOf(extra);
  const call = (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set(PROOF_HEADER, proof);
    return fetchImpl(new URL(`/llm/${path.replace(/^\/+/, "")}`, portalUrl), { ...init, headers });
  };
  return {
    fetch: call,
    async chat(provider, body) {
      const res = await call(`${encodeURIComponent(provider)}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      const answer = (await res.json().catch(() => null)) as { choices?: { message?: { content?: string } }[]; error?: { message?: string } } | null;
      if (!res.ok) throw new Error(`the portal's LLM gateway answered ${res.status}: ${answer?.error?.message ?? "no message"}`);
      return answer?.choices?.[0]?.message?.content ?? "";
    },
  };
}
