import Link from "next/link";

export default function NotFound() {
  return (
    <main className="mx-auto mt-24 max-w-md rounded-lg border border-zinc-200 bg-white p-8 text-center shadow-sm">
      <p className="text-sm font-semibold text-zinc-500">404</p>
      <h1 className="mt-2 text-xl font-semibold">Nothing here</h1>
      <p className="mt-2 text-sm text-zinc-600">No page has this address, or what it showed was deleted. Check the link, or find it again from the overview.</p>
      <Link href="/" className="mt-6 inline-block text-sm font-medium text-indigo-700 hover:underline">
        Back to the overview
      </Link>
    </main>
  );
}
