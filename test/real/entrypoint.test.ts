// What `pulumi up` runs is pulumi-main.js (package.json "main"; Pulumi.yaml turns ts-node off): on a small
// project holding a copy of it and of tsconfig.json, every run executes the .ts files as they are on disk
// (an edit is never stale), a warm run does not load the transpiler (esbuild), and types are not checked there
// (that is `npm run build`'s job: test/real/typecheck.test.ts).
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { entryPointFiles, nodeArgs, ROOT } from "../support/program";

const dir = mkdtempSync(join(tmpdir(), "memcached-gke-entry-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs Node.js with `args` in `cwd` (a failure's message carries its stderr). */
const node = (args: string[], cwd = dir) => promisify(execFile)(process.execPath, args, { cwd, timeout: 60_000 });
const nodeJson = async <T>(args: string[], cwd = dir): Promise<T> => JSON.parse((await node(args, cwd)).stdout);
/** Runs `script` in `cwd` under Pulumi.yaml's nodeargs (the preload first) and without them. */
const withAndWithoutPreload = <T>(script: string, cwd = ROOT): Promise<[T, T]> =>
  Promise.all([nodeJson<T>([...nodeArgs(), "-e", script], cwd), nodeJson<T>(["-e", script], cwd)]);
/** A file of the installed Pulumi SDK. */
const inPulumiSdk = (...file: string[]) => join(ROOT, "node_modules", "@pulumi", "pulumi", ...file);

/** Runs the entry point as Pulumi's runtime would (require of package.json's main) and reports its exports. */
function run(): Promise<{ exports: unknown; transpilerLoaded: boolean }> {
  return nodeJson(["-e", `const out = require(require("path").resolve(require("./package.json").main));
    const transpilerLoaded = Object.keys(require.cache).some((f) => f.endsWith("/esbuild/lib/main.js"));
    console.log(JSON.stringify({ exports: out, transpilerLoaded }));`]);
}

const cached = () => readdirSync(join(dir, "node_modules", ".cache", "memcached-gke", "ts"));

describe("pulumi-main.js, the program's entry point", () => {
  it("is what package.json names, with Pulumi's own TypeScript support off", () => {
    expect(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).main).toBe("pulumi-main.js");
    expect(parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8")).runtime).toEqual({
      name: "nodejs", options: { typescript: false, nodeargs: "--require ./pulumi-preload.js" },
    });
    expect(entryPointFiles()).toEqual(["pulumi-main.js", "pulumi-preload.js"]); // what the e2e's projects and this test link
  });

  it("Pulumi.yaml's nodeargs, run in the project directory, turn on Node.js's compile cache before anything loads", async () => {
    const script = 'console.log(JSON.stringify([require("node:module").getCompileCacheDir(), Object.keys(require.cache).length]))';
    const [cacheDir, modulesLoaded] = await nodeJson<[string, number]>([...nodeArgs(), "-e", script], ROOT);
    expect(cacheDir.startsWith(join(ROOT, "node_modules", ".cache", "memcached-gke", "v8"))).toBe(true);
    expect(modulesLoaded).toBe(1); // the preload itself
  });

  it("the preload defers the TypeScript compiler and Arborist, which @pulumi/pulumi loads at once, to their first use", async () => {
    const script = `(async () => {
      const loaded = () => ["/node_modules/typescript/", "/node_modules/@npmcli/arborist/"]
        .filter((dir) => Object.keys(require.cache).some((f) => f.includes(dir)));
      const pulumi = require("@pulumi/pulumi");
      const atLoad = loaded();
      const fn = await pulumi.runtime.serializeFunction(() => 42);
      const afterSerializeFunction = loaded();
      const codePaths = [...(await pulumi.runtime.computeCodePaths()).keys()];
      console.log(JSON.stringify({ atLoad, afterSerializeFunction, afterComputeCodePaths: loaded(), fn: fn.text, codePaths }));
    })()`;
    type Run = { atLoad: string[]; afterSerializeFunction: string[]; afterComputeCodePaths: string[]; fn: string; codePaths: string[] };
    const [deferred, eager] = await withAndWithoutPreload<Run>(script);
    const both = ["/node_modules/typescript/", "/node_modules/@npmcli/arborist/"];
    expect(eager.atLoad).toEqual(both); // what the SDK does on its own: if it stops, the deferral is to be removed
    expect(deferred).toEqual({
      atLoad: [], afterSerializeFunction: ["/node_modules/typescript/"], afterComputeCodePaths: both, fn: eager.fn, codePaths: eager.codePaths,
    });
    expect(eager.fn).toContain("return () => 42;");
    expect(eager.codePaths.length).toBeGreaterThan(0);
  });

  it("the preload defers OpenTelemetry's SDK, which Pulumi's runner imports on every run, to the start of tracing", async () => {
    const tracing = inPulumiSdk("cmd", "run", "tracing.js");
    const script = `const loaded = () => [...new Set(Object.keys(require.cache)
        .map((f) => /node_modules\\/@opentelemetry\\/([^/]+)\\//.exec(f)?.[1]).filter((name) => name && name !== "api"))].sort();
      const tracing = require(${JSON.stringify(tracing)});
      const atLoad = loaded();
      tracing.start("http://127.0.0.1:9/api/v2/spans"); // nothing is sent: no span ends
      const { traceId } = tracing.newSpan("step").spanContext();
      console.log(JSON.stringify({ atLoad, afterStart: loaded(), traced: /^[0-9a-f]{32}$/.test(traceId) && !/^0+$/.test(traceId) }));`;
    type Run = { atLoad: string[]; afterStart: string[]; traced: boolean };
    const [deferred, eager] = await withAndWithoutPreload<Run>(script);
    const sdk = ["exporter-zipkin", "instrumentation", "instrumentation-grpc", "resources", "sdk-trace-base", "sdk-trace-node"];
    expect(eager.atLoad).toEqual(expect.arrayContaining(sdk)); // what the runner does on its own
    expect(eager.traced).toBe(true);
    expect(deferred).toEqual({ atLoad: [], afterStart: eager.afterStart, traced: true });
  });

  it("runs index.ts and what it imports, transpiled, and caches each file", async () => {
    for (const f of [...entryPointFiles(), "tsconfig.json", "package.json"]) copyFileSync(join(ROOT, f), join(dir, f));
    mkdirSync(join(dir, "node_modules"));
    symlinkSync(join(ROOT, "node_modules", "esbuild"), join(dir, "node_modules", "esbuild"));
    mkdirSync(join(dir, "lib"));
    writeFileSync(join(dir, "index.ts"), 'import { replicas } from "./lib/size";\nexport const pods: number = replicas * 2;\n');
    writeFileSync(join(dir, "lib", "size.ts"), "export const replicas: number = 3;\n");
    expect(await run()).toEqual({ exports: { pods: 6 }, transpilerLoaded: true });
    expect(cached().length).toBe(2);
  });

  it("a second run does not load the transpiler", async () => {
    expect(await run()).toEqual({ exports: { pods: 6 }, transpilerLoaded: false });
  });

  it("an edit is what the next run executes (no stale output)", async () => {
    writeFileSync(join(dir, "lib", "size.ts"), "export const replicas: number = 5;\n");
    expect(await run()).toEqual({ exports: { pods: 10 }, transpilerLoaded: true });
    expect(cached().length).toBe(3);
  });

  it("does not type-check: a type error still runs here (npm run build and CI refuse it)", async () => {
    writeFileSync(join(dir, "lib", "size.ts"), 'export const replicas: number = 4;\nexport const wrong: number = "x";\n');
    expect((await run()).exports).toEqual({ pods: 8 });
  });

  it("`node pulumi-main.js` (npm ci runs it: \"prepare\") caches every file the program imports, without running it", async () => {
    expect(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts.prepare).toBe("node pulumi-main.js");
    writeFileSync(join(dir, "lib", "zones.ts"), "export const zones: number = 3;\n");
    writeFileSync(join(dir, "index.ts"), 'import { writeFileSync } from "node:fs";\nimport { replicas } from "./lib/size";\n' +
      'import { zones } from "./lib/zones";\nwriteFileSync("ran", "");\nexport const pods: number = replicas * zones;\n');
    await node(["pulumi-main.js"]);
    expect(existsSync(join(dir, "ran"))).toBe(false);
    expect(await run()).toEqual({ exports: { pods: 12 }, transpilerLoaded: false });
    expect(existsSync(join(dir, "ran"))).toBe(true);
  });

  it("a file esbuild cannot parse does not fail `npm ci`: the warm-up says so and exits 0", async () => {
    writeFileSync(join(dir, "lib", "zones.ts"), "export const zones: number = (3;\n");
    const { stderr } = await node(["pulumi-main.js"]);
    expect(stderr).toContain("[pulumi-main] caches not warmed (the first `pulumi up` fills them): Build failed with 1 error");
    writeFileSync(join(dir, "lib", "zones.ts"), "export const zones: number = 3;\n");
  });

  // Pulumi's runner registers source-map-support before it loads the program, unless the preload ran first (next
  // test); either way the preload, which pulumi-main.js requires, takes stack formatting over so that only the
  // program's own frames are mapped (README, "Deploy speed").
  it("under Pulumi's source-map-support, maps the program's frames to .ts lines and leaves other frames as they run", async () => {
    const pkg = join(dir, "node_modules", "captured");
    mkdirSync(pkg);
    // A dependency whose source map moves its line 1 to line 40 of a .ts file, for whatever applies it.
    writeFileSync(join(pkg, "index.js"), 'exports.stack = () => new Error("where").stack;\n//# sourceMappingURL=index.js.map\n');
    writeFileSync(join(pkg, "index.js.map"), JSON.stringify({ version: 3, file: "index.js", sources: ["index.ts"], names: [], mappings: "AAuCA" }));
    writeFileSync(join(dir, "index.ts"), 'import { stack } from "captured";\ninterface Shape { lines: number }\n\nexport const trace: string = stack();\n');
    const register = `require(${JSON.stringify(require.resolve("source-map-support/register", { paths: [inPulumiSdk()] }))});`;
    const stackOf = (expression: string) => nodeJson<string>(["-e", `${register} console.log(JSON.stringify(${expression}));`]);
    // Without pulumi-main.js, source-map-support maps the dependency's frame (what this test must tell apart).
    expect(await stackOf('require("captured").stack()')).toContain(`${join(pkg, "index.ts")}:40:`);
    const frames = (await stackOf('require("./pulumi-main.js").trace')).split("\n");
    expect(frames[0]).toBe("Error: where");
    expect(frames[1]).toContain(`(${join(pkg, "index.js")}:1:`);
    expect(frames[2]).toContain(`(${join(dir, "index.ts")}:4:`);
  });

  it("with the preload run first (nodeargs), the runner's source-map-support is never loaded: no frame is mapped through it", async () => {
    const runnerIndex = inPulumiSdk("cmd", "run", "index.js");
    const script = `require("node:module").createRequire(${JSON.stringify(runnerIndex)})("source-map-support/register");
      console.log(JSON.stringify({
        loaded: Object.keys(require.cache).some((f) => f.includes("/source-map-support/")),
        frame: require("captured").stack().split("\\n")[1],
      }));`;
    const [preloaded, control] = await withAndWithoutPreload<{ loaded: boolean; frame: string }>(script, dir);
    // Without the preload, the runner's request registers source-map-support, which maps the dependency's frame.
    expect(control).toEqual({ loaded: true, frame: expect.stringContaining(`${join(dir, "node_modules", "captured", "index.ts")}:40:`) });
    expect(preloaded).toEqual({
      loaded: false, frame: expect.stringContaining(`(${join(dir, "node_modules", "captured", "index.js")}:1:`),
    });
  });
});
