import { apiRoute } from "@/lib/api/route";
import { listTrafficUploadsEndpoint } from "@/lib/shadow/endpoints";
import { listUploads } from "@/lib/shadow/queries";

export const GET = apiRoute(listTrafficUploadsEndpoint, async ({ ctx }) => ({ uploads: await listUploads(ctx) }));
