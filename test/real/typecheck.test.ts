// `pulumi up` runs the program through Pulumi's ts-node without a type check (tsconfig's noCheck becomes ts-node's
// transpileOnly), so the type check must live in `npm run build` / `npm test`: prove it still fails on a type
// error, on a copy of the project with one injected.
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../harness/program";

const copy = mkdtempSync(join(tmpdir(), "memcached-gke-typecheck-"));
afterAll(() => rmSync(copy, { recursive: true, force: true }));

function build(dir: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile("npm", ["run", "--silent", "build"], { cwd: dir, timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, output: stdout + stderr }),
    );
  });
}

describe("type checking", () => {
  it("pulumi up skips it (tsconfig noCheck), npm run build does not", () => {
    expect(JSON.parse(readFileSync(join(ROOT, "tsconfig.json"), "utf8")).compilerOptions.noCheck).toBe(true);
    expect(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts.build).toContain("--noCheck false");
  });

  it("npm run build fails on a type error in the program", async () => {
    for (const f of ["index.ts", "components", "lib", "policy", "scripts", "test", "package.json", "tsconfig.json"])
      cpSync(join(ROOT, f), join(copy, f), { recursive: true });
    symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"));
    writeFileSync(
      join(copy, "index.ts"),
      readFileSync(join(copy, "index.ts"), "utf8") + '\nexport const broken: number = "not a number";\n',
    );
    const { code, output } = await build(copy);
    expect(code).not.toBe(0);
    expect(output).toContain("index.ts");
    expect(output).toContain("error TS2322");
  }, 150_000);
});
