import { test, expect, hydrated, screenshot, expectAccessible, CatalogPage } from "./fixtures";

test.describe("service catalog", () => {
  test("lists the example services with owners and systems", async ({ page }) => {
    const catalog = new CatalogPage(page);
    const response = await page.goto("/");
    expect(response?.status()).toBe(200);
    await hydrated(page);
    await expect(page).toHaveTitle("Service catalog · Wayfinder");
    await expect(catalog.rows()).toHaveCount(42);
    await expect(page.getByTestId("result-count")).toHaveText("42 of 42 services");
    const checkout = page.locator('[data-service="checkout-api"]');
    await expect(checkout).toContainText("Checkout API");
    await expect(checkout.getByRole("link", { name: "Payments" })).toHaveAttribute("href", "/teams/payments");
    await expect(checkout.getByRole("link", { name: "Checkout", exact: true })).toHaveAttribute("href", "/systems/checkout");
    await expect(page.getByTestId("problems-banner")).toContainText("problems in the descriptor files");
    await screenshot(page, "catalog");
    await expectAccessible(page);
  });

  test("search narrows the list, survives a reload and is reachable with /", async ({ page }) => {
    const catalog = new CatalogPage(page);
    await page.goto("/");
    await hydrated(page);
    await page.keyboard.press("/");
    await expect(catalog.search()).toBeFocused();
    await page.keyboard.type("ledger");
    await expect(page).toHaveURL(/\?q=ledger$/);
    await expect.poll(() => catalog.names()).toEqual(["ledger"]);
    await page.reload();
    await hydrated(page);
    await expect(catalog.search()).toHaveValue("ledger");
    await expect.poll(() => catalog.names()).toEqual(["ledger"]);
    await catalog.search().fill("zzz-nothing");
    await expect(page.getByTestId("no-match")).toBeVisible();
    await page.getByTestId("no-match").getByRole("link", { name: "Clear filters" }).click();
    await expect(catalog.rows()).toHaveCount(42);
  });

  test("a long list comes in pages; a new search starts again on the first", async ({ page }) => {
    const catalog = new CatalogPage(page);
    await page.goto("/?limit=20");
    await hydrated(page);
    await expect(catalog.rows()).toHaveCount(20);
    await expect(page.getByTestId("result-count")).toHaveText("42 of 42 services, showing 1–20");
    await expect(page.getByTestId("page-prev")).toHaveCount(0);
    const first = await catalog.names();
    await page.getByTestId("page-next").click();
    await expect(page).toHaveURL(/[?&]page=2/);
    await expect(page.getByTestId("result-count")).toHaveText("42 of 42 services, showing 21–40");
    await expect(page.getByTestId("pager")).toContainText("Page 2 of 3");
    const second = await catalog.names();
    expect(second.filter((n) => first.includes(n))).toEqual([]);
    await page.getByTestId("page-next").click();
    await expect(catalog.rows()).toHaveCount(2);
    await expect(page.getByTestId("page-next")).toHaveCount(0);
    await catalog.search().fill("a");
    await expect(page).not.toHaveURL(/page=/);
    await expect(page.getByTestId("result-count")).toContainText("showing 1–20");
  });

  const filters: Array<[key: "owner" | "system" | "lifecycle" | "type" | "tag", value: string, expected: string[]]> = [
    ["owner", "payments", ["checkout-api", "fraud-scoring", "invoice-renderer", "ledger", "payments-gateway", "refunds-worker"]],
    ["system", "search", ["autocomplete", "ranking-trainer", "recommendations", "search-api", "search-indexer"]],
    ["lifecycle", "deprecated", ["etl-scheduler", "legacy-soap-bridge", "service-mesh-controller", "newsletter"]],
    ["type", "website", ["warehouse-ui", "web-shop"]],
    ["tag", "rust", ["image-resizer", "log-shipper", "mfa-service"]],
  ];
  for (const [key, value, expected] of filters) {
    test(`the ${key} filter narrows the list and survives a reload`, async ({ page }) => {
      const catalog = new CatalogPage(page);
      await page.goto("/");
      await hydrated(page);
      await catalog.filter(key).selectOption(value);
      await expect(page).toHaveURL(new RegExp(`[?&]${key}=${value}(&|$)`));
      await expect.poll(async () => (await catalog.names()).sort()).toEqual([...expected].sort());
      await page.reload();
      await hydrated(page);
      await expect(catalog.filter(key)).toHaveValue(value);
      await expect.poll(async () => (await catalog.names()).sort()).toEqual([...expected].sort());
    });
  }

  test("filters combine, and the back button undoes one", async ({ page }) => {
    const catalog = new CatalogPage(page);
    await page.goto("/?owner=payments");
    await hydrated(page);
    await catalog.filter("lifecycle").selectOption("experimental");
    await expect.poll(() => catalog.names()).toEqual(["fraud-scoring"]);
    await page.goBack();
    await expect(page).toHaveURL(/\?owner=payments$/);
    await expect(catalog.rows()).toHaveCount(6);
  });

  test("columns sort both ways", async ({ page }) => {
    const catalog = new CatalogPage(page);
    await page.goto("/?system=checkout");
    await hydrated(page);
    await page.getByTestId("sort-name").click();
    await expect(page.locator('th[aria-sort="descending"]')).toContainText("Service");
    const names = await catalog.names();
    expect(names[0]).toBe("refunds-worker");
    await page.getByTestId("sort-lifecycle").click();
    await expect(page).toHaveURL(/sort=lifecycle/);
    await expect(page.locator('th[aria-sort="ascending"]')).toContainText("Lifecycle");
    await expect.poll(async () => (await catalog.names())[0]).toBe("fraud-scoring");
  });

  test("the catalog problems page names file and line", async ({ page }) => {
    await page.goto("/catalog/problems");
    await hydrated(page);
    const rows = page.getByTestId("problem-row");
    await expect(rows.filter({ hasText: "unmaintained/syntax-error.yaml:8" })).toHaveCount(1);
    await expect(rows.filter({ hasText: "unmaintained/incomplete.yaml:10" })).toContainText("spec.owner is missing");
    await expect(rows.filter({ hasText: "unknown apiVersion" })).toHaveCount(1);
    await expect(rows.filter({ hasText: "erp-integration" })).toHaveAttribute("data-kind", "dangling-reference");
    await expect(rows.filter({ hasText: "already defined" })).toHaveAttribute("data-kind", "duplicate-name");
    await screenshot(page, "problems");
  });
});
