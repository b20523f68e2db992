/**
 * The LLM gateway: `/llm/{provider}/v1/...` for every provider in the bundle, in its own wire format.
 * Policy, limits and budgets are decided before the cache, so a hit is refused exactly like a miss;
 * the provider key never leaves the edge. The order of checks: docs/llm-gateway.md, "The route".
 */
import { blockMarks, isBlockedReason, llmAccess, portalRefusal, type BundleIndex } from "@core/bundle/bundle-index";
import type { BundleLlmProvider, BundleUser } from "@core/bundle/schema";
import { llmCredentialAad } from "@core/edge/credential";
import { llmEvent, type LlmEventCall, type LlmEventOutcome } from "@core/events/llm-event";
import type { LlmEvent } from "@core/events/schema";
import { cacheKey, isCacheable, parseCacheTtl } from "@core/llm/cache-key";
import { classifyLlmPath, isStreamingRequest, requestModel, withStreamUsage, type LlmOperation } from "@core/llm/providers";
import { usageFromJson, type LlmUsage } from "@core/llm/usage";
import { readBoundedBody } from "@core/http/bounded-body";
import { surrogateProblem, unstorableText } from "@core/text/storable";
import type { Amount } from "@core/limits/ledger";
import type { TokenScope } from "@core/auth/roles";
import { tokenCaller } from "../auth";
import { proofCaller } from "../proof-caller";
import { llmError } from "./llm-errors";
import { CACHE_BODY_LIMIT_BYTES, CALLER_GRACE_MS, estimate, meterStream, spend } from "./llm-metering";
import { configFor } from "../config";
import type { Env } from "../env";
import { enqueueEvents } from "../events/enqueue";
import { admitCall, settleCall, type Admission } from "../limits";
import { openSealedJson } from "../opened-credentials";

const PATH = /^\/llm\/([a-z0-9]+(?:-[a-z0-9]+)*)\/v1\/(.+)$/;
/** Request bodies above this are refused (413): prompts with images in base64 stay well below. */
export const LLM_BODY_LIMIT_BYTES = 10 * 1024 * 1024;
const CACHE_MAX_TTL_SECONDS = 604_800;
const CACHE_HOST = "https://llm-cache.portcullis.invalid/";
/** Request headers passed to the provider (everything else, credentials first, stays here). */
const FORWARD_HEADERS = ["content-type", "accept", "user-agent", "openai-beta", "anthropic-version", "anthropic-beta"];
/** Response headers passed back (plus the cache status). */
const RETURN_HEADERS = ["content-type", "x-request-id", "request-id", "openai-processing-ms", "anthropic-ratelimit-requests-remaining"];

export const CACHE_STATUS_HEADER = "x-portcullis-cache";
/** Per request: `x-portcullis-cache: skip` neither reads nor writes the cache; `x-portcullis-cache-ttl: <s>` sets the lifetime. */
const CACHE_TTL_HEADER = "x-portcullis-cache-ttl";

/** The provider's API key, opened once per isolate (src/sealed.ts); a rotated key is used from its first call. */
async function providerKey(provider: BundleLlmProvider, env: Env): Promise<string | null> {
  if (!provider.credential) return null;
  const key = ((await openSealedJson(provider.credential, llmCredentialAad(provider.id), env.PORTCULLIS_EDGE_SECRET)) as { apiKey?: unknown }).apiKey;
  return typeof key === "string" ? key : null;
}

function presentedSecret(request: Request): string | null {
  const auth = request.headers.get("authorization");
  const bearer = auth ? /^Bearer\s+(\S+)$/i.exec(auth)?.[1] : undefined;
  return bearer ?? request.headers.get("x-api-key") ?? request.headers.get("api-key");
}

/**
 * How deep a request body may nest. Real requests (messages, content parts, tool schemas) stay far
 * below; the gateway's canonical JSON (the cache key) and serializers recurse, and a body nested
 * thousands deep would overflow the stack instead of being refused.
 */
export const LLM_BODY_MAX_DEPTH = 128;

/** The body as text, read to at most the limit (a chunked body is not buffered past it). */
async function readBody(request: Request): Promise<string | "TOO_LARGE"> {
  const bytes = await readBoundedBody(request, LLM_BODY_LIMIT_BYTES);
  return bytes ? new TextDecoder().decode(bytes) : "TOO_LARGE";
}

/** What one call is, filled in as the checks go; becomes the usage event. */
interface CallRecord extends Omit<LlmEventCall, "user" | "provider" | "clientIp" | "bundleVersion"> {
  config: BundleIndex | null;
  user: BundleUser | null;
  provider: BundleLlmProvider | null;
}

