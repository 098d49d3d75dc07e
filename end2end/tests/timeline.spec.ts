import { test, expect, hydrated, screenshot, expectAccessible } from "./fixtures";
import { LIVE_URL, LIVE_KUBECONFIG } from "../playwright.config";
import { execFileSync, spawn, ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const KUBECTL = ["/usr/bin/kubectl", "/usr/local/bin/kubectl"].find((p) => fs.existsSync(p));
const ROOT = path.join(__dirname, "..", "..");

/** The real kubectl against the live test fleet (a fresh HOME: its discovery cache is per fleet). */
function kubectl(...args: string[]): string {
  if (!KUBECTL) throw new Error("kubectl is not installed (/usr/bin/kubectl): `make test` installs it");
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "kubectl-"));
  return execFileSync(KUBECTL, args, {
    env: { ...process.env, KUBECONFIG: path.join(__dirname, "..", LIVE_KUBECONFIG), HOME: home },
    encoding: "utf8",
  });
}

/** A crash plan on autocomplete's pods in prod-eu-1 (a new revision), or none. */
function crashPlan(plan: string | null) {
  const patch = JSON.stringify({ spec: { template: { metadata: { annotations: { "kubesim.io/fault": plan } } } } });
  kubectl("--context", "prod-eu-1", "-n", "search", "patch", "deployment", "autocomplete", "--type=merge", "-p", patch);
}

