import Link from "next/link";

export default function Forbidden() {
  return (
    <main className="mx-auto mt-24 max-w-md rounded-lg border border-zinc-200 bg-white p-8 text-center shadow-sm">
      <p className="text-sm font-semibold text-red-700">403</p>
      <h1 className="mt-2 text-xl font-semibold">You do not have access to this page</h1>
      <p className="mt-2 text-sm text-zinc-600">Your role does not allow it. An administrator can change your role in Settings → Users.</p>
      <Link href="/" className="mt-6 inline-block text-sm font-medium text-indigo-700 hover:underline">
        Back to the overview
      </Link>
    </main>
  );
}
