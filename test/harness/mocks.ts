// Runs the real program (index.ts) under Pulumi's mocks with a committed stack's config, and records
// every resource it registers with its exact inputs.
import * as pulumi from "@pulumi/pulumi";
import { stackConfig } from "../../lib/stackFiles";
import { loadProgramAfresh, ROOT } from "./program";
import { PROJECT_NAME } from "../../lib/project";

export { ROOT };

// Internal to the SDK (not in its typings): resolves once every registration RPC has been answered.
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

export interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, any>;
  provider?: string;
  /**
   * Resource options: the names of the resources it was told to wait for, whether it is protected, and the
   * resource whose deletion takes it along (deletedWith).
   */
  dependsOn: string[];
  protect: boolean;
  deletedWith?: string;
}

const STACK_TYPE = "pulumi:pulumi:Stack";
/** What GKE computes for a cluster's DNS-based control-plane endpoint (its form: gke-<hash>-<project number>.<region>.gke.goog). */
export const DNS_ENDPOINT = "gke-0123456789abcdef0123456789abcdef-123456789012.us-central1.gke.goog";

/** Fake values for what the cloud would compute. */
function computedState(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
  switch (type) {
    case "gcp:serviceaccount/account:Account":
      return { email: `${inputs.accountId}@${inputs.project}.iam.gserviceaccount.com` };
    case "gcp:container/cluster:Cluster":
      return {
        endpoint: "198.51.100.10",
        subnetwork: inputs.subnetwork ?? "default",
        controlPlaneEndpointsConfig: {
          dnsEndpointConfig: { ...inputs.controlPlaneEndpointsConfig?.dnsEndpointConfig, endpoint: DNS_ENDPOINT },
        },
        clusterIpv4Cidr: "10.4.0.0/14",
        masterAuth: { ...inputs.masterAuth, clusterCaCertificate: "Q0EtREFUQQ==" },
      };
    case "gcp:compute/router:Router":
      // The provider names it (autonaming) when the program does not.
      return { name: inputs.name ?? name };
    default:
      return {};
  }
}

export interface ProgramRun {
  resources: Recorded[];
  outputs: Record<string, unknown>;
  /** Names of the stack outputs that are secrets. */
  secretOutputs: string[];
  byType(type: string): Recorded[];
  one(type: string, name?: string): Recorded;
}

/**
 * Runs index.ts with the stack's config (plus `overrides`), recording every resource. `cloud` overrides
 * what the mocked cloud computes, per resource type.
 */
export async function runProgram(
  stack: string,
  overrides: Record<string, unknown> = {},
  cloud: Record<string, Record<string, unknown>> = {},
): Promise<ProgramRun> {
  const resources: Recorded[] = [];

  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        if (args.type !== STACK_TYPE) {
          resources.push({
            type: args.type,
            name: args.name,
            inputs: args.inputs,
            provider: args.provider,
            dependsOn: [],
            protect: false,
          });
        }
        return {
          id: `${args.name}-id`,
          state: { ...args.inputs, ...computedState(args.type, args.name, args.inputs), ...cloud[args.type] },
        };
      },
      call(args) {
        throw new Error(`unexpected provider function call ${args.token}`);
      },
    },
    PROJECT_NAME,
    stack,
    false,
  );
  const config = Object.fromEntries(
    Object.entries(stackConfig(stack, overrides))
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
  );
  pulumi.runtime.setAllConfig(config, []);
  // Resource options do not reach the mocks: a stack transformation (which needs the program to run inside a
  // stack, as the engine runs it) records each resource's, by resource, then by name once all are known.
  const names = new WeakMap<pulumi.Resource, string>();
  const options = new Map<string, { dependsOn: pulumi.Resource[]; protect: boolean; deletedWith?: pulumi.Resource }>();
  const protects = new WeakMap<pulumi.Resource, boolean>();
  let program: Record<string, unknown> = {};
  // The program's own throw is caught inside the stack: thrown out of it, the stack's outputs would reject too,
  // and nothing awaits them (an unhandled rejection per failing run).
  let thrown: Error | undefined;
  await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((a) => {
      names.set(a.resource, a.name);
      const dependsOn = ([] as pulumi.Resource[]).concat(
        (a.opts.dependsOn as pulumi.Resource | pulumi.Resource[]) ?? [],
      );
      // A resource without its own `protect` inherits its parent's (transformations see the options as given).
      const protect = a.opts.protect ?? (a.opts.parent ? protects.get(a.opts.parent) : undefined) ?? false;
      protects.set(a.resource, protect);
      options.set(`${a.type}::${a.name}`, { dependsOn, protect, deletedWith: a.opts.deletedWith });
      return undefined;
    });
    program = await loadProgramAfresh().catch((e: Error) => {
      thrown = e;
      return {};
    });
    return {};
  });
  if (thrown) {
    await waitForRPCs();
    throw new ProgramFailure(thrown, resources);
  }
  const outputs: Record<string, unknown> = {};
  const secretOutputs: string[] = [];
  for (const [key, value] of Object.entries(program)) {
    outputs[key] = await unwrap(value);
    if (pulumi.Output.isInstance(value) && (await pulumi.isSecret(value))) secretOutputs.push(key);
  }
  await waitForRPCs();
  for (const r of resources) {
    const o = options.get(`${r.type}::${r.name}`);
    if (o) {
      Object.assign(r, {
        dependsOn: o.dependsOn.map((d) => names.get(d) ?? "(unknown)"),
        protect: o.protect,
        ...(o.deletedWith ? { deletedWith: names.get(o.deletedWith) ?? "(unknown)" } : {}),
      });
    }
  }
  const byType = (type: string) => resources.filter((r) => r.type === type);
  return {
    resources,
    outputs,
    secretOutputs,
    byType,
    one(type: string, name?: string) {
      const matches = byType(type).filter((r) => name === undefined || r.name === name);
      if (matches.length !== 1)
        throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${matches.length}`);
      return matches[0];
    },
  };
}

/** The program threw; `resources` is what it had registered by then. */
export class ProgramFailure extends Error {
  constructor(
    public readonly cause: Error,
    public readonly resources: Recorded[],
  ) {
    super(cause.message);
    this.name = "ProgramFailure";
  }
}

/** The plain value behind an Output (secrets included). */
export function unwrap<T>(value: T | pulumi.Output<T>): Promise<T> {
  if (!pulumi.Output.isInstance(value)) return Promise.resolve(value as T);
  return new Promise((resolve) =>
    (value as pulumi.Output<T>).apply((v) => {
      resolve(v);
      return v;
    }),
  );
}
