// Container images for the sandbox's node, without a registry: root filesystems assembled from this machine's
// Debian binaries (with the libraries `ldd` lists) and the Go-built programs, written as docker-archive tarballs
// and imported into containerd. Every one is a STAND-IN, and says what it really is.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { DEFAULTS } from "../lib/config/schema";

export const PAUSE_IMAGE = "localhost/sandbox/pause:local";
export const COREDNS_IMAGE = "localhost/sandbox/coredns:local";
/** Not mcrouter: see sandbox/go/mcrouter-standin. */
const MCROUTER_STANDIN_IMAGE = "localhost/sandbox/mcrouter-standin:local";
/** Not mcrouter_exporter: the same program run as /mcrouter_exporter. */
const MCROUTER_EXPORTER_STANDIN_IMAGE = "localhost/sandbox/mcrouter-exporter-standin:local";

export interface ImageSpec {
  tag: string;
  /** What it really is, said in the test output and the README. */
  standsInFor: string;
  build: (root: string) => void;
  config: { Entrypoint?: string[]; Cmd?: string[]; User?: string; Env?: string[] };
}

const BUSYBOX = "/bin/busybox";
const PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Copies a binary and every shared library it loads (as `ldd` lists them) to the same paths under root. */
function copyWithLibraries(root: string, binary: string, as = binary): void {
  place(root, binary, as);
  const ldd = execFileSync("ldd", [binary], { encoding: "utf8" });
  for (const m of ldd.matchAll(/(\/\S+) \(0x/g)) place(root, m[1], m[1]);
}

function place(root: string, from: string, to: string): void {
  const target = join(root, to);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(execFileSync("readlink", ["-f", from], { encoding: "utf8" }).trim(), target);
  chmodSync(target, 0o755);
}

/** Debian's static busybox, with a link per applet (sh, nc, timeout, httpd, ...). */
function addBusybox(root: string, applets?: string[]): void {
  place(root, BUSYBOX, "/bin/busybox");
  const all = applets ?? execFileSync(BUSYBOX, ["--list"], { encoding: "utf8" }).split("\n").filter(Boolean);
  for (const applet of all.filter((a) => a !== "busybox")) {
    try {
      symlinkSync("busybox", join(root, "bin", applet));
    } catch {
      /* already there */
    }
  }
}

function addFile(root: string, path: string, content: string, mode = 0o644): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content, { mode });
}

function addUsers(root: string, users: Array<[string, number]>): void {
  addFile(
    root,
    "/etc/passwd",
    ["root:x:0:0:root:/root:/bin/sh", ...users.map(([n, id]) => `${n}:x:${id}:${id}::/nonexistent:/bin/false`)].join(
      "\n",
    ) + "\n",
  );
  addFile(root, "/etc/group", ["root:x:0:", ...users.map(([n, id]) => `${n}:x:${id}:`)].join("\n") + "\n");
  mkdirSync(join(root, "tmp"), { recursive: true, mode: 0o1777 });
  chmodSync(join(root, "tmp"), 0o1777);
}

/** Where scripts/build-tools.sh put the programs the images carry. */
export interface ImageBins {
  /** SANDBOX_BIN: CoreDNS. */
  node: string;
  /** SANDBOX_OWN_BIN: pause, the mcrouter stand-in. */
  own: string;
  /** MEMCACHED_EXPORTER_BIN: memcached_exporter. */
  exporter: string;
}

/** The directories scripts/build-tools.sh exported (empty where it has not run). */
export const imageBinsFromEnv = (): ImageBins => ({
  node: process.env.SANDBOX_BIN ?? "",
  own: process.env.SANDBOX_OWN_BIN ?? "",
  exporter: process.env.MEMCACHED_EXPORTER_BIN ?? "",
});

/** The node's own images: the pod sandbox and the cluster DNS. */
export function nodeImageSpecs(bins: Pick<ImageBins, "node" | "own">): ImageSpec[] {
  return [
    {
      tag: PAUSE_IMAGE,
      standsInFor: "the pod sandbox (registry.k8s.io/pause): a Go pause of this repository",
      build: (root) => place(root, join(bins.own, "pause"), "/pause"),
      config: { Entrypoint: ["/pause"] },
    },
    {
      tag: COREDNS_IMAGE,
      standsInFor: "the cluster DNS: CoreDNS built from Go modules, no forward plugin",
      build: (root) => {
        place(root, join(bins.node, "coredns"), "/coredns");
        addUsers(root, [["coredns", 65532]]);
      },
      config: { Entrypoint: ["/coredns"], User: "65532" },
    },
  ];
}

/** An image the stack runs, named by a config key, and what stands in for it where the node cannot have it. */
export interface WorkloadImage {
  /** The config key that names it: `<section>.<field>`. */
  key: string;
  /** The image the stack names (the key's default). */
  ref: string;
  /**
   * The stand-in. Under the image's own name where it is the same program (memcached, busybox, the memcached
   * exporter: another build of it); under a name of its own, which the key is then set to, where it is not.
   */
  standIn: ImageSpec;
}

