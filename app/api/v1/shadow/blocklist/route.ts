import { apiRoute } from "@/lib/api/route";
import { createBlockEndpoint, listBlocksEndpoint } from "@/lib/shadow/endpoints";
import { createBlock, listBlocks } from "@/lib/shadow/blocklist";

export const GET = apiRoute(listBlocksEndpoint, async ({ ctx }) => ({ entries: await listBlocks(ctx) }));
export const POST = apiRoute(createBlockEndpoint, ({ ctx, body }) => createBlock(ctx, body));
