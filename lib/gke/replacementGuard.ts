// The provider of the ReplacementGuard (components/replacementGuard.ts): a dynamic resource whose inputs are the
// cluster's identity, checked against the identity it held before. Its `check` runs in `pulumi preview` and before
// any step of `pulumi up`, so a change that would replace the cluster is refused before anything is touched,
// unless the user acknowledged that very change. Self-contained (no imports but types): Pulumi serializes these
// methods into the state and runs them in its dynamic-provider process.
import type * as pulumi from "@pulumi/pulumi";

export interface GuardInputs {
  /** The values that replace the cluster or its pool when they change. */
  identity: Record<string, string>;
  /** identityFingerprint(identity): what acknowledged must equal to let a replacement happen. */
  fingerprint: string;
  /** cluster.acknowledgeReplacement. */
  acknowledged: string;
  /** Per identity field: the config key that sets it and why GKE replaces the cluster for it. */
  fields: Record<string, { key: string; why: string }>;
  /** The key to set to acknowledge. */
  acknowledgeKey: string;
}

/** The refusal for `news` after `olds`, or undefined when nothing replaces the cluster or the user acknowledged it. */
export function replacementRefusal(olds: Partial<GuardInputs>, news: GuardInputs): string | undefined {
  const before = olds.identity;
  if (!before) return undefined;
  const changed = Object.keys(news.identity).filter((k) => before[k] !== undefined && before[k] !== news.identity[k]);
  if (changed.length === 0 || news.acknowledged === news.fingerprint) return undefined;
  const lines = changed.map((k) => {
    const f = news.fields[k];
    return `  ${f?.key ?? k}: ${JSON.stringify(before[k])} -> ${JSON.stringify(news.identity[k])} (${f?.why ?? "replaces the cluster"})`;
  });
  return [
    "this change replaces the GKE cluster and its node pool: every memcached pod, and with it the whole cache, is lost, " +
      "and every object of the stack is created anew on the new cluster:",
    ...lines,
    `To go ahead, run \`pulumi config set --path ${news.acknowledgeKey} ${news.fingerprint}\` and \`pulumi up\` again ` +
      "(on a cluster with deletionProtection, set it to false and `pulumi up` first). Otherwise put the old value back.",
  ].join("\n");
}

export const replacementGuardProvider: pulumi.dynamic.ResourceProvider = {
  async check(olds: Partial<GuardInputs>, news: GuardInputs) {
    const reason = replacementRefusal(olds, news);
    return reason ? { inputs: news, failures: [{ property: "identity", reason }] } : { inputs: news };
  },
  async diff(_id: string, olds: GuardInputs, news: GuardInputs) {
    return { changes: JSON.stringify(olds) !== JSON.stringify(news), replaces: [], deleteBeforeReplace: false };
  },
  async create(inputs: GuardInputs) {
    return { id: "cluster-identity", outs: inputs };
  },
  async update(_id: string, _olds: GuardInputs, news: GuardInputs) {
    return { outs: news };
  },
};
