"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

export interface NavItem {
  href: string;
  label: string;
  /** Sections still to be built are shown so people see where the product is going, but are not links. */
  soon?: boolean;
}

export function Sidebar({ items }: { items: NavItem[] }) {
  const pathname = usePathname();
  return (
    <nav aria-label="Main" className="space-y-0.5">
      {items.map((item) => {
        const active = item.href === "/" ? pathname === "/" : pathname.startsWith(item.href);
        if (item.soon) {
          return (
            <span key={item.href} className="flex items-center justify-between rounded-md px-2.5 py-1.5 text-sm text-zinc-400" title="Not built yet">
              {item.label}
              <span className="text-[10px] uppercase tracking-wide">soon</span>
            </span>
          );
        }
        return (
          <Link
            key={item.href}
            href={item.href}
            aria-current={active ? "page" : undefined}
            className={`block rounded-md px-2.5 py-1.5 text-sm font-medium ${active ? "bg-indigo-50 text-indigo-700" : "text-zinc-700 hover:bg-zinc-100"}`}
          >
            {item.label}
          </Link>
        );
      })}
    </nav>
  );
}
