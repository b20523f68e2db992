// What scripts/seed-events.mjs runs, bundled by scripts/lib/load-ts.mjs.
export { openDatabase, resolveDatabaseTarget } from "@/db/client";
export { parseSeedEventsArgs, SEED_EVENTS_USAGE, seedEvents } from "@/lib/events/seed-events";
export { ValidationError } from "@/lib/errors";
