// The docs stay true: every table derived from the code is the generated one, every measured figure was written by
// a benchmark (with its date, commit and machine), no prose states a figure by hand or how many tests ran, the
// README stays an operator's page, and every alert has the runbook its annotation points to.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULTS } from "../lib/config/schema";
import { mcrouterAlertGroups, memcachedAlertGroups, runbookUrl } from "../lib/metrics/alerts";
import { RUNBOOK_DEFAULT } from "../lib/project";
import { generatedBlocks as blocksOf, handWritten } from "../scripts/docBlocks";
import { generatedBlocks } from "../scripts/gen-docs";
import { ROOT } from "./harness/mocks";

/** Every doc of the repository: README, CONTRIBUTING and docs/. */
const DOCS = [
  "README.md",
  "CONTRIBUTING.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];
const text = (doc: string) => readFileSync(join(ROOT, doc), "utf8");
const benchScripts = Object.keys(JSON.parse(text("package.json")).scripts).filter((s) => s.startsWith("bench:"));

/**
 * What a measurement looks like: a decimal with a unit of time, size or ratio ("33.0 s", "1.47×", "2062.4 MiB"), or
 * a count of tests. Bounds the code sets (timeouts, intervals) are whole numbers and stay allowed.
 */
const MEASURED = /\b\d+\.\d+\s?(s|ms|×|x|MiB|GiB|KiB|MB|GB)(?![\w-])|\b\d+ (tests|passed)\b/g;

describe("the docs", () => {
  it.each(generatedBlocks().map((b) => [`${b.file.slice(ROOT.length + 1)} ${b.name}`, b] as const))(
    "%s is the generated table (npm run gen:docs)",
    (_, b) => {
      const shown = blocksOf(readFileSync(b.file, "utf8")).find((x) => x.name === b.name);
      expect(shown?.body).toBe(b.body);
    },
  );

  it.each(DOCS)("%s: every generated block has a generator, and a measured one its provenance", (doc) => {
    const known = generatedBlocks().map((b) => `npm run gen:docs ${b.name}`);
    for (const block of blocksOf(text(doc))) {
      if (block.by === "npm run gen:docs") {
        expect(known).toContain(`${block.by} ${block.name}`);
      } else {
        expect(benchScripts.map((s) => `npm run ${s}`)).toContain(block.by);
        // Written by its bench (or not yet measured): when, at which commit, on which machine.
        if (block.body)
          expect(block.body).toMatch(/^Measured \d{4}-\d\d-\d\d \d\d:\d\d UTC at commit [0-9a-f]{7,}.*, on .+/);
      }
    }
  });

  it.each(DOCS)("%s states no measured figure and no test count by hand", (doc) => {
    expect(handWritten(text(doc)).match(MEASURED) ?? []).toEqual([]);
  });

  it("the check can fail: a figure or a count written by hand is found", () => {
    expect("first up took 2.63 s, 1.47× kubectl; peak RSS 2062.4 MiB; 413 tests".match(MEASURED)).toEqual([
      "2.63 s",
      "1.47×",
      "2062.4 MiB",
      "413 tests",
    ]);
    expect(
      handWritten(
        "`timeout 2.5s` in code, and\n<!-- generated:x (by npm run bench:deploy) -->\n1.5 s\n<!-- generated:x end -->",
      ).match(MEASURED),
    ).toBeNull();
  });

  it("the README is the operator's page: at most 300 lines, starting with what it is, the diagram and the set-up", () => {
    const readme = text("README.md");
    expect(readme.split("\n").length).toBeLessThanOrEqual(300);
    const headings = [...readme.matchAll(/^##? (.+)$/gm)].map((m) => m[1]);
    expect(headings.slice(0, 2)).toEqual(["memcached-gke", "Set-up: two commands"]);
    expect(readme.indexOf("```mermaid")).toBeLessThan(readme.indexOf("## Set-up"));
    expect(readme).toContain("npm ci && npm start");
    expect(readme).toContain("\nnpm test ");
  });

  it("every link between the docs reaches a file and, with an anchor, a heading", () => {
    const anchors = (doc: string) =>
      [...text(doc).matchAll(/^#+ (.+)$/gm)].map((m) =>
        m[1]
          .toLowerCase()
          .replace(/[^\w\- ]/g, "")
          .replace(/ /g, "-"),
      );
    for (const doc of DOCS) {
      for (const [, target, anchor] of handWritten(text(doc)).matchAll(/\]\(((?!https?:)[^)#]*)(?:#([^)]+))?\)/g)) {
        const file = target ? join(doc, "..", target) : doc;
        expect(DOCS, `${doc} links to ${target}`).toContain(file);
        if (anchor) expect(anchors(file), `${doc} links to ${file}#${anchor}`).toContain(anchor);
      }
    }
  });

  it("every alert has its runbook in docs/operations.md, where its runbook_url points", () => {
    const rules = [
      ...memcachedAlertGroups(DEFAULTS.metrics, "memcached"),
      ...mcrouterAlertGroups(DEFAULTS.metrics, "mcrouter"),
    ].flatMap((g) => g.rules);
    const sections = [...text(RUNBOOK_DEFAULT).matchAll(/^### (\w+)$/gm)].map((m) => m[1]);
    expect(sections).toEqual(rules.map((r) => r.alert));
    for (const r of rules) {
      expect(r.annotations.runbook_url).toBe(runbookUrl(RUNBOOK_DEFAULT, r.alert));
      expect(r.annotations.runbook_url).toBe(`${RUNBOOK_DEFAULT}#${r.alert.toLowerCase()}`);
    }
  });
});
