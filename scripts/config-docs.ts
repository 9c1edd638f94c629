// Pulumi.yaml's config declarations and the README's key table, generated from lib/config/schema.ts's SCHEMA (the
// one declaration of every key). `npm run gen:docs` writes both (scripts/gen-docs.ts); tests fail while either is stale.
import { Field } from "../lib/config/fields";
import { SCHEMA, SECTIONS, TARGET_DOC, TARGETS } from "../lib/config/schema";

const shown = (value: unknown) => (value === "" ? "—" : `\`${JSON.stringify(value)}\``);

function rows(path: string, field: Field): string[] {
  if (field.kind === "object")
    return Object.entries(field.fields as Record<string, Field>).flatMap(([k, f]) => rows(`${path}.${k}`, f));
  const allowed =
    field.kind === "enum"
      ? ` (${field.values.join(", ")})`
      : field.kind === "integer"
        ? ` (${field.min}–${field.max})`
        : "";
  const item =
    field.kind === "list" && field.item.kind === "object" ? ` of {${Object.keys(field.item.fields).join(", ")}}` : "";
  return [`| \`${path}\` | ${field.kind}${item}${allowed} | ${shown(field.default)} | ${field.doc} |`];
}

/** The README's table of every key and field. */
export function readmeKeyTable(): string {
  return [
    "| key | type | default | what |",
    "|---|---|---|---|",
    `| \`target\` | ${TARGETS.join(" or ")} | \`"gke"\` | ${TARGET_DOC} |`,
    "| `gcp:project` | string | — | GCP project id, required on GKE stacks |",
    ...SECTIONS.flatMap((key) => rows(key, SCHEMA[key])),
  ].join("\n");
}

/**
 * Pulumi.yaml's `config:` block. Sections default to `{}`: the program fills in every field's default, and a
 * section set on a stack of the other target is then the user's own, which validation refuses.
 */
export function pulumiConfigDeclarations(): Record<string, unknown> {
  return {
    target: { type: "string", description: TARGET_DOC, default: "gke" },
    ...Object.fromEntries(
      SECTIONS.map((key) => [
        key,
        {
          type: "object",
          description:
            `${SCHEMA[key].doc} Fields: ${Object.keys(SCHEMA[key].fields).join(", ")} (types, defaults and meaning: README.md, "Stacks and configuration"). ` +
            `Set one with \`pulumi config set --path memcached-gke:${key}.<field> <value>\`.`,
          default: {},
        },
      ]),
    ),
  };
}