test.describe("the service timeline", () => {
  test("a crash in kubesim shows in the map and in the timeline of the open pages", async ({ page, context }) => {
    test.setTimeout(180_000);
    await page.goto(`${LIVE_URL}/services/autocomplete/timeline?since=1h`);
    await hydrated(page);
    await expect(page.getByTestId("timeline-live")).toHaveAttribute("data-link", "live");
    await expect(page.getByTestId("timeline-lane").first()).toContainText("All clusters");
    const map = await context.newPage();
    await map.goto(`${LIVE_URL}/services/autocomplete/clusters`);
    await hydrated(map);
    try {
      crashPlan("crash-loop");
      // The open timeline gains the deploy and the crashes without a reload; so does the map.
      const crash = page.locator('[data-testid="timeline-event"][data-kind="crash"][data-cluster="prod-eu-1"]');
      await expect(crash.first()).toBeVisible({ timeout: 90_000 });
      await expect(crash.first()).toContainText("crashed: Error, exit code 1");
      await expect(
        page.locator('[data-testid="timeline-event"][data-kind="deploy"][data-cluster="prod-eu-1"]').first(),
      ).toBeVisible();
      const marker = page
        .locator('[data-testid="timeline-lane"][data-cluster="prod-eu-1"]')
        .locator('[data-testid="timeline-marker"][data-kind="crash"]')
        .first();
      await marker.focus();
      await expect(marker).toHaveAttribute("aria-label", /Crash · .* · prod-eu-1 · Pod search\/autocomplete-/);
      const card = map.locator('[data-testid="cluster-card"][data-cluster="prod-eu-1"]');
      await expect(card.getByTestId("pod-reason").first()).toContainText(/CrashLoopBackOff|Error/, { timeout: 60_000 });
      // The map's squares too: a crashing pod is named with its reason.
      const tile = map.locator('[data-testid="map-cluster"][data-cluster="prod-eu-1"]');
      await expect(
        tile.locator('[data-testid="map-pod"][aria-label*="CrashLoopBackOff"], [data-testid="map-pod"][aria-label*="Error"]').first(),
      ).toBeAttached({ timeout: 60_000 });
      await expect(
        page.locator('[data-testid="timeline-event"][data-kind="finding"][data-cluster="prod-eu-1"]').first(),
      ).toBeVisible({ timeout: 60_000 });
      await screenshot(page, "timeline-crash");
      await expectAccessible(page);

      // A bookmark of the moment: the findings active then.
      const at = await crash.first().locator("time").getAttribute("datetime");
      await page.goto(`${LIVE_URL}/services/autocomplete/timeline?since=1h&at=${encodeURIComponent(at!)}`);
      await hydrated(page);
      await expect(page.getByTestId("active-at")).toBeVisible();
      // Zoom keeps the address: a range of its own, shareable.
      await page.getByTestId("zoom-6h").click();
      await expect(page).toHaveURL(/since=6h/);
      await expect(page.getByTestId("zoom-6h")).toHaveAttribute("aria-current", "page");
    } finally {
      crashPlan(null);
    }
  });

  test("a bookmarked ?at= shows the findings active then, and a range not understood says why", async ({ page }) => {
    // recommendations crash-loops in prod-us-2 from the start.
    const now = new Date().toISOString();
    await expect
      .poll(
        async () => {
          const r = await page.request.get(`${LIVE_URL}/api/v1/services/recommendations/timeline?since=1h&at=${now}`);
          const t = await r.json();
          return (t.active ?? []).map((f: { rule: string; cluster: string }) => `${f.rule}@${f.cluster}`).join(",");
        },
        { timeout: 30_000 },
      )
      .toMatch(/(crash-loop|restarting)@prod-us-2/);
    await page.goto(`${LIVE_URL}/services/recommendations/timeline?since=1h&at=${encodeURIComponent(now)}`);
    await hydrated(page);
    const active = page.getByTestId("active-finding");
    await expect(active.first()).toContainText("prod-us-2");
    await expect(page.getByTestId("active-at")).toContainText("Findings active at");
    await screenshot(page, "timeline-at");
    await expectAccessible(page);
    // Long before anything was recorded: nothing was active.
    await page.goto(`${LIVE_URL}/services/recommendations/timeline?since=14d&at=2026-01-01T00:00:00Z`);
    await expect(page.getByTestId("active-none")).toBeVisible();
    await page.goto(`${LIVE_URL}/services/recommendations/timeline?since=last+tuesday`);
    await expect(page.getByTestId("timeline-error")).toContainText("since=last tuesday");
  });

  test("after a restart the timeline and the sparklines still show what happened before", async ({ page }) => {
    test.setTimeout(180_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wayfinder-history-"));
    const port = 3196;
    const url = `http://127.0.0.1:${port}`;
    const start = (): ChildProcess =>
      spawn(
        "./target/release/wayfinder",
        ["--listen", `127.0.0.1:${port}`, "--catalog", "examples/catalog", "--kubeconfig", path.join("end2end", LIVE_KUBECONFIG), "--data-dir", dir],
        { cwd: ROOT, stdio: "ignore" },
      );
    const ready = async () =>
      expect
        .poll(async () => (await page.request.get(`${url}/readyz`).catch(() => null))?.status() ?? 0, { timeout: 60_000 })
        .toBe(200);
    let portal = start();
    try {
      await ready();
      const timeline = async () =>
        (await (await page.request.get(`${url}/api/v1/services/checkout-api/timeline?since=1h`)).json()) as {
          events: { at: string; kind: string; summary: string }[];
        };
      await expect.poll(async () => (await timeline()).events.filter((e) => e.kind === "scale").length, { timeout: 60_000 }).toBeGreaterThan(0);
      const before = await timeline();
      portal.kill("SIGTERM");
      await new Promise((r) => portal.once("exit", r));
      const restarted = Date.now();
      portal = start();
      await ready();
      await page.goto(`${url}/services/checkout-api/timeline?since=1h`);
      await hydrated(page);
      const rows = page.getByTestId("timeline-event");
      await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(before.events.length);
      const scale = before.events.find((e) => e.kind === "scale")!;
      await expect(page.locator('[data-testid="timeline-event"][data-kind="scale"]').filter({ hasText: scale.summary }).first()).toBeVisible();
      // The sparklines reach back beyond the restart (the recorded counts, not only what this process saw).
      const api = await (await page.request.get(`${url}/api/v1/services/checkout-api`)).json();
      const uptime = (Date.now() - restarted) / 1000;
      const oldest = Math.max(...api.autoscalers.map((a: { history: { secondsAgo: number }[] }) => a.history[0]?.secondsAgo ?? 0));
      expect(oldest).toBeGreaterThan(uptime);
      await page.goto(`${url}/services/checkout-api/autoscaling`);
      await hydrated(page);
      await expect(page.getByTestId("sparkline").first()).toBeVisible();
      await screenshot(page, "timeline-after-restart-sparklines");
    } finally {
      portal.kill("SIGTERM");
    }
  });
});
