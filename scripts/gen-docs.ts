// `npm run gen:docs`: every table the docs derive from the code, and Pulumi.yaml's config declarations, written
// from their one declaration. test/docs.test.ts fails while a doc differs from what this generates.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { DEFAULTS } from "../lib/config/schema";
import { parseStackConfig } from "../lib/config/validate";
import { regionOf } from "../lib/gke/cluster";
import { quotaCommand, quotaNeeds } from "../lib/gke/quotas";
import {
  APIS_OF_TYPE,
  apisFor,
  CLUSTER_REPLACED_BY,
  CLUSTER_TYPES,
  GCP,
  NODE_POOL_ROLLED_BY,
} from "../lib/gke/requestRules";
import { IMAGES } from "../lib/images";
import { mcrouterAlertGroups, memcachedAlertGroups } from "../lib/metrics/alerts";
import { COMMITTED_STACKS, rawStackConfig } from "../lib/stackFiles";
import { capacityTables } from "./capacity-report";
import { pulumiConfigDeclarations, readmeKeyTable } from "./config-docs";
import { writeBlock } from "./docBlocks";

const ROOT = join(__dirname, "..");

export interface GeneratedBlock {
  file: string;
  name: string;
  body: string;
}

/** The alerts the stack deploys, with their runbooks (README, "Where to look"). */
function alertTable(): string {
  const rules = [
    ...memcachedAlertGroups(DEFAULTS.metrics, "memcached"),
    ...mcrouterAlertGroups(DEFAULTS.metrics, "mcrouter"),
  ].flatMap((g) => g.rules);
  return [
    "| alert | severity | fires after | what | runbook |",
    "|---|---|---|---|---|",
    ...rules.map(
      (r) =>
        `| \`${r.alert}\` | ${r.labels.severity} | ${r.for} | ${r.annotations.summary} | [${r.alert}](docs/operations.md#${r.alert.toLowerCase()}) |`,
    ),
  ].join("\n");
}

/** The default images and where each tag was found (docs/design.md). */
function imageTable(): string {
  return [
    "| image | what it is | where the tag was found |",
    "|---|---|---|",
    ...Object.values(IMAGES).map((i) => `| \`${i.ref}\` | ${i.what} | ${i.source} |`),
  ].join("\n");
}

/** What replaces the cluster and what rolls the pool (docs/operations.md), from GKE's request rules. */
function changeEffects(): string {
  return [
    "| change | effect | source |",
    "|---|---|---|",
    ...Object.entries(CLUSTER_REPLACED_BY)
      .filter(([field]) => field !== "nodeServiceAccount" && field !== "project")
      .map(
        ([field, why]) => `| \`cluster.${field}\` | **replaces the cluster** (refused unless acknowledged) | ${why} |`,
      ),
    "| `gcp:project` | **replaces everything** (refused unless acknowledged) | every resource names its project |",
    ...Object.entries(NODE_POOL_ROLLED_BY).map(
      ([field, why]) =>
        `| \`cluster.${field}\` | every node of the pool re-created by a surge upgrade (maxSurge 1, maxUnavailable 0); the cluster stays | ${why} |`,
    ),
  ].join("\n");
}

/** The APIs the stack enables, and which resources wait for each (docs/gke.md). */
function apiTable(): string {
  const types = [...CLUSTER_TYPES, GCP.dashboard];
  return [
    "| API | waited for by |",
    "|---|---|",
    ...apisFor(types).map(
      (api) =>
        `| \`${api}\` | ${types
          .filter((t) => APIS_OF_TYPE[t]?.includes(api))
          .map((t) => t.split(":")[1].split("/")[1])
          .join(", ")} |`,
    ),
  ].join("\n");
}

/** Each committed GKE stack's quota needs (docs/gke.md). */
function quotaTables(): string {
  return COMMITTED_STACKS.map((stack) => ({ stack, config: parseStackConfig(rawStackConfig(stack)) }))
    .filter(({ config }) => config.cluster)
    .flatMap(({ stack, config }) => {
      const c = config.cluster!;
      return [
        `\`${stack}\` (${c.nodeCount}–${Math.max(c.nodeCount, c.maxNodeCount)} × ${c.machineType}, ${c.diskSizeGb} GB ${c.diskType}, region ${regionOf(c.location)}):`,
        "",
        "| quota metric | at the first up | at the stack's largest |",
        "|---|---|---|",
        ...quotaNeeds(c).map((q) => `| \`${q.metric}\` | ${q.atCreate || "—"} | ${q.atMax || "—"} |`),
        "",
        `Your project's: \`${quotaCommand("<project>", regionOf(c.location))}\``,
        "",
      ];
    })
    .join("\n")
    .trimEnd();
}

export function generatedBlocks(): GeneratedBlock[] {
  const at = (f: string) => join(ROOT, f);
  return [
    { file: at("README.md"), name: "config-keys", body: readmeKeyTable() },
    { file: at("README.md"), name: "alerts", body: alertTable() },
    { file: at("docs/design.md"), name: "capacity", body: capacityTables() },
    { file: at("docs/design.md"), name: "images", body: imageTable() },
    { file: at("docs/operations.md"), name: "change-effects", body: changeEffects() },
    { file: at("docs/gke.md"), name: "apis", body: apiTable() },
    { file: at("docs/gke.md"), name: "quotas", body: quotaTables() },
  ];
}

function main(): void {
  const pulumiYaml = join(ROOT, "Pulumi.yaml");
  const doc = parseDocument(readFileSync(pulumiYaml, "utf8"));
  doc.set("config", doc.createNode(pulumiConfigDeclarations()));
  writeFileSync(pulumiYaml, doc.toString({ lineWidth: 0 }));
  for (const b of generatedBlocks()) writeBlock(b.file, b.name, b.body);
  console.log("[gen:docs] wrote Pulumi.yaml's config declarations and the docs' generated tables");
}

if (require.main === module) main();
