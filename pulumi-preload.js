// Run by Node.js before Pulumi's runner loads anything (Pulumi.yaml: `nodeargs: --require ./pulumi-preload.js`;
// Pulumi's language host starts Node.js in the project directory), and first thing by pulumi-main.js. It turns
// on Node.js's compile cache, which keeps the V8 bytecode of the modules a run loads: `require("@pulumi/pulumi")`
// alone took 0.5 s here, 0.3-0.4 s from the cache. `npm ci` fills it (pulumi-main.js, run as "prepare"). It also
// defers two modules that every run loaded and this program never uses (below).
"use strict";
const path = require("node:path");

exports.cacheRoot = path.join(__dirname, "node_modules", ".cache", "memcached-gke");
// @pulumi/pulumi turns this V8 flag on as it loads (closure serialization), and V8 rejects bytecode cached under
// other flags: on before anything compiles, every run, and `npm ci`'s, caches under the same flags.
require("node:v8").setFlagsFromString("--allow-natives-syntax");
require("node:module").enableCompileCache?.(path.join(exports.cacheRoot, "v8"));


// `require("@pulumi/pulumi")` loads its function serialization (runtime/closure), which loads the TypeScript
// compiler and npm's Arborist at once, though only `serializeFunction` and `computeCodePaths` use them: 0.3-0.5 s
// of every `pulumi up` and `preview` here (README, "Deploy speed"). Those two requires get a stand-in that loads
// the module on first use. Matched by the requiring file, so nothing else is affected; a module that is not
// installed still fails where it did (TypeScript's shim then falls back to its vendored copy).
const Module = require("node:module");
const inPulumiSdk = (...file) => path.join("node_modules", "@pulumi", "pulumi", ...file);
const LOADED_ON_FIRST_USE = [
  { request: "typescript", from: inPulumiSdk("typescript-shim.js") },
  { request: "@npmcli/arborist", from: inPulumiSdk("runtime", "closure", "codePaths.js") },
];
const load = Module._load;
Module._load = function loadOrDefer(request, parent, isMain) {
  const deferred = LOADED_ON_FIRST_USE.some((d) => d.request === request && parent?.filename?.endsWith(d.from));
  if (!deferred) return load.apply(this, arguments);
  Module._resolveFilename(request, parent, isMain);
  let loaded;
  const real = () => (loaded ??= load.call(this, request, parent, isMain));
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
};
