/**
 * End-to-end tests of the real renderer in Debian's Chromium, through the browser bridge (`nca-lab serve`)
 * started by tests/e2e/global-setup.ts against a temporary workspace. Run with `npm run test:e2e`, which
 * builds the renderer first (scripts/e2e.mjs). Playwright's own browsers cannot be downloaded here.
 */
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'tests/e2e',
  globalSetup: './tests/e2e/global-setup.ts',
  // Playwright empties its outputDir on start; screenshots go to test-results/screenshots beside it
  outputDir: 'test-results/playwright',
  // generous: a test waits for states (a run finished, a checkpoint written), which take longer on a loaded machine
  timeout: 180_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-dev-shm-usage',
      ],
    },
    trace: 'retain-on-failure',
  },
});
