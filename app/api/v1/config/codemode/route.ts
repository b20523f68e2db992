import { apiRoute } from "@/lib/api/route";
import { getCodemodeSettings, updateCodemodeSettings } from "@/lib/codemode/settings";
import { getCodemodeEndpoint, updateCodemodeEndpoint } from "@/lib/config/endpoints";

export const GET = apiRoute(getCodemodeEndpoint, ({ ctx }) => getCodemodeSettings(ctx));
export const PUT = apiRoute(updateCodemodeEndpoint, ({ ctx, body }) => updateCodemodeSettings(ctx, body));
