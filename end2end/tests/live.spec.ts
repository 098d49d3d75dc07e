import { test, expect, hydrated, screenshot, expectAccessible } from "./fixtures";
import { DEMO_URL, LIVE_URL, KUBESIM_ADMIN, LIVE_KUBECONFIG } from "../playwright.config";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const KUBECTL = ["/usr/bin/kubectl", "/usr/local/bin/kubectl"].find((p) => fs.existsSync(p));

/** The real kubectl against the live test fleet (a fresh HOME: its discovery cache is per fleet). */
function kubectl(...args: string[]): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "kubectl-"));
  return execFileSync(KUBECTL!, args, {
    env: { ...process.env, KUBECONFIG: path.resolve(__dirname, "..", LIVE_KUBECONFIG), HOME: home },
    encoding: "utf8",
  });
}

test.describe("cluster map and live updates", () => {
  test("a multi-region service shows its regions, clusters, workloads and pods", async ({ page }) => {
    const response = await page.goto(`${DEMO_URL}/services/checkout-api/clusters`);
    expect(response?.status()).toBe(200);
    await hydrated(page);
    const regions = page.getByTestId("region");
    await expect(regions).toHaveCount(3);
    expect(await regions.evaluateAll((r) => r.map((e) => e.getAttribute("data-region")))).toEqual([
      "ap-southeast-1",
      "eu-west-1",
      "us-east-1",
    ]);
    await expect(page.getByTestId("cluster-card")).toHaveCount(6);
    await expect(page.getByTestId("map-summary")).toHaveText("6 clusters in 3 regions");
    const eu = page.locator('[data-testid="cluster-card"][data-cluster="prod-eu-1"]');
    await expect(eu.getByTestId("cluster-state")).toHaveAttribute("data-state", "synced");
    // Live watches say "live" and how long since the cluster last changed, never "synced N s ago"
    // (which reads as stale).
    await expect(eu.getByTestId("freshness")).toHaveText(/^live · last change \d+ s ago$/);
    // The age keeps counting between messages.
    const age = async () => Number((await eu.getByTestId("freshness").textContent())?.match(/\d+/)?.[0]);
    const first = await age();
    await expect.poll(age, { timeout: 5_000 }).not.toBe(first);
    const workload = eu.locator('[data-testid="workload"][data-name="checkout-api"]');
    await expect(workload).toContainText("Deployment");
    await expect(workload).toContainText("registry.example.com/payments/checkout-api:");
    await expect(workload).toContainText("scaled by HPA checkout-api");
    await expect(workload.getByTestId("replicas-ready")).toHaveText(/^\d+\/\d+$/);
    expect(await eu.getByTestId("pod").count()).toBeGreaterThan(0);
    await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-link", "live");
    // The service header says where it runs.
    await expect(page.getByTestId("service-runs-in")).toContainText("6 clusters");
    await screenshot(page, "cluster-map");
    await expectAccessible(page);
  });

  test("a crash-looping pod shows its reason; a service not running anywhere says so", async ({ page }) => {
    await page.goto(`${DEMO_URL}/services/recommendations/clusters`);
    await hydrated(page);
    const us2 = page.locator('[data-testid="cluster-card"][data-cluster="prod-us-2"]');
    await expect(us2.getByTestId("pod-reason").first()).toContainText(/CrashLoopBackOff|Error/);
    await page.goto(`${DEMO_URL}/services/ui-kit/clusters`);
    await hydrated(page);
    await expect(page.getByTestId("not-running")).toContainText("runs in none of the 6 watched clusters");
  });

  test("the catalog shows where services run, filters by region and marks discovered services", async ({ page }) => {
    await page.goto(`${DEMO_URL}/?region=ap-southeast-1&origin=discovered`);
    await hydrated(page);
    const rows = page.getByTestId("catalog-row");
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toHaveAttribute("data-service", "grafana-agent");
    await expect(rows.first().getByTestId("discovered-badge")).toBeVisible();
    await expect(rows.first().getByTestId("runs-in")).toContainText("6 clusters");
    await page.getByTestId("filter-origin").selectOption("");
    await expect(page).toHaveURL(/region=ap-southeast-1/);
    await expect.poll(() => rows.count()).toBeGreaterThan(10);
    await page.getByTestId("catalog-row").filter({ hasText: "grafana-agent" }).getByRole("link").first().click();
    await expect(page.getByTestId("discovered-badge")).toBeVisible();
    await expect(page.getByTestId("service-owner")).toHaveText("");
  });

  test("a kubectl change reaches the open page without a reload", async ({ page }) => {
    test.skip(!KUBECTL, "kubectl is not installed (/usr/bin/kubectl): the live-update test did not run");
    await page.goto(`${LIVE_URL}/services/config-service/clusters`);
    await hydrated(page);
    await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-link", "live");
    await page.evaluate(() => ((window as any).__notReloaded = true));
    const ready = page.locator('[data-testid="cluster-card"][data-cluster="prod-eu-1"] [data-testid="workload"][data-name="config-service"] [data-testid="replicas-ready"]');
    await expect(ready).toHaveText(/\/2$/);
    kubectl("--context", "prod-eu-1", "-n", "platform", "scale", "deployment/config-service", "--replicas=5");
    await expect(ready).toHaveText(/\/5$/, { timeout: 5_000 });
    expect(await page.evaluate(() => (window as any).__notReloaded)).toBe(true);
    kubectl("--context", "prod-eu-1", "-n", "platform", "scale", "deployment/config-service", "--replicas=2");
    await expect(ready).toHaveText(/\/2$/, { timeout: 5_000 });
  });

  test("a cluster taken down shows as stale on the open page, then recovers", async ({ page, request }) => {
    await page.goto(`${LIVE_URL}/services/config-service/clusters`);
    await hydrated(page);
    await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-link", "live");
    const card = page.locator('[data-testid="cluster-card"][data-cluster="prod-us-2"]');
    await expect(card).toHaveAttribute("data-state", "synced");
    try {
      expect((await request.post(`${KUBESIM_ADMIN}/clusters/prod-us-2/down`)).ok()).toBe(true);
      await expect(card).toHaveAttribute("data-state", /stale|unreachable/, { timeout: 10_000 });
      await expect(card.getByTestId("cluster-trouble")).toContainText("cannot reach");
      // Stale data says how old it is, and no longer "live".
      await expect(card.getByTestId("freshness")).toHaveText(/^data from \d+ s ago$/);
      // The other clusters keep serving.
      await expect(page.locator('[data-testid="cluster-card"][data-cluster="prod-eu-1"]')).toHaveAttribute("data-state", "synced");
      await screenshot(page, "cluster-down");
    } finally {
      await request.post(`${KUBESIM_ADMIN}/clusters/prod-us-2/up`);
    }
    await expect(card).toHaveAttribute("data-state", "synced", { timeout: 20_000 });
  });
});
