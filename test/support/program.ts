// Runs the project's program (index.ts) again in this process, as the engine does on every update:
// the program's own modules are dropped from require's cache first, so its top level runs anew.
import { join, sep } from "node:path";

export const ROOT = join(__dirname, "..", "..");
const PROGRAM_MODULES = [join(ROOT, "index.ts"), join(ROOT, "components") + sep, join(ROOT, "lib") + sep];

/** require, not import(): Node's ESM cache cannot be cleared. */
export function requireProgramAfresh(): Record<string, unknown> {
  for (const id of Object.keys(require.cache)) {
    if (PROGRAM_MODULES.some((m) => id === m || id.startsWith(m))) delete require.cache[id];
  }
  return require(join(ROOT, "index"));
}