function usageEvent(req: Request, call: CallRecord, outcome: LlmEventOutcome): LlmEvent {
  const marks = call.config && call.provider ? blockMarks(call.config, call.provider.slug, outcome.decision, call.reason) : null;
  return llmEvent({ ...call, clientIp: req.headers.get("cf-connecting-ip"), bundleVersion: call.config?.bundle.version ?? null, ...marks }, outcome, crypto.randomUUID(), Date.now());
}

function emit(env: Env, ctx: ExecutionContext, event: LlmEvent): void {
  // Off the response path; enqueueEvents logs its own failures.
  void enqueueEvents(env, (p) => ctx.waitUntil(p), [event]);
}

function returnHeaders(from: Headers, cacheStatus: string): Headers {
  const out = new Headers({ [CACHE_STATUS_HEADER]: cacheStatus, "cache-control": "no-store" });
  for (const name of RETURN_HEADERS) {
    const v = from.get(name);
    if (v !== null) out.set(name, v);
  }
  return out;
}

export async function handleLlm(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const url = new URL(request.url);
  const match = PATH.exec(url.pathname);
  const call: CallRecord = { started: Date.now(), config: null, user: null, tokenId: null, provider: null, kind: "openai", op: null, model: null, stream: false, requestText: null, ruleId: null, reason: null, overBudget: false };
  // Until the provider is known, errors use its path's likely format.
  if (match?.[1] === "anthropic") call.kind = "anthropic";
  if (!match) return llmError(call.kind, 404, "not_found", "No such endpoint: use /llm/<provider>/v1/<operation>");

  const config = await configFor(request, env);
  if (!config) return llmError(call.kind, 503, "unavailable", "This Portcullis portal has no valid configuration (none published yet, or it expired without a renewal from the console); every request is denied");
  call.config = config;
  const secret = presentedSecret(request);
  let who: { user: BundleUser; tokenId: string | null; scopes: TokenScope[] } | null = secret ? await tokenCaller(config, secret) : null;
  // A hosted server calling for the person whose tool call it serves: the proof the portal sent it (proof-caller.ts).
  const proved = secret ? null : await proofCaller(request, env, config);
  if (proved?.ok === false) return llmError(call.kind, 401, "auth", proved.message, { "www-authenticate": 'Bearer realm="portcullis"' });
  if (proved?.ok) who = { user: proved.caller.user, tokenId: null, scopes: proved.caller.scopes };
  if (!who) return llmError(call.kind, 401, "auth", "Use a Portcullis API token (Authorization: Bearer pcs_… or x-api-key: pcs_…), or from a hosted MCP server the Portcullis-Proof of the tool call it serves; provider keys stay at the portal", { "www-authenticate": 'Bearer realm="portcullis"' });
  call.user = who.user;
  call.tokenId = who.tokenId;

  const provider = config.bundle.llm.providers.find((p) => p.slug === match[1]);
  if (!provider) return llmError(call.kind, 404, "not_found", `No LLM provider "${match[1]}" at this portal`);
  call.provider = provider;
  call.kind = provider.kind;
  const op = classifyLlmPath(provider.kind, match[2]!, request.method);
  if (!op) return llmError(call.kind, 404, "not_found", `${request.method} /v1/${match[2]} is not an operation the gateway forwards for ${provider.kind}-style providers`);
  call.op = op;

  // Before the body is read (a caller who may not use the gateway never gets it parsed) and before
  // any policy: viewers never use the portal, and LLM calls spend budget, so a read-only token may not make them.
  const refusal = portalRefusal({ user: who.user, scopes: who.scopes }, "write");
  if (refusal) {
    call.reason = refusal.reason;
    emit(env, ctx, usageEvent(request, call, { status: 403, decision: "denied", error: refusal.code === "ROLE_NOT_ALLOWED" ? "role may not use the portal" : "read-only token" }));
    return llmError(call.kind, 403, "permission", refusal.code === "ROLE_NOT_ALLOWED" ? `Your role (${who.user.role}) may not use the portal: members and above may; ask an administrator` : "This API token has only the read scope; LLM calls need a token with the write scope");
  }

  let body: unknown = null;
  if (request.method === "POST") {
    const text = await readBody(request);
    if (text === "TOO_LARGE") return llmError(call.kind, 413, "too_large", `Request body over ${LLM_BODY_LIMIT_BYTES} bytes`);
    call.requestText = text;
    try {
      body = JSON.parse(text);
    } catch {
      return llmError(call.kind, 400, "invalid", "The request body is not valid JSON");
    }
    const problem = unstorableText(body, LLM_BODY_MAX_DEPTH, surrogateProblem);
    if (problem) {
      const where = problem.path.length > 80 ? `${problem.path.slice(0, 80)}…` : problem.path || "the body";
      return llmError(call.kind, 400, "invalid", `The request body is not valid: ${where} ${problem.reason}`);
    }
  }
  call.model = requestModel(body);
  call.stream = isStreamingRequest(provider.kind, op, body);

  const at = new Date();
  const caller = { user: who.user, tokenId: who.tokenId, scopes: who.scopes, clientIp: request.headers.get("cf-connecting-ip"), at };
  const decision = llmAccess(config, caller, provider.slug, call.model);
  call.ruleId = decision.ruleId;
  call.reason = decision.reason;
  if (decision.effect === "deny" && isBlockedReason(decision.reason)) {
    emit(env, ctx, usageEvent(request, call, { status: 403, decision: "denied", error: "provider URL on the block list" }));
    return llmError(call.kind, 403, "permission", `Provider "${provider.slug}" is blocked by your security team (its URL is on the shadow-MCP block list)`);
  }
  if (decision.effect === "deny") {
    emit(env, ctx, usageEvent(request, call, { status: 403, decision: "denied", error: "not allowed by policy" }));
    return llmError(call.kind, 403, "permission", `You may not use ${call.model ? `model "${call.model}" of ` : ""}provider "${provider.slug}" at this portal`);
  }

  const hold = estimate(config, provider.kind, op, body, call.model);
  const admission = await admitCall(env, config, { user: who.user, tokenId: who.tokenId }, { kind: "llm", serverSlug: provider.slug }, hold.estimate, at, hold.expected);
  if (!admission.admitted) {
    call.reason = admission.reason;
    call.ruleId = admission.refusal.specId;
    emit(env, ctx, usageEvent(request, call, { status: 429, decision: "denied", error: admission.message }));
    return llmError(call.kind, 429, admission.refusal.kind === "rateLimit" ? "rate_limit" : "budget", admission.message, { "retry-after": String(Math.max(1, admission.retryAfterSeconds)) });
  }
  call.overBudget = admission.flagged.length > 0;

  try {
    // Kept alive by waitUntil: a caller who hangs up does not stop the call from being metered.
    const work = forward(request, env, ctx, config, call, admission, op, body, hold);
    ctx.waitUntil(work.then(() => undefined, () => undefined));
    return await work;
  } catch (error) {
    // Nothing reached the caller yet: release the reservation and say the provider failed.
    ctx.waitUntil(settleCall(env, admission, { tokens: 0, microUsd: 0 }).catch(() => undefined));
    const message = error instanceof Error ? error.message : String(error);
    emit(env, ctx, usageEvent(request, call, { status: 502, decision: "allowed", error: message }));
    return llmError(call.kind, 502, "upstream", `Provider "${provider.slug}" failed or is unreachable`);
  }
}

