// What `pulumi up` and `pulumi preview` run (package.json "main"): index.ts, and every .ts file it imports,
// transpiled with tsconfig.json's options by TypeScript's transpileModule and cached in node_modules/.cache
// under a hash of the file's path and text, tsconfig.json, this file, the compiler's and Node.js's versions.
// So an edit is always what runs (changed text, new key) and a warm run never loads the compiler; Node.js's own compile
// cache keeps the bytecode of what it loads (@pulumi/pulumi, @pulumi/kubernetes, the program). Pulumi.yaml
// turns Pulumi's ts-node off (runtime option typescript: false). Types are checked by `npm run build`,
// `npm test` and CI, not here. See README, "Deploy speed".
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const nodeModule = require("node:module");
const path = require("node:path");

const cacheRoot = path.join(__dirname, "node_modules", ".cache", "memcached-gke");
nodeModule.enableCompileCache?.(path.join(cacheRoot, "v8"));
// The transpiled files carry inline source maps, but Node.js applies them only with --enable-source-maps
// (NODE_OPTIONS): turned on here it would also parse every .js.map of @pulumi/* on load (0.07-0.1 s).

const tsconfigPath = path.join(__dirname, "tsconfig.json");
const tsconfigText = fs.readFileSync(tsconfigPath, "utf8");
// Whatever decides the output: tsconfig.json, this file (its own options), the compiler's and Node's versions.
const salt = [tsconfigText, fs.readFileSync(__filename, "utf8"), require("typescript/package.json").version, process.version].join("\0");
let compilerOptions;

function transpile(file, source) {
  const ts = require("typescript");
  compilerOptions ??= {
    ...ts.convertCompilerOptionsFromJson(ts.parseConfigFileTextToJson(tsconfigPath, tsconfigText).config.compilerOptions, __dirname).options,
    // No outDir: the inline map must name the .ts file beside the module, not one relative to bin/.
    outDir: undefined, sourceMap: false, inlineSourceMap: true, inlineSources: true,
  };
  return ts.transpileModule(source, { fileName: file, compilerOptions }).outputText;
}

require.extensions[".ts"] = (module, file) => {
  const source = fs.readFileSync(file, "utf8");
  const key = crypto.createHash("sha256").update([salt, file, source].join("\0")).digest("hex");
  const cached = path.join(cacheRoot, "ts", `${key}.js`);
  let js;
  try {
    js = fs.readFileSync(cached, "utf8");
  } catch {
    js = transpile(file, source);
    fs.mkdirSync(path.dirname(cached), { recursive: true });
    fs.writeFileSync(`${cached}.${process.pid}`, js);
    fs.renameSync(`${cached}.${process.pid}`, cached);
  }
  module._compile(js, file);
};

module.exports = require("./index.ts");
