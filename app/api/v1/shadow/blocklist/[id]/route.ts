import { apiRoute } from "@/lib/api/route";
import { deleteBlockEndpoint } from "@/lib/shadow/endpoints";
import { deleteBlock } from "@/lib/shadow/delete-block";

export const DELETE = apiRoute(deleteBlockEndpoint, ({ ctx, params }) => deleteBlock(ctx, params.id));
