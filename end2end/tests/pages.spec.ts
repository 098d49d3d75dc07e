import { test, expect, hydrated, screenshot, expectAccessible } from "./fixtures";

test.describe("service, team and system pages", () => {
  test("a service page links to its team, and the team page back to it", async ({ page }) => {
    const response = await page.goto("/services/checkout-api");
    expect(response?.status()).toBe(200);
    // The overview is kept rendered, the same bytes for every viewer: its inline scripts are
    // allowed by hash, not by a nonce. A hash Chromium disagreed with would block hydration and
    // log a console error, failing the test; the reload is answered from the kept page.
    const policy = response?.headers()["content-security-policy"] ?? "";
    expect(policy).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/]+=*'/);
    expect(policy).not.toContain("nonce-");
    await hydrated(page);
    const again = await page.reload();
    expect(again?.headers()["content-security-policy"]).toBe(policy);
    await hydrated(page);
    await expect(page.getByTestId("service-title")).toHaveText("Checkout API");
    await expect(page).toHaveTitle("Checkout API · Wayfinder");
    await expect(page.getByTestId("service-source")).toContainText("checkout-api/catalog-info.yaml:1");
    await expect(page.getByTestId("service-links").getByRole("link", { name: "Runbook" })).toHaveAttribute(
      "href",
      "https://runbooks.example.com/checkout-api",
    );
    await screenshot(page, "service");
    await expectAccessible(page);

    await page.getByTestId("service-owner").getByRole("link", { name: "Payments" }).click();
    await expect(page).toHaveURL(/\/teams\/payments$/);
    await expect(page.getByTestId("team-title")).toHaveText("Payments");
    await expect(page.getByTestId("team-members")).toContainText("Amara Okafor");
    await expect(page.getByTestId("catalog-row")).toHaveCount(6);
    await screenshot(page, "team");
    await expectAccessible(page);

    await page.getByRole("link", { name: "Ledger" }).click();
    await expect(page).toHaveURL(/\/services\/ledger$/);
    await expect(page.getByTestId("service-title")).toHaveText("Ledger");
  });

  test("service tabs have their own addresses and say no cluster is configured", async ({ page }) => {
    await page.goto("/services/search-api");
    await hydrated(page);
    for (const tab of ["clusters", "errors", "autoscaling"]) {
      await page.getByTestId(`tab-${tab}`).click();
      await expect(page).toHaveURL(new RegExp(`/services/search-api/${tab}$`));
      await expect(page.getByTestId(`tab-${tab}`)).toHaveAttribute("aria-current", "page");
      await expect(page.getByTestId("no-clusters")).toContainText("No cluster is configured.");
    }
    const response = await page.goto("/services/search-api/errors");
    expect(response?.status()).toBe(200);
    await expect(page.getByTestId("tab-panel-errors")).toBeVisible();
  });

  test("a system page lists its components", async ({ page }) => {
    await page.goto("/systems/fulfilment");
    await hydrated(page);
    await expect(page.getByTestId("system-title")).toHaveText("Fulfilment");
    await expect(page.getByTestId("catalog-row")).toHaveCount(5);
  });

  for (const path of ["/services/no-such-service", "/teams/no-such-team", "/systems/nope", "/not/a/page"]) {
    test(`unknown ${path} is a real 404 page`, async ({ page }) => {
      const response = await page.goto(path);
      expect(response?.status()).toBe(404);
      await expect(page.getByTestId("not-found")).toBeVisible();
      await expect(page).toHaveTitle("Not found · Wayfinder");
      await page.getByRole("link", { name: "Back to the catalog" }).click();
      await expect(page.getByTestId("catalog-row").first()).toBeVisible();
    });
  }

  test("the theme toggle switches dark mode and remembers it", async ({ page }) => {
    await page.emulateMedia({ colorScheme: "light" });
    await page.goto("/");
    await hydrated(page);
    const toggle = page.getByTestId("theme-toggle");
    await expect(toggle).toHaveText("Theme: system");
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const light = await background();
    await toggle.click();
    await expect(toggle).toHaveText("Theme: dark");
    await expect(page.locator("html")).toHaveClass(/dark/);
    await expect.poll(background).not.toBe(light);
    await screenshot(page, "catalog-dark");
    await page.reload();
    await hydrated(page);
    await expect(page.locator("html")).toHaveClass(/dark/);
    await expect(toggle).toHaveText("Theme: dark");
    await toggle.click();
    await expect(toggle).toHaveText("Theme: light");
    await expect.poll(background).toBe(light);
  });
});
