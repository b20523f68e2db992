/**
 * Events made by the portal's own builders (`mcpEvent`, `llmEvent`): their output satisfies the
 * event contract by construction (builders.test.ts proves it over hostile caller text), so the edge
 * need not validate them again on every call. Each is frozen when made (nothing can change it
 * afterwards) and remembered here; anything else (an event that came in as JSON) is validated in
 * full before it is sent.
 */
const built = new WeakSet<object>();

/** Freezes an event a builder made and marks it as such. */
export function builtEvent<T extends object>(event: T): T {
  built.add(Object.freeze(event));
  return event;
}

/** Whether a builder made this very object (and so it is unchanged since). */
export function isBuiltEvent(event: object): boolean {
  return built.has(event);
}
