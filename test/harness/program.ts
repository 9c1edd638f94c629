// Runs the project's program (index.ts) again in this process, as the engine does on every update:
// the program's own modules are dropped from require's cache first, so its top level runs anew.
import { readFileSync } from "node:fs";
import { join, sep } from "node:path";
import { parse } from "yaml";

export const ROOT = join(__dirname, "..", "..");
/** A committed stack file's `config:` values (`Pulumi.<stack>.yaml`), keyed as Pulumi keys them. */
export function committedStackConfig(stack: string): Record<string, any> {
  return parse(readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8")).config ?? {};
}

const PROGRAM_MODULES = [join(ROOT, "index.ts"), join(ROOT, "components") + sep, join(ROOT, "lib") + sep];

/** require, not import(): Node's ESM cache cannot be cleared. */
function requireProgramAfresh(): Record<string, unknown> {
  for (const id of Object.keys(require.cache)) {
    if (PROGRAM_MODULES.some((m) => id === m || id.startsWith(m))) delete require.cache[id];
  }
  return require(join(ROOT, "index"));
}

/** Runs index.ts again, as `pulumi up` would: under vitest (its own module graph), or in plain Node (tsx). */
export async function loadProgramAfresh(): Promise<Record<string, unknown>> {
  if (process.env.VITEST) {
    const { vi } = await import("vitest");
    vi.resetModules();
    return import(join(ROOT, "index"));
  }
  return requireProgramAfresh();
}
