import type * as Gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { cloudMonitoringDashboard, dashboardConsoleUrl } from "../lib/metrics/dashboard";

export interface MetricsDashboardArgs {
  project: string;
  displayName: string;
  /** The project's APIs, Monitoring among them (ProjectApis.ready). */
  apisReady: pulumi.Resource;
}

/** The cache's Cloud Monitoring dashboard (PromQL over Managed Prometheus's data; lib/metrics/dashboard.ts). */
export class MetricsDashboard extends pulumi.ComponentResource {
  /** The dashboard's page in the Google Cloud console. */
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: MetricsDashboardArgs, opts?: pulumi.ComponentResourceOptions) {
    super("memcached-gke:monitoring:Dashboard", name, {}, opts);
    // Loaded here, not at the top: stacks without GKE never load it.
    const gcp: typeof Gcp = require("@pulumi/gcp");
    const dashboard = new gcp.monitoring.Dashboard(
      `${name}-dashboard`,
      { project: args.project, dashboardJson: JSON.stringify(cloudMonitoringDashboard(args.displayName)) },
      { parent: this, dependsOn: [args.apisReady] },
    );
    this.url = dashboard.id.apply((id) => dashboardConsoleUrl(args.project, id));
    this.registerOutputs({ url: this.url });
  }
}
