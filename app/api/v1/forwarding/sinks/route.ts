import { apiRoute } from "@/lib/api/route";
import { createSinkEndpoint, listSinksEndpoint } from "@/lib/forwarding/endpoints";
import { createSink } from "@/lib/forwarding/create-sink";
import { listSinks } from "@/lib/forwarding/queries";

export const GET = apiRoute(listSinksEndpoint, async ({ ctx }) => ({ sinks: await listSinks(ctx) }));
export const POST = apiRoute(createSinkEndpoint, ({ ctx, body }) => createSink(ctx, body));
