import { redirect } from "next/navigation";
import { requirePage } from "@/lib/auth/page";

export default async function SettingsIndex() {
  await requirePage();
  redirect("/settings/tokens");
}
