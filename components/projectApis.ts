import type * as Gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { API_PROPAGATION_SECONDS } from "../lib/gke/requestRules";
import { ApiPropagationWait } from "./apiPropagationWait";

export interface ProjectApisArgs {
  project: string;
  /** Every API the stack's GCP resources call (lib/gke/requestRules.ts APIS_OF_TYPE). */
  services: string[];
}

/**
 * The project's APIs the stack needs, enabled and given time to propagate: every GCP resource of the stack waits
 * for `ready`. Enabled by the stack, never disabled by it (other workloads of the project may use them).
 * Enabling needs a billing account linked to the project (docs/gke.md, "Before the first up").
 */
export class ProjectApis extends pulumi.ComponentResource {
  /** What a GCP resource waits for: each API enabled, then the propagation wait. */
  public readonly ready: ApiPropagationWait;

  constructor(name: string, args: ProjectApisArgs, opts?: pulumi.ComponentResourceOptions) {
    super("memcached-gke:gcp:ProjectApis", name, {}, opts);
    // Loaded here, not at the top: stacks without GCP resources (target existing) never load it.
    const gcp: typeof Gcp = require("@pulumi/gcp");
    const services = args.services.map(
      (service) =>
        new gcp.projects.Service(
          `${name}-${service.split(".")[0]}`,
          { project: args.project, service, disableOnDestroy: false, disableDependentServices: false },
          { parent: this },
        ),
    );
    this.ready = new ApiPropagationWait(
      `${name}-propagation`,
      { services: services.map((s) => s.service), seconds: API_PROPAGATION_SECONDS },
      { parent: this, dependsOn: services },
    );
    this.registerOutputs({ services: args.services });
  }
}
