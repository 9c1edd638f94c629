// Value checks of the config schema: each returns undefined for a good value, else what is wrong and the fix.
import { cidrInside, DOCUMENTATION_RANGES } from "../gke/requestRules";
import { Check } from "./fields";
import { machineShape } from "../capacity/machineTypes";
import { cpuMillis, memoryMib } from "../quantity";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export const dnsLabel =
  (what: string): Check<string> =>
  (v) =>
    DNS_LABEL.test(v)
      ? undefined
      : `is not a valid ${what} (lowercase letters, digits and '-', at most 63, starting and ending with a letter or digit)`;

/** Namespaces Kubernetes and GKE own: the stack must not put its tiers there. */
const RESERVED_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];
export const namespaceName: Check<string> = (v) => {
  if (RESERVED_NAMESPACES.includes(v) || v.startsWith("gke-") || v.startsWith("gmp-")) {
    return "is reserved (default, kube-*, gke-*, gmp-* belong to Kubernetes and GKE); pick a dedicated namespace";
  }
  return dnsLabel("namespace name")(v);
};

export const clusterDomain: Check<string> = (v) =>
  v.split(".").every((label) => DNS_LABEL.test(label))
    ? undefined
    : "is not a DNS domain of non-empty labels (e.g. cluster.local)";

export const clusterName: Check<string> = (v) =>
  v === "" || /^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/.test(v)
    ? undefined
    : "is not a valid GKE cluster name (lowercase letters, digits, '-', at most 40, starting with a letter)";

/** GCP project ids: 6-30 of lowercase letters, digits and '-', starting with a letter, not ending with '-'. */
export const projectId: Check<string> = (v) =>
  /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/.test(v)
    ? undefined
    : "is not a GCP project id (6-30 lowercase letters, digits and '-', starting with a letter); use the id, not the name or number";

export const positiveCpu: Check<string> = (v) => {
  const millis = cpuMillis(v);
  if (Number.isNaN(millis)) return "is not a CPU quantity such as 250m or 1";
  return millis > 0 ? undefined : "must be more than 0; give the CPU the container needs, e.g. 250m";
};

export const machineType: Check<string> = (v) => {
  const shape = machineShape(v);
  return typeof shape !== "string" ? undefined : shape.startsWith("is ") ? shape : `cannot be sized: ${shape}`;
};

export const hhmm: Check<string> = (v) =>
  /^([01][0-9]|2[0-3]):[0-5][0-9]$/.test(v) ? undefined : "is not HH:MM (UTC), e.g. 03:00";

/** An image reference pinned by tag (not `latest`) or by digest. */
export const pinnedImage: Check<string> = (v) =>
  /^[a-z0-9][a-z0-9._/:-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$/.test(v) && !v.endsWith(":latest")
    ? undefined
    : "is not pinned: give an explicit tag other than latest, or a @sha256 digest";

export interface Cidr {
  octets: number[];
  prefix: number;
}

export function parseCidr(v: string): Cidr | string {
  const m = /^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\/([0-9]{1,2})$/.exec(v);
  if (!m) return "is not an IPv4 CIDR such as 10.20.0.0/16";
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255)) return "has an octet above 255; each of the four numbers is 0-255";
  if (prefix > 32) return "has a prefix length above 32";
  const address = octets.reduce((a, o) => a * 256 + o, 0);
  const hostBits = 2 ** (32 - prefix);
  if (address % hostBits !== 0) {
    const network = address - (address % hostBits);
    return `has host bits set; the network is ${[24, 16, 8, 0].map((s) => Math.floor(network / 2 ** s) % 256).join(".")}/${prefix}`;
  }
  return { octets, prefix };
}

/** A network allowed to reach the control plane: a real one, not everyone and not a documentation range. */
export const cidr: Check<string> = (v) => {
  const c = parseCidr(v);
  if (typeof c === "string") return c;
  if (c.prefix === 0)
    return "authorizes every address; list your admin or CI networks, or use cluster.controlPlaneEndpoint dns";
  const range = DOCUMENTATION_RANGES.find((d) => cidrInside(v, d));
  return range
    ? `is in ${range}, a documentation range (RFC 5737) that no real network uses: replace it with the egress CIDR of your admin or CI network, or leave the list empty with cluster.controlPlaneEndpoint dns`
    : undefined;
};

/** The control plane's peering range of a private cluster: a /28 in RFC 1918 space. */
export const privateSlash28: Check<string> = (v) => {
  const c = parseCidr(v);
  if (typeof c === "string") return c;
  if (c.prefix !== 28) return "must be a /28 (GKE's control-plane range), e.g. 172.16.0.32/28";
  const [a, b] = c.octets;
  const isPrivate = a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
  return isPrivate ? undefined : "is not in a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)";
};

/** Memory quantities as `kubectl describe node` prints them. */
export const memoryQuantity: Check<string> = (v) =>
  Number.isNaN(memoryMib(v)) ? "is not a memory quantity such as 6055Mi or 6218300Ki" : undefined;

/** `check`, for a field where empty means "not set". */
export const optional =
  (check: Check<string>): Check<string> =>
  (v) =>
    v === "" ? undefined : check(v);
