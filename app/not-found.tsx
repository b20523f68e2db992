import Link from "next/link";

export default function NotFound() {
  return (
    <main className="mx-auto mt-24 max-w-md rounded-lg border border-zinc-200 bg-white p-8 text-center shadow-sm">
      <p className="text-sm font-semibold text-zinc-500">404</p>
      <h1 className="mt-2 text-xl font-semibold">Nothing here</h1>
      <Link href="/" className="mt-6 inline-block text-sm font-medium text-indigo-700 hover:underline">
        Back to the overview
      </Link>
    </main>
  );
}
