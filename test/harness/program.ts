// Runs the project's program (index.ts) again in this process, as the engine does on every update:
// the program's own modules are dropped from require's cache first, so its top level runs anew.
import { join, sep } from "node:path";

export const ROOT = join(__dirname, "..", "..");

const PROGRAM_MODULES = [join(ROOT, "index.ts"), join(ROOT, "components") + sep, join(ROOT, "lib") + sep];

/** require, not import(): Node's ESM cache cannot be cleared. */
function requireProgramAfresh(): Record<string, unknown> {
  for (const id of Object.keys(require.cache)) {
    if (PROGRAM_MODULES.some((m) => id === m || id.startsWith(m))) delete require.cache[id];
  }
  return require(join(ROOT, "index"));
}

let runs = 0;

/**
 * Runs index.ts again, as `pulumi up` would: under vitest (its own module graph), or in plain Node (tsx). Under
 * vitest only index.ts is evaluated anew (a new query string is a new module to Vite): its top level is the only one
 * that reads the config; components/ and lib/ hold no state of a run.
 */
export async function loadProgramAfresh(): Promise<Record<string, unknown>> {
  if (process.env.VITEST) return import(`${join(ROOT, "index.ts")}?run=${++runs}`);
  return requireProgramAfresh();
}
