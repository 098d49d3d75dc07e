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
      await expect(row).toContainText(/synced \d+ s ago/);
    }
    // The portal's user may not list cluster-wide in prod-ap-2: it says so instead of failing.
    const restricted = page.locator('[data-cluster="prod-ap-2"]');
    await expect(restricted.getByTestId("cluster-state")).toHaveAttribute("data-state", "forbidden");
    await expect(restricted.getByTestId("hidden-namespaces")).toContainText("identity");
    await screenshot(page, "clusters");
    await expectAccessible(page);
  });
});
