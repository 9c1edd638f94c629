// Pod-level settings every workload of the stack shares.
import { selectorLabels } from "./labels";
import { mebibytes } from "../quantity";
import { ContainerResources } from "../capacity/workloadResources";

export interface SecurityIds {
  uid: number;
  gid: number;
}

/** Restricted-profile container security context (PSA restricted, K3-K7). */
export function containerSecurityContext(ids: SecurityIds) {
  return {
    runAsNonRoot: true,
    runAsUser: ids.uid,
    runAsGroup: ids.gid,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

export function podSecurityContext(ids: SecurityIds) {
  return {
    runAsNonRoot: true,
    runAsUser: ids.uid,
    runAsGroup: ids.gid,
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/**
 * Guaranteed QoS: requests equal limits, so the pod is the last the kubelet evicts under pressure.
 * Ephemeral storage (logs, emptyDirs) is bounded too, so one pod cannot fill a node's disk.
 */
export function guaranteedResources(r: ContainerResources) {
  const amounts = { cpu: r.cpu, memory: mebibytes(r.memoryMib), "ephemeral-storage": r.ephemeralStorage };
  return { requests: amounts, limits: { ...amounts } };
}

/** One pod per node where possible (K10). */
export function spreadOverNodes(component: string, whenUnsatisfiable: "DoNotSchedule" | "ScheduleAnyway") {
  return [
    {
      maxSkew: 1,
      topologyKey: "kubernetes.io/hostname",
      whenUnsatisfiable,
      labelSelector: { matchLabels: selectorLabels(component) },
    },
  ];
}

/** Pod-level spec of the restricted kind, with the tier's own ServiceAccount and no API token. */
export function podBase(serviceAccountName: string, ids: SecurityIds) {
  return {
    serviceAccountName,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: podSecurityContext(ids),
  };
}
