import { test, expect, hydrated, screenshot, expectAccessible } from "./fixtures";
import { DEMO_URL } from "../playwright.config";

test.describe("clusters (demo fleet)", () => {
  test("every cluster shows its region and how fresh its data is", async ({ page }) => {
    const response = await page.goto(`${DEMO_URL}/clusters`);
    expect(response?.status()).toBe(200);
    await hydrated(page);
    const rows = page.getByTestId("cluster-row");
    await expect(rows).toHaveCount(6);
    await expect(page.locator('[data-cluster="prod-eu-1"]')).toContainText("eu-west-1");
    await expect(page.locator('[data-cluster="prod-ap-1"]')).toContainText("ap-southeast-1");
    await expect(page.locator('[data-cluster="staging-eu-1"]')).toContainText("staging");
    for (const name of ["prod-eu-1", "staging-eu-1", "prod-us-1", "prod-us-2"]) {
      const row = page.locator(`[data-cluster="${name}"]`);
      await expect(row.getByTestId("cluster-state")).toHaveAttribute("data-state", "synced");
      await expect(row.getByTestId("freshness")).toHaveText(/^live · last change \d+ s ago$/);
    }
    // The portal's user may not list cluster-wide in prod-ap-2: it says so instead of failing.
    const restricted = page.locator('[data-cluster="prod-ap-2"]');
    await expect(restricted.getByTestId("cluster-state")).toHaveAttribute("data-state", "forbidden");
    await expect(restricted.getByTestId("hidden-namespaces")).toContainText("identity");
    await screenshot(page, "clusters");
    await expectAccessible(page);
  });

  test("a cluster's own page: its nodes, the kinds watched, and a warning where Wayfinder holds too much", async ({ page }) => {
    await page.goto(`${DEMO_URL}/clusters`);
    await hydrated(page);
    await page.locator('[data-cluster="prod-us-2"]').getByTestId("cluster-link").click();
    await expect(page).toHaveURL(/\/clusters\/prod-us-2$/);
    await expect(page.getByTestId("cluster-title")).toHaveText("prod-us-2");
    // The first access review runs as the cluster connects; the page is made on each load.
    await expect(async () => {
      await page.reload();
      await expect(page.getByTestId("permissions-excess")).toContainText(
        "Wayfinder needs less than it has: remove get secrets, list secrets, watch secrets.",
        { timeout: 1000 },
      );
    }).toPass({ timeout: 30_000 });
    await expect(page.getByTestId("node")).toHaveCount(3);
    await expect(page.getByTestId("node").first().getByTestId("node-ready")).toHaveText("Ready");
    await expect(page.getByTestId("node").first().getByTestId("node-cpu")).toContainText("of 7910m allocatable");
    await expect(page.locator('[data-testid="watched-kind"][data-kind="pods"]')).toContainText("cluster-wide");
    await expect(page.getByTestId("namespaces-visible")).toContainText("payments");
    await screenshot(page, "cluster-page");
    await expectAccessible(page);
    // A cluster whose role is what deploy/rbac.yaml grants has no warning.
    await page.goto(`${DEMO_URL}/clusters/prod-eu-1`);
    await expect(page.getByTestId("permissions-complete")).toBeVisible();
    await expect(page.getByTestId("permissions-excess")).toHaveCount(0);
  });
});
