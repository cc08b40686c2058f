import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.next/**', '.data/**'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests that drive a PKCS#11 module or a database share process-wide state; files run in forks.
    pool: 'forks',
  },
});
