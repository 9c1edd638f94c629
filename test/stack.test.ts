import { describe, expect, it } from "vitest";
import { runProgram } from "./harness";

describe("smoke", () => {
  it("runs dev", async () => {
    const run = await runProgram("dev");
    console.log(run.resources.map((r) => `${r.type} ${r.name}`).join("\n"));
    console.log(JSON.stringify(run.outputs, null, 1));
    expect(run.resources.length).toBeGreaterThan(10);
  });
});
