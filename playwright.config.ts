import { defineConfig, devices } from '@playwright/test';

/**
 * Browser tests: Debian's Chromium (never a downloaded browser) against the portal
 * started by scripts/e2e-server.sh (backend + built frontend, fresh SQLite, port 7017).
 */
const port = Number(process.env.MVR_E2E_PORT ?? 7017);
const baseURL = process.env.PLAYWRIGHT_URL ?? `http://localhost:${port}`;

export default defineConfig({
  testDir: './packages/app/e2e-tests',
  // Generous: the machine is shared (2 cores); tests poll, they never sleep.
  timeout: 120_000,
  expect: { timeout: 20_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [['list']],
  outputDir: 'node_modules/.cache/e2e-test-results',
  webServer: process.env.PLAYWRIGHT_URL
    ? []
    : [
        {
          command: `bash scripts/e2e-server.sh ${port}`,
          url: `${baseURL}/.backstage/health/v1/readiness`,
          reuseExistingServer: !process.env.CI,
          timeout: 240_000,
          stdout: 'pipe',
          stderr: 'pipe',
          // The script stops the backend and deletes its database directory on SIGTERM.
          gracefulShutdown: { signal: 'SIGTERM', timeout: 20_000 },
        },
      ],
  use: {
    baseURL,
    actionTimeout: 20_000,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
          args: [
            '--headless=new',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        },
      },
    },
  ],
});
