// What `pulumi up` runs is pulumi-main.js (package.json "main"; Pulumi.yaml turns ts-node off): on a small
// project holding a copy of it and of tsconfig.json, every run executes the .ts files as they are on disk
// (an edit is never stale), a warm run does not load the compiler, and types are not checked there (that
// is `npm run build`'s job: test/real/typecheck.test.ts).
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../support/program";

const dir = mkdtempSync(join(tmpdir(), "memcached-gke-entry-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the entry point as Pulumi's runtime would (require of package.json's main) and reports its exports. */
function run(): Promise<{ exports: unknown; compilerLoaded: boolean }> {
  const script = `const out = require(require("path").resolve(require("./package.json").main));
    const compilerLoaded = Object.keys(require.cache).some((f) => f.endsWith("/typescript/lib/typescript.js"));
    console.log(JSON.stringify({ exports: out, compilerLoaded }));`;
  return new Promise((resolve, reject) => execFile(process.execPath, ["-e", script], { cwd: dir, timeout: 60_000 }, (error, stdout, stderr) =>
    (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout)))));
}

const cached = () => readdirSync(join(dir, "node_modules", ".cache", "memcached-gke", "ts"));

describe("pulumi-main.js, the program's entry point", () => {
  it("is what package.json names, with Pulumi's own TypeScript support off", () => {
    expect(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).main).toBe("pulumi-main.js");
    expect(parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8")).runtime).toEqual({ name: "nodejs", options: { typescript: false } });
  });

  it("runs index.ts and what it imports, transpiled, and caches each file", async () => {
    for (const f of ["pulumi-main.js", "tsconfig.json", "package.json"]) copyFileSync(join(ROOT, f), join(dir, f));
    mkdirSync(join(dir, "node_modules"));
    symlinkSync(join(ROOT, "node_modules", "typescript"), join(dir, "node_modules", "typescript"));
    mkdirSync(join(dir, "lib"));
    writeFileSync(join(dir, "index.ts"), 'import { replicas } from "./lib/size";\nexport const pods: number = replicas * 2;\n');
    writeFileSync(join(dir, "lib", "size.ts"), "export const replicas: number = 3;\n");
    expect(await run()).toEqual({ exports: { pods: 6 }, compilerLoaded: true });
    expect(cached().length).toBe(2);
  });

  it("a second run does not load the compiler", async () => {
    expect(await run()).toEqual({ exports: { pods: 6 }, compilerLoaded: false });
  });

  it("an edit is what the next run executes (no stale output)", async () => {
    writeFileSync(join(dir, "lib", "size.ts"), "export const replicas: number = 5;\n");
    expect(await run()).toEqual({ exports: { pods: 10 }, compilerLoaded: true });
    expect(cached().length).toBe(3);
  });

  it("with NODE_OPTIONS=--enable-source-maps, a stack trace names the .ts file and line", async () => {
    writeFileSync(join(dir, "lib", "size.ts"), 'export const replicas: number = 5;\nif (replicas > 4) throw new Error("too many");\n');
    const stderr = await new Promise<string>((resolve) => execFile(process.execPath, ["-e", 'require("./pulumi-main.js")'],
      { cwd: dir, timeout: 60_000, env: { ...process.env, NODE_OPTIONS: "--enable-source-maps" } }, (_error, _stdout, err) => resolve(err)));
    expect(stderr).toContain(`${join(dir, "lib", "size.ts")}:2:`);
  });

  it("does not type-check: a type error still runs here (npm run build and CI refuse it)", async () => {
    writeFileSync(join(dir, "lib", "size.ts"), 'export const replicas: number = 4;\nexport const wrong: number = "x";\n');
    expect((await run()).exports).toEqual({ pods: 8 });
  });
});
