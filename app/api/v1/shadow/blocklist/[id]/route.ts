import { apiRoute } from "@/lib/api/route";
import { deleteBlockEndpoint, updateBlockEndpoint } from "@/lib/shadow/endpoints";
import { deleteBlock } from "@/lib/shadow/delete-block";
import { updateBlock } from "@/lib/shadow/update-block";

export const PATCH = apiRoute(updateBlockEndpoint, ({ ctx, params, body }) => updateBlock(ctx, params.id, body));
export const DELETE = apiRoute(deleteBlockEndpoint, ({ ctx, params }) => deleteBlock(ctx, params.id));
