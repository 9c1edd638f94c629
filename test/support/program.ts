// Runs the project's program (index.ts) again in this process, as the engine does on every update:
// the program's own modules are dropped from require's cache first, so its top level runs anew.
import { readFileSync } from "node:fs";
import { join, normalize, sep } from "node:path";
import { parse } from "yaml";

export const ROOT = join(__dirname, "..", "..");
/** A committed stack file's `config:` values (`Pulumi.<stack>.yaml`), keyed as Pulumi keys them. */
export function committedStackConfig(stack: string): Record<string, any> {
  return parse(readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8")).config ?? {};
}

/**
 * The files Pulumi's Node.js runtime starts the program from: package.json's `main` and the modules Pulumi.yaml's
 * `nodeargs` preload (`--require ./file`), relative to the project directory.
 */
export function entryPointFiles(): string[] {
  const main: string = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).main;
  return [main, ...[...nodeArgs().join(" ").matchAll(/--require[= ](\S+)/g)].map((m) => normalize(m[1]))];
}

/** Pulumi.yaml's `nodeargs`: the arguments Pulumi's language host gives Node.js before the program. */
export function nodeArgs(): string[] {
  const nodeargs: string = parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8")).runtime.options.nodeargs ?? "";
  return nodeargs.split(/\s+/).filter(Boolean);
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
