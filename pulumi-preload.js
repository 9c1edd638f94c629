// Run by Node.js before Pulumi's runner loads anything (Pulumi.yaml: `nodeargs: --require ./pulumi-preload.js`;
// Pulumi's language host starts Node.js in the project directory), and first thing by pulumi-main.js. It turns
// on Node.js's compile cache, which keeps the V8 bytecode of the modules a run loads: `require("@pulumi/pulumi")`
// alone took 0.5 s here, 0.3-0.4 s from the cache. `npm ci` fills it (pulumi-main.js, run as "prepare").
"use strict";
const path = require("node:path");

exports.cacheRoot = path.join(__dirname, "node_modules", ".cache", "memcached-gke");
// @pulumi/pulumi turns this V8 flag on as it loads (closure serialization), and V8 rejects bytecode cached under
// other flags: on before anything compiles, every run, and `npm ci`'s, caches under the same flags.
require("node:v8").setFlagsFromString("--allow-natives-syntax");
require("node:module").enableCompileCache?.(path.join(exports.cacheRoot, "v8"));
