/** What a server action hands back to its form. Pure, so client components can import it. */
export type ActionResult<T = unknown> =
  | { ok: true; data: T }
  | { ok: false; error: { code: string; message: string }; fields?: Record<string, string> };

export type FormAction<T> = (previous: ActionResult<T> | null, formData: FormData) => Promise<ActionResult<T>>;
