import { defineConfig } from "@playwright/test";

// Browsers cannot be downloaded here (`npx playwright install` fails), so the tests use Debian's
// chromium package (apt-get install -y chromium); CHROMIUM_PATH overrides it.
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const PORT = process.env.WAYFINDER_E2E_PORT ?? "3100";
const BASE_URL = process.env.BASE_URL ?? `http://127.0.0.1:${PORT}`;
// A second server on the built-in demo fleet (kubesim in-process), for the cluster views.
const DEMO_PORT = process.env.WAYFINDER_E2E_DEMO_PORT ?? "3101";
export const DEMO_URL = process.env.DEMO_URL ?? `http://127.0.0.1:${DEMO_PORT}`;
// A third on kubesim as its own process, which the live tests change with kubectl and its admin API.
const LIVE_PORT = process.env.WAYFINDER_E2E_LIVE_PORT ?? "3102";
const PROXIED_PORT = process.env.WAYFINDER_E2E_PROXIED_PORT ?? "3103";
/** The demo fleet behind an (imagined) auth proxy: requests carry X-Forwarded-Email. */
export const PROXIED_URL = process.env.PROXIED_URL ?? `http://127.0.0.1:${PROXIED_PORT}`;
export const LIVE_URL = process.env.LIVE_URL ?? `http://127.0.0.1:${LIVE_PORT}`;
export const KUBESIM_ADMIN = `http://127.0.0.1:${process.env.KUBESIM_ADMIN_PORT ?? "3190"}`;
export const LIVE_KUBECONFIG = "output/live/kubeconfig";
// A fifth on a wide fleet of its own: one service with 300 pods in 12 clusters (end2end/wide-fleet.sh).
const WIDE_PORT = process.env.WAYFINDER_E2E_WIDE_PORT ?? "3104";
export const WIDE_URL = process.env.WIDE_URL ?? `http://127.0.0.1:${WIDE_PORT}`;

export default defineConfig({
  testDir: "./tests",
  outputDir: "./output/test-results",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL: BASE_URL,
    browserName: "chromium",
    headless: true,
    launchOptions: {
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
    trace: "off",
  },
  // The real server, release build, started and stopped by Playwright: one catalog-only, one on the
  // demo fleet, one on the demo fleet behind an auth proxy's headers, one on a live kubesim, one on a wide one.
  webServer: process.env.BASE_URL
    ? undefined
    : [
        {
          command: `rm -rf end2end/output/history/${PORT} && ./target/release/wayfinder --data-dir end2end/output/history/${PORT} --listen 127.0.0.1:${PORT} --catalog examples/catalog --no-demo`,
          cwd: "..",
          url: `${BASE_URL}/healthz`,
          reuseExistingServer: false,
          timeout: 60_000,
          stdout: "ignore",
          stderr: "pipe",
        },
        {
          command: `rm -rf end2end/output/history/${DEMO_PORT} && ./target/release/wayfinder --data-dir end2end/output/history/${DEMO_PORT} --listen 127.0.0.1:${DEMO_PORT} --catalog examples/catalog`,
          cwd: "..",
          url: `${DEMO_URL}/readyz`,
          reuseExistingServer: false,
          timeout: 60_000,
          stdout: "ignore",
          stderr: "pipe",
        },
        {
          command: `rm -rf end2end/output/history/${PROXIED_PORT} && ./target/release/wayfinder --data-dir end2end/output/history/${PROXIED_PORT} --listen 127.0.0.1:${PROXIED_PORT} --catalog examples/catalog --identity-header X-Forwarded-Email --groups-header X-Forwarded-Groups`,
          cwd: "..",
          url: `${PROXIED_URL}/healthz`,
          reuseExistingServer: false,
          timeout: 60_000,
          stdout: "ignore",
          stderr: "pipe",
        },
        {
          command: `PORT=${LIVE_PORT} ADMIN_PORT=${process.env.KUBESIM_ADMIN_PORT ?? "3190"} end2end/live-fleet.sh`,
          cwd: "..",
          url: `${LIVE_URL}/readyz`,
          reuseExistingServer: false,
          timeout: 90_000,
          stdout: "ignore",
          stderr: "pipe",
        },
        {
          command: `PORT=${WIDE_PORT} ADMIN_PORT=${process.env.KUBESIM_WIDE_ADMIN_PORT ?? "3191"} end2end/wide-fleet.sh`,
          cwd: "..",
          url: `${WIDE_URL}/readyz`,
          reuseExistingServer: false,
          timeout: 90_000,
          stdout: "ignore",
          stderr: "pipe",
        },
      ],
  projects: [{ name: "chromium" }],
});
