import { apiRoute } from "@/lib/api/route";
import { listSavedViewsEndpoint, saveViewEndpoint } from "@/lib/audit/endpoints";
import { listSavedViews } from "@/lib/audit/saved-views";
import { saveView } from "@/lib/audit/save-view";

export const GET = apiRoute(listSavedViewsEndpoint, ({ ctx }) => listSavedViews(ctx));
export const POST = apiRoute(saveViewEndpoint, ({ ctx, body }) => saveView(ctx, body));
