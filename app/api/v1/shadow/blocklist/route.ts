import { apiRoute } from "@/lib/api/route";
import { createBlockEndpoint, listBlocksEndpoint } from "@/lib/shadow/endpoints";
import { createBlock } from "@/lib/shadow/create-block";
import { listBlocks } from "@/lib/shadow/queries";

export const GET = apiRoute(listBlocksEndpoint, async ({ ctx }) => ({ entries: await listBlocks(ctx) }));
export const POST = apiRoute(createBlockEndpoint, ({ ctx, body }) => createBlock(ctx, body));
