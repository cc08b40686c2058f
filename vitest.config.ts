import { randomUUID } from 'node:crypto';
import { defineConfig } from 'vitest/config';

const exclude = ['node_modules/**', '.next/**', '.next-test/**', '.next-bench/**', '.data/**'];
const shared = {
  exclude,
  // This run's id: the files that need a `next build` share one (test/support/nextServer.ts suiteBuild).
  env: { TQCA_SUITE_RUN: randomUUID() },
  environment: 'node',
  testTimeout: 60_000,
  hookTimeout: 120_000,
  // Tests that drive a PKCS#11 module or a database share process-wide state; files run in forks.
  pool: 'forks' as const,
};

export default defineConfig({
  test: {
    projects: [
      { test: { ...shared, name: 'unit', include: ['**/*.test.ts'], exclude: [...exclude, 'test/browser/**'] } },
      {
        // Real Chromium against one production build and server for every browser test file;
        // vitest runs the global setup only when a browser test is selected.
        test: { ...shared, name: 'browser', include: ['test/browser/**/*.test.ts'], globalSetup: ['test/browser/server.ts'], hookTimeout: 300_000, testTimeout: 300_000,
          // One browser test file at a time against the one server: two Chromiums at once would only compete for the cores.
          fileParallelism: false },
      },
    ],
  },
});
