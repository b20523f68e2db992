import { apiRoute } from "@/lib/api/route";
import { revokeLogpushJobEndpoint } from "@/lib/shadow/endpoints";
import { revokeLogpushJob } from "@/lib/shadow/revoke-logpush-job";

export const DELETE = apiRoute(revokeLogpushJobEndpoint, ({ ctx, params }) => revokeLogpushJob(ctx, params.id));
