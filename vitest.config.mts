import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Program runs under mocks take a few seconds when two files run at once on two cores.
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
