import { apiRoute } from "@/lib/api/route";
import { deleteSavedViewEndpoint } from "@/lib/audit/endpoints";
import { deleteSavedView } from "@/lib/audit/delete-saved-view";

export const DELETE = apiRoute(deleteSavedViewEndpoint, ({ ctx, params }) => deleteSavedView(ctx, params.id));
