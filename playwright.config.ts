import { defineConfig, devices } from '@playwright/test';

/**
 * Browser tests: Debian's Chromium (never a downloaded browser) against two portals:
 * - project `chromium`: the development portal of scripts/e2e-server.sh (backend +
 *   built frontend, fresh SQLite, demo sign-in, port 7017);
 * - project `chromium-production`: the production portal of
 *   scripts/e2e-production-server.sh (NODE_ENV=production, app-config.production.yaml,
 *   sign-in through a local OpenID provider on 7028, port 7027): oidc-sign-in.test.ts.
 */
const port = Number(process.env.MVR_E2E_PORT ?? 7017);
const baseURL = process.env.PLAYWRIGHT_URL ?? `http://localhost:${port}`;
const productionPort = Number(process.env.MVR_E2E_PRODUCTION_PORT ?? 7027);
const oidcPort = Number(process.env.MVR_E2E_OIDC_PORT ?? 7028);
const productionURL =
  process.env.PLAYWRIGHT_PRODUCTION_URL ?? `http://localhost:${productionPort}`;
const productionTests = /oidc-sign-in\.test\.ts$/;

const chromium = {
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
};

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
  webServer: [
    ...(process.env.PLAYWRIGHT_URL
      ? []
      : [
          {
            command: `bash scripts/e2e-server.sh ${port}`,
            url: `${baseURL}/.backstage/health/v1/readiness`,
            reuseExistingServer: !process.env.CI,
            timeout: 240_000,
            stdout: 'pipe' as const,
            stderr: 'pipe' as const,
            // The script stops the backend and deletes its database directory on SIGTERM.
            gracefulShutdown: { signal: 'SIGTERM' as const, timeout: 20_000 },
          },
        ]),
    ...(process.env.PLAYWRIGHT_PRODUCTION_URL
      ? []
      : [
          {
            command: `bash scripts/e2e-production-server.sh ${productionPort} ${oidcPort}`,
            url: `${productionURL}/.backstage/health/v1/readiness`,
            reuseExistingServer: !process.env.CI,
            timeout: 240_000,
            stdout: 'pipe' as const,
            stderr: 'pipe' as const,
            // Stops the backend and the OpenID provider, deletes the database directory.
            gracefulShutdown: { signal: 'SIGTERM' as const, timeout: 20_000 },
          },
        ]),
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
      testIgnore: productionTests,
      use: { ...chromium, baseURL },
    },
    {
      name: 'chromium-production',
      testMatch: productionTests,
      use: { ...chromium, baseURL: productionURL },
    },
  ],
});
