import Link from "next/link";

/** The link back to the Shadow MCP page, above a finding or a block-list entry. */
export function BackToShadow() {
  return (
    <p className="text-sm">
      <Link href="/shadow" className="text-indigo-700 underline">
        ← Shadow MCP
      </Link>
    </p>
  );
}
