import { apiRoute } from "@/lib/api/route";
import { getMe } from "@/lib/users/endpoints";
import { describeMe } from "@/lib/users/describe-me";

export const GET = apiRoute(getMe, ({ ctx }) => describeMe(ctx));
