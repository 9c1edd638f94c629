// Container images for the real-pods e2e, without a registry: root filesystems assembled from this machine's
// Debian binaries (with the libraries `ldd` lists) and the Go-built programs, written as docker-archive
// tarballs and imported into containerd. Every one is a STAND-IN; `STAND_INS` says what each really is.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { DEFAULTS } from "../../lib/config/schema";

export const PAUSE_IMAGE = "localhost/realpods/pause:e2e";
export const COREDNS_IMAGE = "localhost/realpods/coredns:e2e";
/** Not mcrouter: see scripts/realpods/go/mcrouter-standin. The real-pods stack sets mcrouter.image to it. */
export const MCROUTER_STANDIN_IMAGE = "localhost/realpods/mcrouter-standin:e2e";
/** Not mcrouter_exporter: the same program run as /mcrouter_exporter. The real-pods stack sets metrics.mcrouterExporterImage to it. */
export const MCROUTER_EXPORTER_STANDIN_IMAGE = "localhost/realpods/mcrouter-exporter-standin:e2e";

interface ImageSpec {
  tag: string;
  /** What it really is, said in the test output and the README. */
  standsInFor: string;
  build: (root: string) => void;
  config: { Entrypoint?: string[]; Cmd?: string[]; User?: string; Env?: string[] };
}

const BUSYBOX = "/bin/busybox";
// Stand-ins under the tags the stack uses (the local stack keeps the defaults), so its pods run unmodified.
const MEMCACHED_IMAGE = DEFAULTS.memcached.image;
const SAMPLE_APP_IMAGE = DEFAULTS.sampleApp.image;
const EXPORTER_IMAGE = DEFAULTS.metrics.memcachedExporterImage;
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

export function imageSpecs(bins: { pause: string; coredns: string; standin: string; exporter: string }): ImageSpec[] {
  return [
    {
      tag: PAUSE_IMAGE,
      standsInFor: "the pod sandbox (registry.k8s.io/pause): a Go pause of this repository",
      build: (root) => place(root, bins.pause, "/pause"),
      config: { Entrypoint: ["/pause"] },
    },
    {
      tag: COREDNS_IMAGE,
      standsInFor: "the cluster DNS: CoreDNS built from Go modules, no forward plugin",
      build: (root) => {
        place(root, bins.coredns, "/coredns");
        addUsers(root, [["coredns", 65532]]);
      },
      config: { Entrypoint: ["/coredns"], User: "65532" },
    },
    {
      tag: MEMCACHED_IMAGE,
      standsInFor: `${MEMCACHED_IMAGE}: Debian's memcached ${debianVersion("memcached")} (glibc) and busybox, with the official image's entrypoint and user`,
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
    {
      tag: SAMPLE_APP_IMAGE,
      standsInFor: `${SAMPLE_APP_IMAGE}: Debian's static busybox ${debianVersion("busybox-static")}`,
      build: (root) => {
        addBusybox(root);
        addUsers(root, [["nobody", 65534]]);
      },
      config: { Cmd: ["sh"] },
    },
    {
      tag: EXPORTER_IMAGE,
      standsInFor: `${EXPORTER_IMAGE}: memcached_exporter built from the Go module of that version, as the image holds it (/bin/memcached_exporter, user nobody)`,
      build: (root) => {
        place(root, bins.exporter, "/bin/memcached_exporter");
        addUsers(root, [["nobody", 65534]]);
      },
      config: { Entrypoint: ["/bin/memcached_exporter"], User: "nobody" },
    },
    {
      tag: MCROUTER_STANDIN_IMAGE,
      standsInFor:
        "mcrouter, which cannot be had here: NOT mcrouter, a memcached-protocol forwarder (scripts/realpods/go/mcrouter-standin) run as `mcrouter`, with Debian's bash",
      build: (root) => {
        place(root, bins.standin, "/usr/local/bin/mcrouter-standin");
        symlinkSync("mcrouter-standin", join(root, "usr/local/bin/mcrouter"));
        copyWithLibraries(root, "/bin/bash");
        addBusybox(root, ["sh", "timeout", "grep", "cat", "printf"]);
        addUsers(root, [["nobody", 65534]]);
      },
      config: { Entrypoint: ["mcrouter"] },
    },
    {
      tag: MCROUTER_EXPORTER_STANDIN_IMAGE,
      standsInFor: `${DEFAULTS.metrics.mcrouterExporterImage}, which cannot be had here: NOT mcrouter_exporter, the stand-in run as /mcrouter_exporter (the image's ENTRYPOINT), serving mcrouter_up and the TKO gauges under the exporter's names`,
      build: (root) => {
        place(root, bins.standin, "/mcrouter_exporter");
        addUsers(root, [["nobody", 65534]]);
      },
      config: { Entrypoint: ["/mcrouter_exporter"] },
    },
  ];
}

function debianVersion(pkg: string): string {
  return execFileSync("dpkg-query", ["-W", "-f", "${Version}", pkg], { encoding: "utf8" }).trim();
}

const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");
const qualified = (tag: string) =>
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
    JSON.stringify([{ Config: configName, RepoTags: [qualified(spec.tag)], Layers: ["layer.tar"] }]),
  );
  const archive = join(workDir, `${name}.tar`);
  execFileSync("tar", ["-C", dir, "-cf", archive, "manifest.json", configName, "layer.tar"]);
  rmSync(dir, { recursive: true, force: true });
  return archive;
}
