// Scaling memcached 3 -> 10 must be an in-place update: the StatefulSet keeps every immutable field, the
// mcrouter ConfigMap keeps its name (updated in place), and the DaemonSet does not change (no rollout).
import { describe, expect, it } from "vitest";
import { stackConfig } from "../lib/stackFiles";
import { runProgram } from "./harness/mocks";
import { committedStackConfig } from "../lib/stackFiles";

describe.each(["dev", "local"])("%s: memcached.replicas 3 -> 10", async (stack) => {
  const before = await runProgram(stack);
  const memcached = before.one("kubernetes:apps/v1:StatefulSet").inputs;
  const after = await runProgram(stack, {
    "memcached-gke:memcached": { ...(stackConfig(stack)["memcached-gke:memcached"] as object), replicas: 10 },
  });

  it("changes only spec.replicas of the StatefulSet", () => {
    const scaled = after.one("kubernetes:apps/v1:StatefulSet").inputs;
    expect(scaled.spec.replicas).toBe(10);
    expect({ ...scaled, spec: { ...scaled.spec, replicas: 3 } }).toEqual(memcached);
    for (const immutable of ["selector", "serviceName", "podManagementPolicy", "volumeClaimTemplates"]) {
      expect(scaled.spec[immutable], immutable).toEqual(memcached.spec[immutable]);
    }
    expect(scaled.metadata).toEqual(memcached.metadata);
  });

  it("updates the mcrouter ConfigMap under the same name with 10 servers", () => {
    const [cmBefore, cmAfter] = [before, after].map((r) => r.one("kubernetes:core/v1:ConfigMap").inputs);
    expect(cmAfter.metadata).toEqual(cmBefore.metadata);
    expect(JSON.parse(cmAfter.data["config.json"]).pools.memcached.servers).toHaveLength(10);
    expect(after.one("pulumi:providers:kubernetes").inputs.enableConfigMapMutable).toBe("true");
  });

  it("leaves the mcrouter DaemonSet untouched, so its pods are not restarted", () => {
    expect(after.one("kubernetes:apps/v1:DaemonSet").inputs).toEqual(before.one("kubernetes:apps/v1:DaemonSet").inputs);
  });

  it("leaves the cluster and node pool untouched", () => {
    for (const type of ["gcp:container/cluster:Cluster", "gcp:container/nodePool:NodePool"]) {
      expect(after.byType(type).map((r) => r.inputs)).toEqual(before.byType(type).map((r) => r.inputs));
    }
  });
});

describe("dev: cluster-level changes", async () => {
  const before = await runProgram("dev");
  const inputsOf = (run: typeof before, type: string) => run.byType(type).map((r) => r.inputs);

  it("changes only the node pool when the machine type and node count change", async () => {
    // 4 nodes x 2 proxies + 64 still fits the stack's -c 1024.
    const after = await runProgram("dev", {
      "memcached-gke:cluster": {
        ...(stackConfig("dev")["memcached-gke:cluster"] as object),
        machineType: "n2-standard-4",
        nodeCount: 4,
      },
    });
    expect(inputsOf(after, "gcp:container/nodePool:NodePool")[0]).toMatchObject({
      nodeCount: 4,
      nodeConfig: { machineType: "n2-standard-4" },
    });
    expect(inputsOf(after, "gcp:container/cluster:Cluster")).toEqual(inputsOf(before, "gcp:container/cluster:Cluster"));
    expect(inputsOf(after, "pulumi:providers:kubernetes")).toEqual(inputsOf(before, "pulumi:providers:kubernetes"));
  });

  it("keeps the provider's cluster identity when the endpoint and CA change (rotation, upgrade)", async () => {
    // The IP endpoint's address and CA (controlPlaneEndpoint ip), or the DNS endpoint's name, as GKE may change them.
    const ipEndpoint = {
      "memcached-gke:cluster": { ...committedStackConfig("dev")["memcached-gke:cluster"], controlPlaneEndpoint: "ip" },
    };
    // One after the other: the mocks are global.
    const ipBefore = await runProgram("dev", ipEndpoint);
    const rotated = await runProgram("dev", ipEndpoint, {
      "gcp:container/cluster:Cluster": { endpoint: "198.51.100.99", masterAuth: { clusterCaCertificate: "TkVXLUNB" } },
    });
    const movedDns = await runProgram(
      "dev",
      {},
      {
        "gcp:container/cluster:Cluster": {
          controlPlaneEndpointsConfig: { dnsEndpointConfig: { endpoint: "gke-new.us-central1.gke.goog" } },
        },
      },
    );
    const [oldIp, nowIp, old, now] = [ipBefore, rotated, before, movedDns].map(
      (r) => r.one("pulumi:providers:kubernetes").inputs,
    );
    expect(nowIp.kubeconfig.value).toContain("server: https://198.51.100.99");
    expect(nowIp.kubeconfig.value).toContain("certificate-authority-data: TkVXLUNB");
    expect(now.kubeconfig.value).toContain("server: https://gke-new.us-central1.gke.goog");
    expect([nowIp.clusterIdentifier, now.clusterIdentifier]).toEqual([oldIp.clusterIdentifier, old.clusterIdentifier]);
    // The provider diffs on clusterIdentifier, not on the kubeconfig: same identity, no replacement.
  });
});
