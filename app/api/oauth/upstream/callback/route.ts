import { sessionRoute } from "@/lib/auth/session-route";
import { DomainError, ForbiddenError } from "@/lib/errors";
import { completeUpstreamOAuth } from "@/lib/servers/complete-upstream-oauth";
import { consoleOrigin } from "@/lib/auth/console-origin";

/** Where an upstream's authorization server sends the person back; then on to the request form. */
export const GET = sessionRoute(async (ctx, request) => {
  const url = new URL(request.url);
  // Behind a proxy request.url names the internal host; send the browser back to the public one.
  const back = new URL("/servers/new", await consoleOrigin());
  try {
    const { flowId } = await completeUpstreamOAuth(ctx, {
      state: url.searchParams.get("state") ?? "",
      code: url.searchParams.get("code") ?? undefined,
      error: url.searchParams.get("error_description") ?? url.searchParams.get("error") ?? undefined,
    });
    back.searchParams.set("oauthFlow", flowId);
  } catch (error) {
    if (error instanceof ForbiddenError || !(error instanceof DomainError)) throw error;
    back.searchParams.set("oauthError", error.message);
  }
  return Response.redirect(back, 303);
});
