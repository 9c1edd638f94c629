// Run by Node.js before Pulumi's runner loads anything (Pulumi.yaml: `nodeargs: --require ./pulumi-preload.js`;
// Pulumi's language host starts Node.js in the project directory), and first thing by pulumi-main.js. It turns
// on Node.js's compile cache, formats stack traces, and keeps modules that every run loaded and this program
// never uses from loading. Each is measured in README, "Deploy speed".
"use strict";
const path = require("node:path");
const Module = require("node:module");

// The compile cache keeps the V8 bytecode of the modules a run loads. `npm ci` fills it (pulumi-main.js, run as
// "prepare").
exports.cacheRoot = path.join(__dirname, "node_modules", ".cache", "memcached-gke");
// @pulumi/pulumi turns this V8 flag on as it loads (closure serialization), and V8 rejects bytecode cached under
// other flags: on before anything compiles, every run, and `npm ci`'s, caches under the same flags.
require("node:v8").setFlagsFromString("--allow-natives-syntax");
Module.enableCompileCache?.(path.join(exports.cacheRoot, "v8"));

// Stack traces: the SDK captures one for every RPC promise and a whole one per resource (its source position).
// Pulumi's runner registers source-map-support (kept from loading below), which maps each frame through the
// .js.map files of @pulumi/* (0.2 s of a 2.3 s `pulumi preview`, measured); Node.js's --enable-source-maps would
// parse those maps on load (0.07-0.1 s). Here only this program's frames are mapped, by the inline maps of its transpiled files
// (pulumi-main.js hands them over); other frames stay as V8 prints them.
const transpiledText = new Map(); // .ts file -> the JavaScript that ran, replaced by its SourceMap on first use
/** Records the JavaScript that runs for a .ts file of the program, so that its frames name .ts lines. */
exports.programFile = (file, javascript) => transpiledText.set(file, javascript);
function sourceMapOf(file) {
  let map = transpiledText.get(file);
  if (typeof map === "string") {
    const inline = /\/\/# sourceMappingURL=data:application\/json;base64,(\S+)\s*$/.exec(map);
    map = inline ? new Module.SourceMap(JSON.parse(Buffer.from(inline[1], "base64").toString())) : undefined;
    transpiledText.set(file, map);
  }
  return map;
}
Error.prepareStackTrace = (error, callSites) => {
  let header;
  try { header = Error.prototype.toString.call(error); } catch { header = "Error"; }
  return [header, ...callSites.map((site) => {
    const frame = `    at ${site}`;
    const file = site.getFileName();
    const map = file && sourceMapOf(file);
    if (!map) return frame;
    const [line, column] = [site.getLineNumber(), site.getColumnNumber()];
    const origin = map.findOrigin(line, column);
    return origin.lineNumber ? frame.replace(`${file}:${line}:${column}`, `${file}:${origin.lineNumber}:${origin.columnNumber}`) : frame;
  })].join("\n");
};

/** A stand-in for a module, which loads it on first use. */
function loadedOnFirstUse(load) {
  let loaded;
  const real = () => (loaded ??= load());
  return new Proxy({}, {
    // The SDK imports Arborist with TypeScript's `__importStar`, which would copy every export now; a module
    // that says it is an ES module is used as it is, and its exports are read on use.
    get: (_, key) => (key === "__esModule" ? true : Reflect.get(real(), key)),
    has: (_, key) => Reflect.has(real(), key),
    ownKeys: () => Reflect.ownKeys(real()),
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(real(), key);
      return descriptor && { ...descriptor, configurable: true }; // a Proxy may not report what its target lacks as fixed
    },
  });
}

/** A stand-in for a module whose exports are only called or constructed: each loads the module on first use. */
function exportsLoadedOnFirstUse(load) {
  let loaded;
  const real = (key) => (loaded ??= load())[key];
  return new Proxy({}, {
    get: (_, key) => new Proxy(function standIn() {}, {
      apply: (_, thisArg, args) => Reflect.apply(real(key), thisArg, args),
      construct: (_, args) => Reflect.construct(real(key), args),
      get: (_, property) => Reflect.get(real(key), property),
    }),
  });
}

// Keyed by the request (looked up on every require) and matched by the file that makes it, so nothing else is
// affected; a module that is not installed still fails where it did (TypeScript's shim then falls back to its
// vendored copy).
const inPulumiSdk = (...file) => path.join("node_modules", "@pulumi", "pulumi", ...file);
const STAND_INS = new Map([
  // `require("@pulumi/pulumi")` loads its function serialization (runtime/closure), which loads the TypeScript
  // compiler and npm's Arborist at once, though only `serializeFunction` and `computeCodePaths` use them: 0.3-0.5 s
  // of every `pulumi up` and `preview` here.
  ["typescript", { from: inPulumiSdk("typescript-shim.js"), standIn: loadedOnFirstUse }],
  ["@npmcli/arborist", { from: inPulumiSdk("runtime", "closure", "codePaths.js"), standIn: loadedOnFirstUse }],
  // The runner's tracing module imports OpenTelemetry's SDK on every run and uses it only to start tracing
  // (`pulumi up --tracing`): 0.05-0.07 s.
  ...["resources", "sdk-trace-base", "exporter-zipkin", "instrumentation-grpc", "sdk-trace-node", "instrumentation"].map((name) =>
    [`@opentelemetry/${name}`, { from: inPulumiSdk("cmd", "run", "tracing.js"), standIn: exportsLoadedOnFirstUse }]),
  // The runner's source-map-support would replace the stack formatting above for the whole run: this preload,
  // which set it, runs before the runner and only once.
  ["source-map-support/register", { from: inPulumiSdk("cmd", "run", "index.js"), standIn: () => ({}) }],
]);
const load = Module._load;
Module._load = function loadOrStandIn(request, parent, isMain) {
  const match = STAND_INS.get(request);
  if (!match || !parent?.filename?.endsWith(match.from)) return load.apply(this, arguments);
  Module._resolveFilename(request, parent, isMain);
  return match.standIn(() => load.call(this, request, parent, isMain));
};
