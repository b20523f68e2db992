import { apiRoute } from "@/lib/api/route";
import { dlpProfileExportEndpoint } from "@/lib/shadow/endpoints";
import { exportDlpProfile } from "@/lib/shadow/export-dlp-profile";

export const GET = apiRoute(dlpProfileExportEndpoint, async ({ ctx }) => ({ ...exportDlpProfile(ctx) }));
