// What scripts/demo.mjs runs, bundled by scripts/lib/load-ts.mjs.
export { openDatabase, resolveDatabaseTarget } from "@/db/client";
export { DEMO_PEOPLE, seedDemo } from "./seed-demo";
