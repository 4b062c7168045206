import { defineConfig } from '@playwright/test';

/** E2E_DEV=1 runs the suite against the Vite dev server instead of the production build. */
const DEV = !!process.env.E2E_DEV;
/** E2E_PORT overrides the server's port (several checkouts testing on one machine). */
const PORT = Number(process.env.E2E_PORT) || (DEV ? 5173 : 4173);

export default defineConfig({
  testDir: 'e2e',
  timeout: 180_000,
  expect: { timeout: 60_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    viewport: { width: 1280, height: 800 },
    screenshot: 'on',
    trace: 'off',
    launchOptions: {
      // Debian's Chromium; Playwright's own browser download does not work here.
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--enable-unsafe-webgpu',
        '--enable-unsafe-swiftshader',
      ],
    },
  },
  webServer: {
    command: DEV ? `npx vite --port ${PORT} --strictPort` : `npx vite build && npx vite preview --port ${PORT} --strictPort`,
    url: `http://127.0.0.1:${PORT}/`,
    timeout: 180_000,
    reuseExistingServer: !process.env.CI,
  },
});
