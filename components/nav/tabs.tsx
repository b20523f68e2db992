"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

export function Tabs({ label, tabs }: { label: string; tabs: { href: string; label: string }[] }) {
  const pathname = usePathname();
  return (
    <nav aria-label={label} className="mt-4 mb-6 flex gap-1 border-b border-zinc-200">
      {tabs.map((t) => {
        const active = pathname.startsWith(t.href);
        return (
          <Link
            key={t.href}
            href={t.href}
            aria-current={active ? "page" : undefined}
            className={`-mb-px border-b-2 px-3 py-2 text-sm font-medium ${active ? "border-indigo-600 text-indigo-700" : "border-transparent text-zinc-600 hover:border-zinc-300 hover:text-zinc-900"}`}
          >
            {t.label}
          </Link>
        );
      })}
    </nav>
  );
}
