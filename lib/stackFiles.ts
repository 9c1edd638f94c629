// The repository's committed stack files (Pulumi.<stack>.yaml) and Pulumi.yaml's defaults, read as `pulumi` hands
// them to the program: for the tools around the program (the sandbox, the generators, the tests). The program
// itself reads its config through Pulumi (lib/config/stackConfig.ts).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { rawConfig, RawConfig } from "./config/validate";
import { PROJECT_NAME } from "./project";

const ROOT = join(__dirname, "..");

/** The committed stacks, from the repository's `Pulumi.<stack>.yaml` files. */
export const COMMITTED_STACKS: string[] = readdirSync(ROOT)
  .map((f) => /^Pulumi\.([^.]+)\.yaml$/.exec(f)?.[1])
  .filter((s): s is string => s !== undefined)
  .sort();

/** A committed stack file's `config:` values, keyed as Pulumi keys them. */
export function committedStackConfig(stack: string): Record<string, any> {
  return parse(readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8")).config ?? {};
}

/** Config as `pulumi` would hand it to the program: stack values over Pulumi.yaml defaults. */
export function stackConfig(stack: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const project = parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8"));
  const values: Record<string, unknown> = {};
  for (const [key, decl] of Object.entries<any>(project.config ?? {})) {
    if (decl?.default !== undefined) values[`${PROJECT_NAME}:${key}`] = decl.default;
  }
  return { ...values, ...committedStackConfig(stack), ...overrides };
}

/** A committed stack's config as the program reads it, without running the program. */
export function rawStackConfig(stack: string, overrides: Record<string, unknown> = {}): RawConfig {
  const values = stackConfig(stack, overrides);
  const asPulumiHoldsIt = (v: unknown) => (v === undefined || typeof v === "string" ? v : JSON.stringify(v));
  return rawConfig(
    stack,
    values["gcp:project"],
    (key) => asPulumiHoldsIt(values[`${PROJECT_NAME}:${key}`]),
    Object.keys(values).filter((k) => values[k] !== undefined),
  );
}
