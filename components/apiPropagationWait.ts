import * as pulumi from "@pulumi/pulumi";

export interface ApiPropagationWaitArgs {
  /** The APIs just enabled (`container.googleapis.com`, ...). */
  services: pulumi.Input<string>[];
  seconds: number;
}

interface WaitInputs {
  services: string[];
  seconds: number;
}

/**
 * Waits `seconds` when created, and again when an API is added: a freshly enabled API answers 403 for a while and
 * the Google provider does not retry that (lib/gke/requestRules.ts API_PROPAGATION_SECONDS). Nothing waits on a
 * later `up` whose APIs are unchanged. A Pulumi dynamic resource, run by the SDK's own dynamic-provider plugin.
 */
export const apiPropagationWaitProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: WaitInputs) {
    await new Promise((resolve) => setTimeout(resolve, inputs.seconds * 1000));
    return { id: inputs.services.join(","), outs: inputs };
  },
  async diff(_id: string, olds: WaitInputs, news: WaitInputs) {
    const added = news.services.some((s) => !olds.services.includes(s));
    const changed = added || olds.services.length !== news.services.length || olds.seconds !== news.seconds;
    return { changes: changed, replaces: added ? ["services"] : [], deleteBeforeReplace: false };
  },
  async update(_id: string, _olds: WaitInputs, news: WaitInputs) {
    return { outs: news };
  },
};

export class ApiPropagationWait extends pulumi.dynamic.Resource {
  constructor(name: string, args: ApiPropagationWaitArgs, opts?: pulumi.CustomResourceOptions) {
    super(apiPropagationWaitProvider, name, args, opts, "gcp", "ApiPropagationWait");
  }
}
