// Generated blocks in the docs: `<!-- generated:NAME (by COMMAND) -->` … `<!-- generated:NAME end -->`. Only the
// script named in the opening marker writes between them; everything else in the docs is prose, which states no
// measured figure (test/docs.test.ts).
import { readFileSync, writeFileSync } from "node:fs";

const open = (name: string) => new RegExp(`<!-- generated:${name} \\(by ([^)]+)\\) -->\\n`);
const close = (name: string) => `<!-- generated:${name} end -->`;

/** Every generated block of a doc: its name, the command that writes it, and its text. */
export function generatedBlocks(text: string): { name: string; by: string; body: string }[] {
  return [...text.matchAll(/<!-- generated:(\S+) \(by ([^)]+)\) -->\n([\s\S]*?)<!-- generated:\1 end -->/g)].map(
    ([, name, by, body]) => ({ name, by, body: body.replace(/\n$/, "") }),
  );
}

/** The text of the block NAME in `file`; throws if the doc lacks it. */
export function readBlock(file: string, name: string): string {
  const block = generatedBlocks(readFileSync(file, "utf8")).find((b) => b.name === name);
  if (!block) throw new Error(`${file} has no generated block ${name}`);
  return block.body;
}

/** Replaces the block NAME of `file` with `body`; the markers must be there already (a doc decides where). */
export function writeBlock(file: string, name: string, body: string): void {
  const text = readFileSync(file, "utf8");
  const start = open(name).exec(text);
  const end = text.indexOf(close(name));
  if (!start || end < 0) throw new Error(`${file} lacks the markers of the generated block ${name}`);
  const head = text.slice(0, start.index + start[0].length);
  writeFileSync(file, `${head}${body.replace(/\n*$/, "\n")}${text.slice(end)}`);
}

/** Prose with its generated blocks and code taken out: what a reader takes as written by hand. */
export function handWritten(text: string): string {
  return text
    .replace(/<!-- generated:(\S+) \(by [^)]+\) -->\n[\s\S]*?<!-- generated:\1 end -->/g, "")
    .replace(/```[\s\S]*?```/g, "")
    .replace(/`[^`\n]*`/g, "");
}
