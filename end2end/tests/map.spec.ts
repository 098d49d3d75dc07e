import { test, expect, hydrated, screenshot, expectAccessible, expand } from "./fixtures";
import { WIDE_URL } from "../playwright.config";
import * as fs from "fs";
import * as path from "path";

/** The wide fleet (end2end/wide-fleet.sh): "fleet" runs 300 pods in 12 clusters, and its worker's
 * 4 pods in wide-02 and wide-07 cannot pull their image. */
test.describe("the cluster map at a glance", () => {
  test("300 pods in 12 clusters fit one 1400×900 screen, every failing pod on it", async ({ page }) => {
    await page.setViewportSize({ width: 1400, height: 900 });
    // kubesim's controllers start the pods within seconds of the fleet starting.
    await expect
      .poll(
        async () => {
          const r = await page.request.get(`${WIDE_URL}/api/v1/services/fleet`);
          if (!r.ok()) return -1;
          const d = await r.json();
          return d.clusters.reduce((n: number, c: { pods: unknown[] }) => n + c.pods.length, 0);
        },
        { timeout: 60_000 },
      )
      .toBe(300);
    await page.goto(`${WIDE_URL}/services/fleet/clusters`);
    await hydrated(page);
    const map = page.getByTestId("service-map");
    await expect(map.getByTestId("map-region")).toHaveCount(3);
    await expect(map.getByTestId("map-cluster")).toHaveCount(12);
    await expect(map.getByTestId("map-pod")).toHaveCount(300);
    await expect(map.getByTestId("map-totals")).toHaveText("300 pods in 12 clusters and 3 regions, 4 failing");
    // Regions side by side, each cluster with its state and freshness.
    const tops = await map.getByTestId("map-region").evaluateAll((rs) => rs.map((r) => r.getBoundingClientRect().top));
    expect(new Set(tops).size, "the regions sit side by side").toBe(1);
    const one = map.locator('[data-testid="map-cluster"][data-cluster="wide-01"]');
    await expect(one.getByTestId("map-state")).toHaveText("synced");
    await expect(one.getByTestId("map-freshness")).toHaveText("live");
    await expect(one.locator('[data-testid="map-workload"][data-name="fleet-api"]').getByTestId("map-ready")).toHaveText("25/25 ready");
    // The whole map is on the screen, without scrolling.
    const box = await map.boundingBox();
    expect(box!.y + box!.height, "the map's bottom edge").toBeLessThanOrEqual(900);
    expect(box!.x + box!.width, "the map's right edge").toBeLessThanOrEqual(1400);
    // Each failing pod: first in its line, on the screen, named with its reason.
    const failing = map.locator('[data-testid="map-pod"][data-health="failing"]');
    await expect(failing).toHaveCount(4);
    for (const square of await failing.all()) {
      await expect(square).toBeInViewport({ ratio: 1 });
      await expect(square).toHaveAttribute("aria-label", /^fleet-worker-\S+: (ErrImagePull|ImagePullBackOff)/);
    }
    const worker = map.locator('[data-testid="map-cluster"][data-cluster="wide-02"] [data-testid="map-workload"][data-name="fleet-worker"]');
    await expect(worker.getByTestId("map-ready")).toHaveText("0/2 ready");
    await expect(worker.getByTestId("map-pod").first()).toHaveAttribute("data-health", "failing");
    fs.mkdirSync(path.join(__dirname, "..", "output", "screenshots"), { recursive: true });
    await page.screenshot({ path: path.join(__dirname, "..", "output", "screenshots", "cluster-map-300-pods.png") });
    // The detailed tables below: open where a workload is unwell, collapsed elsewhere.
    await expect(page.locator('[data-testid="cluster-card"][data-cluster="wide-02"]')).toHaveAttribute("open", "");
    const quiet = page.locator('[data-testid="cluster-card"][data-cluster="wide-01"]');
    await expect(quiet).not.toHaveAttribute("open", "");
    await expand(quiet);
    await expect(quiet.getByTestId("pod")).toHaveCount(25);
    await expectAccessible(page);
    await screenshot(page, "cluster-map-300-pods-full");
    // Focus names the pod and why (the tip shows on focus as on hover); Enter opens its page.
    const square = worker.getByTestId("map-pod").first();
    const name = await square.getAttribute("data-name");
    await square.focus();
    const tip = await square.evaluate((e) => getComputedStyle(e, "::after").content);
    expect(tip).toContain(`${name}: `);
    await expect(square).toBeFocused();
    await page.keyboard.press("Enter");
    await expect(page).toHaveURL(new RegExp(`/services/fleet/pods/wide-02/fleet/${name}$`));
    await expect(page.getByTestId("pod-title")).toHaveText(name!);
  });
});