/** Every image of the stack with its stand-in: the one declaration `npm start` and the real-pods tests use. */
export function workloadImages(bins: ImageBins): WorkloadImage[] {
  return [
    {
      key: "memcached.image",
      ref: DEFAULTS.memcached.image,
      standIn: {
        tag: DEFAULTS.memcached.image,
        standsInFor: `${DEFAULTS.memcached.image}: Debian's memcached ${debianVersion("memcached")} (glibc) and busybox, with the official image's entrypoint and user`,
        build: (root) => {
          copyWithLibraries(root, "/usr/bin/memcached", "/usr/local/bin/memcached");
          addBusybox(root, ["sh", "nc", "timeout", "grep", "printf", "cat", "dd"]);
          addUsers(root, [["memcache", 11211]]);
          // The official image's entrypoint: arguments that start with "-" are memcached's.
          addFile(
            root,
            "/usr/local/bin/docker-entrypoint.sh",
            '#!/bin/sh\nset -e\nif [ "${1#-}" != "$1" ]; then set -- memcached "$@"; fi\nexec "$@"\n',
            0o755,
          );
        },
        config: { Entrypoint: ["docker-entrypoint.sh"], Cmd: ["memcached"], User: "memcache" },
      },
    },
    {
      key: "sampleApp.image",
      ref: DEFAULTS.sampleApp.image,
      standIn: {
        tag: DEFAULTS.sampleApp.image,
        standsInFor: `${DEFAULTS.sampleApp.image}: Debian's static busybox ${debianVersion("busybox-static")}`,
        build: (root) => {
          addBusybox(root);
          addUsers(root, [["nobody", 65534]]);
        },
        config: { Cmd: ["sh"] },
      },
    },
    {
      key: "metrics.memcachedExporterImage",
      ref: DEFAULTS.metrics.memcachedExporterImage,
      standIn: {
        tag: DEFAULTS.metrics.memcachedExporterImage,
        standsInFor: `${DEFAULTS.metrics.memcachedExporterImage}: memcached_exporter built from the Go module of that version, as the image holds it (/bin/memcached_exporter, user nobody)`,
        build: (root) => {
          place(root, join(bins.exporter, "memcached_exporter"), "/bin/memcached_exporter");
          addUsers(root, [["nobody", 65534]]);
        },
        config: { Entrypoint: ["/bin/memcached_exporter"], User: "nobody" },
      },
    },
    {
      key: "mcrouter.image",
      ref: DEFAULTS.mcrouter.image,
      standIn: {
        tag: MCROUTER_STANDIN_IMAGE,
        standsInFor:
          `${DEFAULTS.mcrouter.image}: NOT mcrouter, a memcached-protocol forwarder (sandbox/go/mcrouter-standin) run as ` +
          "`mcrouter`, with Debian's bash; it hashes keys with FNV, not mcrouter's ch3",
        build: (root) => {
          place(root, join(bins.own, "mcrouter-standin"), "/usr/local/bin/mcrouter-standin");
          symlinkSync("mcrouter-standin", join(root, "usr/local/bin/mcrouter"));
          copyWithLibraries(root, "/bin/bash");
          addBusybox(root, ["sh", "timeout", "grep", "cat", "printf"]);
          addUsers(root, [["nobody", 65534]]);
        },
        config: { Entrypoint: ["mcrouter"] },
      },
    },
    {
      key: "metrics.mcrouterExporterImage",
      ref: DEFAULTS.metrics.mcrouterExporterImage,
      standIn: {
        tag: MCROUTER_EXPORTER_STANDIN_IMAGE,
        standsInFor: `${DEFAULTS.metrics.mcrouterExporterImage}: NOT mcrouter_exporter, the mcrouter stand-in run as /mcrouter_exporter (the image's ENTRYPOINT), serving mcrouter_up and the TKO gauges under the exporter's names`,
        build: (root) => {
          place(root, join(bins.own, "mcrouter-standin"), "/mcrouter_exporter");
          addUsers(root, [["nobody", 65534]]);
        },
        config: { Entrypoint: ["/mcrouter_exporter"] },
      },
    },
  ];
}

/** The config overrides that point the stack at the stand-ins whose names are their own. */
export const standInConfig = (standIns: WorkloadImage[]): Record<string, Record<string, string>> => {
  const sections: Record<string, Record<string, string>> = {};
  for (const image of standIns.filter((i) => i.standIn.tag !== i.ref)) {
    const [section, field] = image.key.split(".");
    (sections[section] ??= {})[field] = image.standIn.tag;
  }
  return sections;
};

function debianVersion(pkg: string): string {
  return execFileSync("dpkg-query", ["-W", "-f", "${Version}", pkg], { encoding: "utf8" }).trim();
}

const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");
/** containerd's full name of an image reference (Docker Hub's short names qualified). */
export const qualifiedRef = (tag: string) =>
  /^[^/]+\.[^/]+\//.test(tag) || tag.startsWith("localhost/")
    ? tag
    : `docker.io/${tag.includes("/") ? "" : "library/"}${tag}`;

/** Writes one image as a docker-archive tarball (one layer) and returns its path. */
export function writeImage(workDir: string, spec: ImageSpec): string {
  const name = sha256(spec.tag).slice(0, 12);
  const root = join(workDir, name, "rootfs");
  rmSync(join(workDir, name), { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  spec.build(root);
  const dir = join(workDir, name);
  execFileSync("tar", [
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    "--sort=name",
    "--mtime=@0",
    "-C",
    root,
    "-cf",
    join(dir, "layer.tar"),
    ".",
  ]);
  const layerSum = sha256(readFileSync(join(dir, "layer.tar")));
  const config = JSON.stringify({
    architecture: "amd64",
    os: "linux",
    config: { Env: [PATH_ENV], WorkingDir: "/", ...spec.config },
    rootfs: { type: "layers", diff_ids: [`sha256:${layerSum}`] },
  });
  const configName = `${sha256(config)}.json`;
  writeFileSync(join(dir, configName), config);
  writeFileSync(
    join(dir, "manifest.json"),
    JSON.stringify([{ Config: configName, RepoTags: [qualifiedRef(spec.tag)], Layers: ["layer.tar"] }]),
  );
  const archive = join(workDir, `${name}.tar`);
  execFileSync("tar", ["-C", dir, "-cf", archive, "manifest.json", configName, "layer.tar"]);
  rmSync(dir, { recursive: true, force: true });
  return archive;
}
