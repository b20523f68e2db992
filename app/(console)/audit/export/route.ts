import { sessionRoute } from "@/lib/auth/session-route";
import { ExportEventsQuery, exportEvents, exportResponse } from "@/lib/audit/export-events";
import { parseViewParams } from "@/lib/audit/view-params";
import { ValidationError } from "@/lib/errors";

const ExportOptions = ExportEventsQuery.pick({ format: true, profile: true });

/** The Audit page's Export button: the page's view (its URL's filters) as a streamed download. */
export const GET = sessionRoute(async (ctx, request) => {
  const search = new URL(request.url).searchParams;
  const view = parseViewParams(search);
  if (view.problem) throw new ValidationError(view.problem);
  const options = ExportOptions.safeParse({ format: search.get("format") ?? undefined, profile: search.get("profile") ?? undefined });
  if (!options.success) throw new ValidationError("format must be csv or ndjson, profile portcullis or cloudflare");
  return exportResponse(exportEvents(ctx, { ...view.where, ...options.data }));
});
