import { defineConfig, devices } from '@playwright/test';

/**
 * Takes the documentation's screenshots (docs/images/*.png, light and dark; docs/pages.md)
 * from the demo portal with Debian's
 * Chromium: `bash scripts/screenshots.sh`. Not part of the test suite.
 */
const port = Number(process.env.MVR_SCREENSHOTS_PORT ?? 7047);
const baseURL = `http://localhost:${port}`;

export default defineConfig({
  testDir: '.',
  testMatch: /screenshots\.spec\.ts$/,
  timeout: 240_000,
  expect: { timeout: 30_000 },
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: '../../node_modules/.cache/screenshots-results',
  webServer: {
    command: `bash docs/screenshots/server.sh ${port}`,
    cwd: '../..',
    url: `${baseURL}/.backstage/health/v1/readiness`,
    reuseExistingServer: false,
    timeout: 240_000,
    stdout: 'pipe',
    stderr: 'pipe',
    gracefulShutdown: { signal: 'SIGTERM', timeout: 20_000 },
  },
  use: {
    ...devices['Desktop Chrome'],
    baseURL,
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless=new',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
      ],
    },
  },
});
