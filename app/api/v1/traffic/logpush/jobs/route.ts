import { apiRoute } from "@/lib/api/route";
import { consoleOriginOf } from "@/lib/auth/console-origin";
import { createLogpushJobEndpoint, listLogpushJobsEndpoint } from "@/lib/shadow/endpoints";
import { createLogpushJob } from "@/lib/shadow/create-logpush-job";
import { listLogpushJobs } from "@/lib/shadow/logpush";

export const GET = apiRoute(listLogpushJobsEndpoint, async ({ ctx }) => ({ jobs: await listLogpushJobs(ctx) }));
export const POST = apiRoute(createLogpushJobEndpoint, ({ ctx, body, request }) => createLogpushJob(ctx, body, consoleOriginOf(request.headers)));
