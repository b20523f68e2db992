import { apiRoute } from "@/lib/api/route";
import { deleteSinkEndpoint, getSinkEndpoint, updateSinkEndpoint } from "@/lib/forwarding/endpoints";
import { deleteSink } from "@/lib/forwarding/delete-sink";
import { getSink } from "@/lib/forwarding/queries";
import { updateSink } from "@/lib/forwarding/update-sink";

export const GET = apiRoute(getSinkEndpoint, ({ ctx, params }) => getSink(ctx, params.id));
export const PATCH = apiRoute(updateSinkEndpoint, ({ ctx, params, body }) => updateSink(ctx, params.id, body));
export const DELETE = apiRoute(deleteSinkEndpoint, ({ ctx, params }) => deleteSink(ctx, params.id));
