import type * as Gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { cloudMonitoringDashboard, dashboardConsoleUrl } from "../lib/metrics/dashboard";

export interface MetricsDashboardArgs {
  project: string;
  displayName: string;
}

/** The cache's Cloud Monitoring dashboard (PromQL over Managed Prometheus's data; lib/metrics/dashboard.ts). */
export class MetricsDashboard extends pulumi.ComponentResource {
  /** The dashboard's page in the Google Cloud console. */
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: MetricsDashboardArgs, opts?: pulumi.ComponentResourceOptions) {
    super("memcached-gke:monitoring:Dashboard", name, {}, opts);
    // Loaded here, not at the top: stacks without GKE never load it.
    const gcp: typeof Gcp = require("@pulumi/gcp");
    // Enabled by the stack, never disabled by it, like the container API.
    const monitoringApi = new gcp.projects.Service(
      `${name}-monitoring-api`,
      {
        project: args.project,
        service: "monitoring.googleapis.com",
        disableOnDestroy: false,
        disableDependentServices: false,
      },
      { parent: this },
    );
    const dashboard = new gcp.monitoring.Dashboard(
      `${name}-dashboard`,
      {
        project: args.project,
        dashboardJson: JSON.stringify(cloudMonitoringDashboard(args.displayName)),
      },
      { parent: this, dependsOn: [monitoringApi] },
    );
    this.url = dashboard.id.apply((id) => dashboardConsoleUrl(args.project, id));
    this.registerOutputs({ url: this.url });
  }
}
