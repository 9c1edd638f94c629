// The policy pack: `pulumi preview --policy-pack policy`. The rules live in rules.ts so that tests can run
// them without this constructor, which starts the analyzer's gRPC server.
import {
  PolicyPack,
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  StackValidationArgs,
} from "@pulumi/policy";
import { Resource, RULES } from "./rules";

/** A resource as the rules see it: its props, and the options GKE's request rules read (protect, dependsOn). */
const toResource = (r: ResourceValidationArgs | PolicyResource): Resource => ({
  type: r.type,
  name: r.name,
  urn: r.urn,
  props: r.props,
  protect: r.opts.protect,
  dependsOn: "dependencies" in r ? r.dependencies.map((d) => d.name) : undefined,
});

new PolicyPack("memcached-gke-hardening", {
  enforcementLevel: "mandatory",
  policies: RULES.flatMap((rule) => [
    ...(rule.check
      ? [
          {
            name: `${rule.id.toLowerCase()}-resource`,
            description: `${rule.id}: ${rule.description}`,
            validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
              for (const message of rule.check!(toResource(args))) report(`${rule.id}: ${message}`);
            },
          },
        ]
      : []),
    ...(rule.checkStack
      ? [
          {
            name: `${rule.id.toLowerCase()}-stack`,
            description: `${rule.id}: ${rule.description}`,
            validateStack: (args: StackValidationArgs, report: ReportViolation) => {
              for (const message of rule.checkStack!(args.resources.map(toResource))) report(`${rule.id}: ${message}`);
            },
          },
        ]
      : []),
  ]),
});
