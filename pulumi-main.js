// What `pulumi up` and `pulumi preview` run (package.json "main"): index.ts, and every .ts file it imports,
// transpiled by esbuild with tsconfig.json's options and cached in node_modules/.cache under a hash of the
// file's path and text, tsconfig.json, this file, esbuild's and Node.js's versions. So an edit is always
// what runs (changed text, new key) and a warm run never loads the transpiler. Pulumi.yaml turns Pulumi's
// ts-node off (runtime option typescript: false). Types are checked by `npm run build`, `npm test` and CI,
// not here. See README, "Deploy speed".
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const { cacheRoot, programFile } = require("./pulumi-preload.js"); // already run where Pulumi.yaml's nodeargs are honoured

const tsconfigPath = path.join(__dirname, "tsconfig.json");
const tsconfigText = fs.readFileSync(tsconfigPath, "utf8");
// Whatever decides the output: tsconfig.json, this file (its own options), the transpiler's and Node's versions.
const salt = [tsconfigText, fs.readFileSync(__filename, "utf8"), require("esbuild/package.json").version, process.version].join("\0");

// esbuild's per-file TypeScript transform (the one tsx and Vite run): the program's 31 files in 0.12 s from
// cold, where TypeScript's transpileModule took 0.66 s. Like transpileModule it strips types file by file
// without checking them, following tsconfig.json where the output depends on it (class fields, decorators);
// the target is the Node.js that runs it, so nothing is down-levelled.
function transpile(file, source) {
  return require("esbuild").transformSync(source, {
    loader: "ts", format: "cjs", platform: "node", target: `node${process.versions.node}`,
    sourcefile: file, sourcemap: "inline", tsconfigRaw: tsconfigText,
  }).code;
}

/** The JavaScript for a .ts file: from the cache when its key is there, else transpiled and cached. */
function javascriptOf(file) {
  const source = fs.readFileSync(file, "utf8");
  const key = crypto.createHash("sha256").update([salt, file, source].join("\0")).digest("hex");
  const cached = path.join(cacheRoot, "ts", `${key}.js`);
  try {
    return fs.readFileSync(cached, "utf8");
  } catch {
    const js = transpile(file, source);
    fs.mkdirSync(path.dirname(cached), { recursive: true });
    fs.writeFileSync(`${cached}.${process.pid}`, js);
    fs.renameSync(`${cached}.${process.pid}`, cached);
    return js;
  }
}

require.extensions[".ts"] = (module, file) => {
  const js = javascriptOf(file);
  programFile(file, js);
  module._compile(js, file);
};

/**
 * What `node pulumi-main.js` does, which `npm ci` runs (package.json "prepare"), so that the first `pulumi up` of
 * a fresh checkout finds warm caches: every file the program imports (esbuild follows the imports from index.ts)
 * transpiled, and the packages it imports loaded, so that Node.js caches their bytecode. The program does not run.
 */
function warmCaches() {
  const { metafile } = require("esbuild").buildSync({
    entryPoints: ["index.ts"], absWorkingDir: __dirname, bundle: true, packages: "external", platform: "node",
    write: false, metafile: true, logLevel: "silent",
  });
  const inputs = Object.entries(metafile.inputs).filter(([input]) => input.endsWith(".ts"));
  for (const [input] of inputs) javascriptOf(path.join(__dirname, input));
  const packages = new Set(inputs.flatMap(([, { imports }]) =>
    imports.filter((i) => i.external && /^[@\w]/.test(i.path) && !i.path.startsWith("node:")).map((i) => i.path)));
  // Pulumi's runner loads its tracing module and OpenTelemetry's API on every run, traced or not (its index.js
  // would start a run, so only that module is loaded here).
  packages.add("@pulumi/pulumi/cmd/run/tracing");
  for (const name of packages) require(name);
  return `${inputs.length} files of the program transpiled, ${[...packages].join(", ")} loaded, into ${cacheRoot}`;
}

if (require.main === module) {
  try {
    console.log(`[pulumi-main] ${warmCaches()}`);
  } catch (error) {
    // A file esbuild cannot parse must not fail `npm ci`: `pulumi up` reports it where it is.
    console.warn(`[pulumi-main] caches not warmed (the first \`pulumi up\` fills them): ${error.message}`);
  }
} else {
  module.exports = require("./index.ts");
}
