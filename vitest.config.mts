import { defineConfig } from "vitest/config";

// One project per stage of `npm test` (scripts/test.sh): `vitest run --project <name>`.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/*.test.ts"],
          // The files share one module graph per worker (the SDK and the program load once, not once per file):
          // each program run starts from setMocks and a fresh load of the program's modules (test/harness/mocks.ts).
          isolate: false,
          // Program runs under mocks take a few seconds when two files run at once on two cores.
          testTimeout: 20_000,
          hookTimeout: 60_000,
        },
      },
      // Real processes on fixed resources (ports, bridges, one kube-apiserver at a time): one file at a time.
      { test: { name: "real", include: ["test/real/**/*.test.ts"], fileParallelism: false, testTimeout: 60_000 } },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: "sandbox",
          include: ["test/sandbox/**/*.test.ts"],
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 420_000,
        },
      },
    ],
  },
});