async function forward(
  request: Request,
  env: Env,
  ctx: ExecutionContext,
  config: BundleIndex,
  call: CallRecord,
  admission: Extract<Admission, { admitted: true }>,
  op: LlmOperation,
  body: unknown,
  hold: { estimate: Amount; expected?: Amount },
): Promise<Response> {
  const provider = call.provider!;
  const cacheChoice = request.headers.get(CACHE_STATUS_HEADER)?.toLowerCase();
  const ttl = parseCacheTtl(request.headers.get(CACHE_TTL_HEADER), provider.cacheTtlSeconds, CACHE_MAX_TTL_SECONDS);
  const useCache = provider.cacheTtlSeconds > 0 && ttl > 0 && cacheChoice !== "skip" && cacheChoice !== "bypass" && isCacheable(op, body);
  // Scoped to provider and user: another tenant's identical request never reads this entry.
  const key = useCache ? new Request(`${CACHE_HOST}${await cacheKey({ provider: provider.kind, op, scope: `${provider.slug}:${call.user!.id}`, body })}`) : null;
  const cache = key ? await caches.open("portcullis-llm") : null;

  // A call that went through but reported no usage is charged what it reserved (or was expected to cost), never 0.
  const withoutUsage = hold.estimate.tokens > 0 || !hold.expected ? hold.estimate : hold.expected;
  const settle = (usage: LlmUsage | null, charged = true) => {
    const { amount, cost } = spend(config, provider.kind, usage, call.model);
    ctx.waitUntil(settleCall(env, admission, usage || !charged ? amount : withoutUsage).catch((error: unknown) => console.error("[llm] settle failed:", error instanceof Error ? error.message : error)));
    return cost;
  };

  if (cache && key) {
    const hit = await cache.match(key);
    if (hit) {
      const usage = JSON.parse(hit.headers.get("x-portcullis-usage") ?? "null") as LlmUsage | null;
      const text = await hit.text();
      const cost = settle(usage, false);
      emit(env, ctx, usageEvent(request, call, { status: 200, decision: "allowed", cache: "hit", usage, cost, responseText: text }));
      return new Response(text, { status: 200, headers: returnHeaders(hit.headers, "HIT") });
    }
  }
  const cacheStatus = cache ? "MISS" : "BYPASS";

  const headers = new Headers();
  for (const name of FORWARD_HEADERS) {
    const v = request.headers.get(name);
    if (v !== null) headers.set(name, v);
  }
  const apiKey = await providerKey(provider, env);
  if (apiKey) {
    if (provider.kind === "anthropic") headers.set("x-api-key", apiKey);
    else headers.set("authorization", `Bearer ${apiKey}`);
  }
  const upstreamUrl = `${provider.baseUrl.replace(/\/+$/, "")}/${new URL(request.url).pathname.replace(/^\/llm\/[^/]+\/v1\//, "")}${new URL(request.url).search}`;
  // The caller's own bytes unless the gateway had to ask for streamed usage.
  const withUsage = withStreamUsage(op, body);
  const sent = body === null ? undefined : withUsage === body && call.requestText !== null ? call.requestText : JSON.stringify(withUsage);
  // Not the caller's abort signal: the call runs (and is metered) to its end even if the caller hangs up.
  const res = await fetch(upstreamUrl, { method: request.method, headers, body: sent, redirect: "manual" });

  const isStream = res.ok && (res.headers.get("content-type") ?? "").includes("text/event-stream") && res.body;
  if (!isStream) {
    const text = await res.text();
    let usage: LlmUsage | null = null;
    if (res.ok) {
      try {
        usage = usageFromJson(provider.kind, op, JSON.parse(text));
      } catch {
        usage = null;
      }
    }
    const cost = settle(usage, res.ok);
    if (res.ok && cache && key && text.length <= CACHE_BODY_LIMIT_BYTES) ctx.waitUntil(store(cache, key, text, res.headers.get("content-type"), usage, ttl));
    emit(env, ctx, usageEvent(request, call, { status: res.status, decision: "allowed", cache: res.ok ? cacheStatus.toLowerCase() as "miss" | "bypass" : null, usage, cost, responseText: text, error: res.ok ? null : `provider answered ${res.status}` }));
    return new Response(text, { status: res.status, headers: returnHeaders(res.headers, cacheStatus) });
  }

  // Streaming: the caller gets every chunk as it arrives; a copy is read to the end here, whatever
  // the caller does (hanging up after the last content chunk included), and meters the call.
  const [toCaller, toMeter] = res.body!.tee();
  // Whether the caller read the stream to its end (true) or hung up (false).
  let callerDone: (readAll: boolean) => void = () => undefined;
  const callerFinished = new Promise<boolean>((resolve) => (callerDone = resolve));
  const callerReader = toCaller.getReader();
  const forCaller = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await callerReader.read();
      if (done) {
        callerDone(true);
        controller.close();
      } else controller.enqueue(value);
    },
    cancel(reason) {
      callerDone(false);
      return callerReader.cancel(reason);
    },
  });
  ctx.waitUntil(
    meterStream(toMeter).then(async ({ usage, copy, logText, complete }) => {
      const cost = settle(usage);
      // A hang-up reaches the Worker when it next writes: give a slow reader a moment to finish.
      const callerLeft = !(await Promise.race([callerFinished, new Promise<boolean>((r) => setTimeout(() => r(false), CALLER_GRACE_MS))]));
      if (cache && key && copy && usage && complete && !callerLeft) ctx.waitUntil(store(cache, key, copy, res.headers.get("content-type"), usage, ttl));
      const problems = [callerLeft ? "aborted: the caller disconnected before the end of the stream (metered to the end)" : null, complete ? null : "the provider's stream broke off", usage ? null : "no usage reported: charged the reservation"].filter(Boolean);
      emit(env, ctx, usageEvent(request, call, { status: res.status, decision: "allowed", cache: cacheStatus.toLowerCase() as "miss" | "bypass", usage, cost, responseText: logText, error: problems.length ? problems.join("; ") : null }));
    }),
  );
  return new Response(forCaller, { status: res.status, headers: returnHeaders(res.headers, cacheStatus) });
}

async function store(cache: Cache, key: Request, body: string | Uint8Array, contentType: string | null, usage: LlmUsage | null, ttl: number): Promise<void> {
  const headers = new Headers({ "cache-control": `max-age=${ttl}`, "x-portcullis-usage": JSON.stringify(usage) });
  if (contentType) headers.set("content-type", contentType);
  await cache.put(key, new Response(body, { headers })).catch((error: unknown) => console.error("[llm] cache put failed:", error instanceof Error ? error.message : error));
}
