import { it } from "vitest";
import { runProgram } from "./harness";
it("x", async () => {
  await runProgram("dev");
});
