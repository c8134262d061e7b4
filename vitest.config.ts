import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // the renderer's own import aliases (tsconfig.base.json), for its stores' and lib's unit tests under happy-dom
  resolve: {
    alias: {
      '@shared': fileURLToPath(new URL('./src/shared', import.meta.url)),
      '@core': fileURLToPath(new URL('./src/core', import.meta.url)),
    },
  },
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // prints the fault suite's totals after the run (each fault file leaves its counts)
    globalSetup: ['tests/unit/helpers/fault-summary.ts'],
  },
});
