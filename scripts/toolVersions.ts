// The versions scripts/build-tools.sh builds (scripts/tool-versions.json, their one declaration), for the tests and
// scripts that must agree with them.
import { readFileSync } from "node:fs";
import { join } from "node:path";

const declared = JSON.parse(readFileSync(join(__dirname, "tool-versions.json"), "utf8")).tools as Record<
  string,
  { version: string; why: string }
>;

export const TOOL_VERSIONS: Record<string, string> = Object.fromEntries(
  Object.entries(declared).map(([name, v]) => [name, v.version]),
);
