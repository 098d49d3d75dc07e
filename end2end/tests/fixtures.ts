import { test as base, expect, Locator, Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import * as fs from "fs";
import * as path from "path";

/** Every test fails on a page error or console error: they are how hydration bugs show. */
export const test = base.extend<{ consoleErrors: string[] }>({
  consoleErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
      page.on("console", (m) => {
        // A 404 page's own status is logged by Chromium; the tests assert that status themselves.
        const ownStatus = m.text().startsWith("Failed to load resource") && m.location().url === page.url();
        if (m.type() === "error" && !ownStatus) errors.push(`console: ${m.text()}`);
      });
      await use(errors);
      expect(errors, "no console or page errors").toEqual([]);
    },
    { auto: true },
  ],
});
export { expect };

/** Waits until the WASM has hydrated the server-rendered page. */
export async function hydrated(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

/** Opens a cluster's detailed tables on the Clusters tab (collapsed unless a workload is unwell),
 * as a user does: by clicking its summary. */
export async function expand(card: Locator) {
  if ((await card.getAttribute("open")) === null) await card.locator("summary").first().click();
  await expect(card).toHaveAttribute("open", "");
}

/** Saves a full-page screenshot under end2end/output/screenshots. */
export async function screenshot(page: Page, name: string) {
  const dir = path.join(__dirname, "..", "output", "screenshots");
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

/** Fails on any serious or critical accessibility violation. */
export async function expectAccessible(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(
    bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
  ).toEqual([]);
}

/** The catalog page, seen the way a user reads it. */
export class CatalogPage {
  constructor(readonly page: Page) {}

  rows() {
    return this.page.getByTestId("catalog-row");
  }

  async names(): Promise<string[]> {
    return this.rows().evaluateAll((rows) => rows.map((r) => r.getAttribute("data-service") ?? ""));
  }

  search() {
    return this.page.getByTestId("search");
  }

  filter(key: "owner" | "system" | "lifecycle" | "type" | "tag") {
    return this.page.getByTestId(`filter-${key}`);
  }
}
