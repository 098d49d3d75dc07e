import { test, expect, hydrated, screenshot } from "./fixtures";
import { LIVE_URL, LIVE_KUBECONFIG } from "../playwright.config";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const KUBECTL = ["/usr/bin/kubectl", "/usr/local/bin/kubectl"].find((p) => fs.existsSync(p));

/** `kubectl create -f` of these objects against the live test fleet's prod-eu-1. */
function create(objects: object[]) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "kubectl-"));
  const file = path.join(home, "hostile.yaml");
  fs.writeFileSync(file, objects.map((o) => JSON.stringify(o)).join("\n---\n"));
  execFileSync(KUBECTL!, ["--context", "prod-eu-1", "create", "-f", file], {
    env: { ...process.env, KUBECONFIG: path.resolve(__dirname, "..", LIVE_KUBECONFIG), HOME: home },
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  });
}

// Markup that would run if any of it reached the page unescaped.
const SCRIPT = `<script>window.__pwned = "script"</script>`;
const IMG = `<img src=x onerror="window.__pwned = 'img'">`;
// Right-to-left override and zero-width characters.
const ODD = "\u202Egnp.exe\u202C \u200B\u200D\uFEFF مرحبا";

test.describe("hostile objects in a cluster", () => {
  test("markup in images, event reasons and messages shows as text, clipped, and never runs", async ({ page }) => {
    test.skip(!KUBECTL, "kubectl is not installed (/usr/bin/kubectl): the hostile-object test did not run");
    const labels = { "app.kubernetes.io/name": "hostile" };
    const now = new Date().toISOString();
    create([
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: {
          name: "hostile",
          namespace: "platform",
          labels,
          // 1 MiB: the portal drops it instead of keeping or showing it.
          annotations: { "example.com/huge": "A".repeat(1024 * 1024), "example.com/markup": SCRIPT + IMG },
        },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: "app", image: `registry.example.com/${IMG}:1` }] },
          },
        },
      },
      {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name: "hostile.markup", namespace: "platform" },
        involvedObject: { apiVersion: "apps/v1", kind: "Deployment", name: "hostile", namespace: "platform" },
        type: "Warning",
        reason: `${SCRIPT}; rm -rf ~`,
        message: `${IMG} ${ODD} ${"x".repeat(200_000)}`,
        count: 3,
        firstTimestamp: now,
        lastTimestamp: now,
        source: { component: "hostile" },
      },
    ]);

    const finding = page.locator('[data-testid="finding"][data-rule="warning-events"]');
    await expect(async () => {
      await page.goto(`${LIVE_URL}/services/hostile/errors`);
      await expect(finding).toHaveCount(1, { timeout: 2_000 });
    }).toPass({ timeout: 30_000 });
    await hydrated(page);
    await finding.locator("summary").click();

    // Shown as text, exactly as written.
    await expect(finding.getByTestId("finding-message")).toContainText(SCRIPT);
    const cause = finding.getByTestId("finding-cause");
    await expect(cause).toContainText(IMG);
    await expect(cause).toContainText(ODD);
    // Clipped, saying how much was left out.
    await expect(cause).toContainText(/… \(\d+ more characters\)$/);
    expect((await cause.textContent())!.length).toBeLessThan(1_100);
    // The command to copy keeps the reason one quoted argument.
    await expect(finding.getByTestId("finding-fix")).toContainText(`--field-selector 'type=Warning,reason=${SCRIPT}; rm -rf ~'`);

    await page.goto(`${LIVE_URL}/services/hostile/clusters`);
    await hydrated(page);
    const workload = page.locator('[data-testid="workload"][data-name="hostile"]');
    await expect(workload).toContainText(`registry.example.com/${IMG}:1`);

    for (const tab of ["errors", "clusters", "overview"]) {
      await page.goto(`${LIVE_URL}/services/hostile/${tab === "overview" ? "" : tab}`);
      await hydrated(page);
      // Nothing ran, no element came from the markup, and nothing is wider than the window.
      expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
      expect(await page.locator('img[src="x"]').count()).toBe(0);
      const injected = await page.evaluate(() =>
        Array.from(document.scripts).filter((s) => s.textContent!.trim().startsWith("window.__pwned")).length,
      );
      expect(injected).toBe(0);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `the ${tab} tab is wider than the window`).toBeLessThanOrEqual(1);
    }
    await page.goto(`${LIVE_URL}/services/hostile/errors`);
    await finding.locator("summary").click();
    await screenshot(page, "hostile-objects");

    // The huge annotation never reaches a browser.
    const api = await page.request.get(`${LIVE_URL}/api/v1/services/hostile`);
    expect(api.ok()).toBe(true);
    const body = await api.text();
    expect(body).not.toContain("A".repeat(5_000));
    expect(body.length).toBeLessThan(200_000);
  });
});
