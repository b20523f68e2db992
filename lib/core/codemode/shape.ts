/**
 * Which Code Mode shape a request gets, from the portal's setting (the bundle's `codemode`) and the
 * client's `?codemode=` parameter — Cloudflare's parameter and values, so clients configured for
 * Cloudflare's portals work unchanged. `null`: plain MCP (every tool listed).
 */
import type { BundleCodemode, CodemodeShape } from "@core/bundle/schema";

export const CODEMODE_PARAM = "codemode";
const VALUES = new Set(["search_and_execute", "code", "off"]);

export type ShapeChoice = { ok: true; shape: CodemodeShape | null } | { ok: false; message: string };

export function codemodeShape(setting: BundleCodemode | undefined, param: string | null): ShapeChoice {
  if (param !== null && !VALUES.has(param)) {
    return { ok: false, message: `codemode=${param.slice(0, 40)} is not a Code Mode shape: use codemode=search_and_execute, codemode=code or codemode=off` };
  }
  const asked = param === "search_and_execute" || param === "code" ? param : null;
  switch (setting?.mode ?? "off") {
    case "off":
      return { ok: true, shape: null };
    case "opt-in":
      return { ok: true, shape: asked };
    case "default":
      return { ok: true, shape: param === "off" ? null : (asked ?? setting!.shape) };
    case "enforced":
      return { ok: true, shape: asked ?? setting!.shape };
  }
}
