import { getDb } from "@/db/client";
import { describeFailure, toProblem } from "@/lib/api/problem";
import { ingestLogpushBatch } from "@/lib/shadow/ingest-logpush-batch";
import { LOGPUSH_SECRET_HEADER } from "@/lib/shadow/logpush";

// Called by Cloudflare Logpush, not by people: authenticated by the job's secret header, never by an API token (lib/shadow/endpoints.ts).
export async function POST(request: Request): Promise<Response> {
  const headers = { "cache-control": "no-store" };
  try {
    const declared = request.headers.get("content-length");
    const result = await ingestLogpushBatch(await getDb(), {
      secret: request.headers.get(LOGPUSH_SECRET_HEADER),
      body: request.body,
      declaredBytes: declared !== null && /^\d+$/.test(declared) ? Number(declared) : null,
    });
    return Response.json(result, { status: 200, headers });
  } catch (error) {
    const { status, body } = toProblem(error, "body");
    // Log the failure, never the request: its header is a secret and its lines name people.
    if (status === 500) console.error(`[api] POST /traffic/logpush failed: ${describeFailure(error)}`);
    return Response.json(body, { status, headers });
  }
}
