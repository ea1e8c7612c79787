// `bun verify report` on real results: a parity run of the hello fixture against a tampered
// reference folder (one artifact differs, one is missing), an explain run and a build, all with
// --json=FILE; the merged HTML page is opened in headless Chromium (Debian's chromium, driven by
// playwright-core), checked cell by cell, and a screenshot is left in test-results/.
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ResultFile } from "../verify/telemetry/index.ts";
import type { MergedReport } from "../verify/report/merged-report.ts";
import { HOST_TARGET, REPO, copyFixture, readJson, removeTemps, runCli, tempDir } from "./helpers.ts";

const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOT = path.join(REPO, "test-results", "observability-report.png");
/** A budget on darwin-arm64 that its ~85 MiB executable stays under: drawn as a line in the chart. */
const BUDGET = 150 * 1024 * 1024;

let app: string;
let results: string;
let reference: string;
let html: string;
let reportJson: string;

beforeAll(async () => {
  app = copyFixture("hello");
  const config = path.join(app, "targets.json");
  writeFileSync(config, readFileSync(config, "utf8").replace('{ "id": "darwin-arm64", "os": "darwin", "arch": "arm64" }', `{ "id": "darwin-arm64", "os": "darwin", "arch": "arm64", "maxBytes": ${BUDGET} }`));
  results = path.join(app, "results");

  const build = await runCli(["build", "--json=results/build.json"], { cwd: app });
  expect(build.exitCode, build.stderr).toBe(0);
  // An "earlier run" to compare with: the same build, with linux-x64 1 MiB smaller and 2 s faster.
  const old = readJson<ResultFile>(path.join(results, "build.json"));
  for (const o of (old.result.build as { outcomes: { id: string; entry: { bytes: number; durationMs: number } }[] }).outcomes) {
    if (o.id === "linux-x64") {
      o.entry.bytes -= 1024 * 1024;
      o.entry.durationMs += 2000;
    }
  }
  writeFileSync(path.join(app, "old-build.json"), JSON.stringify(old));

  reference = path.join(tempDir("reference-"), "dist");
  cpSync(path.join(app, "dist"), reference, { recursive: true });
  const fd = openSync(path.join(reference, "hello-linux-x64"), "r+");
  writeSync(fd, Buffer.from([0x90, 0x90]), 0, 2, 0x2000);
  closeSync(fd);
  rmSync(path.join(reference, "hello-windows-arm64.exe"));

  const parity = await runCli(["parity", "--reference", reference, "--json=results/parity.json"], { cwd: app });
  expect(parity.exitCode, parity.stderr).toBe(1);
  expect(parity.stdout).toContain("NO PARITY"); // the human output still prints
  const explain = await runCli(["explain", "dist/hello-linux-x64", path.join(reference, "hello-linux-x64"), "--json=results/explain.json"], { cwd: app });
  expect(explain.exitCode).toBe(1);

  html = path.join(app, "report.html");
  reportJson = path.join(app, "report.json");
});
afterAll(removeTemps);

describe.skipIf(HOST_TARGET !== "linux-x64")("bun verify report (Linux only: runs linux-x64 natively and linux-arm64 under qemu-user, opens the page in Debian's /usr/bin/chromium)", () => {
  it("merges the result files into a grid with a reason behind every non-pass, Markdown and HTML", async () => {
    const summary = path.join(tempDir(), "step-summary.md");
    writeFileSync(summary, "");
    const result = await runCli(["report", "results", "--html", "report.html", "--compare", "old-build.json", "--json=report.json"], {
      cwd: app,
      env: { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summary },
    });
    expect(result.exitCode).toBe(1); // parity failed: the report says so
    expect(result.stderr).toContain("failed: 2 check(s) failed");
    expect(result.stdout).toMatch(/linux-x64\s+pass\s+pass\s+FAIL\s+pass\s+pass\s+-\s/);
    expect(result.stdout).toMatch(/darwin-arm64\s+pass\s+pass\s+pass\s+pass\s+not run\s+-\s/);
    expect(result.stdout).toContain("darwin-arm64 smoke: not run: not run here: needs macos-15 (this host is linux-x64)");
    expect(result.stdout).toContain("windows-arm64 parity: FAIL: missing in reference");

    const md = readFileSync(summary, "utf8");
    expect(md).toContain("## bun-parity report ❌");
    expect(md).toMatch(/\| linux-x64 \| ✅ pass \| ✅ pass \| ❌ FAIL \|/);
    expect(md).toContain("<details><summary>linux-x64 differs: explain</summary>");

    const report = (readJson<ResultFile>(reportJson).result.report) as MergedReport;
    expect(report.sources.map((s) => s.command)).toEqual(["build", "parity", "explain"]);
    const linux = report.targets.find((t) => t.id === "linux-x64")!;
    // Two bytes at 0x2000 (the dynamic symbol table): no fingerprint covers the tampered copy.
    expect(linux.explanation).toEqual([expect.stringMatching(/^likely: different Bun runtime: bytes differ outside the module graph, in \.dynsym \(/)]);
    expect(report.compare?.rows.find((r) => r.id === "linux-x64")).toMatchObject({ oldBytes: linux.bytes! - 1024 * 1024 });
    expect(report.targets.find((t) => t.id === "darwin-arm64")!.maxBytes).toBe(BUDGET);
    expect(report.explains).toHaveLength(1);
    expect(result.stdout).toMatch(/linux-x64\s+104\.\d MiB\s+\+1\.0 MiB \(\+1\.0%\)/);
  });

  it("is one self-contained page that renders in headless Chromium with the expected verdicts", async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`).toBe(true);
    const page = readFileSync(html, "utf8");
    expect(page).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(page.match(/https?:\/\/[^"'\s<]+/g) ?? []).toEqual(["http://www.w3.org/2000/svg", "http://www.w3.org/2000/svg"]);

    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    try {
      const tab = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const requests: string[] = [];
      tab.on("request", (r) => requests.push(r.url()));
      const url = pathToFileURL(html).href;
      await tab.goto(url);
      expect(requests).toEqual([url]); // nothing fetched but the page itself

      const status = (target: string, check: string) => tab.getAttribute(`td[data-target="${target}"][data-check="${check}"]`, "data-status");
      const text = async (target: string, check: string) => (await tab.textContent(`td[data-target="${target}"][data-check="${check}"]`)) ?? "";
      expect(await tab.textContent("#verdict")).toBe("FAIL");
      expect(await tab.locator("#grid tbody tr").count()).toBe(6);
      for (const id of ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "windows-x64", "windows-arm64"]) {
        expect(await status(id, "built")).toBe("pass");
        expect(await status(id, "inspect")).toBe("pass");
        expect(await status(id, "security")).toBe("no-data");
      }
      expect(await status("linux-x64", "parity")).toBe("fail");
      expect(await text("linux-x64", "parity")).toContain("differs (folder");
      expect(await status("windows-arm64", "parity")).toBe("fail");
      expect(await text("windows-arm64", "parity")).toContain("missing in reference");
      expect(await status("darwin-arm64", "parity")).toBe("pass");
      expect(await status("linux-x64", "smoke")).toBe("pass");
      expect(await status("linux-arm64", "smoke")).toBe("pass"); // qemu-user (.ci/run installs it)
      expect(await status("darwin-arm64", "smoke")).toBe("not-run");
      expect(await text("darwin-arm64", "smoke")).toContain("needs macos-15");
      expect(await tab.textContent('tr[data-target="darwin-arm64"] td.num')).toMatch(/MiB \/ 150\.0 MiB\s*\d+% of budget/);
      expect(await tab.locator("#chart-size svg rect").count()).toBeGreaterThanOrEqual(6);
      expect(await tab.locator("#chart-size svg line").count()).toBe(1); // darwin-arm64's budget
      expect(await tab.locator("#chart-time svg rect").count()).toBeGreaterThanOrEqual(6);
      expect(await tab.isVisible('details.explain[data-target="linux-x64"] pre')).toBe(true);
      expect(await tab.textContent("#compare")).toContain("+1.0 MiB");

      mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
      await tab.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(readFileSync(SCREENSHOT).subarray(1, 4).toString()).toBe("PNG");
    } finally {
      await browser.close();
    }
  });

  it("tells what to do without result files, and rejects a file that is not one", async () => {
    const none = await runCli(["report"], { cwd: app });
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain("fix: Write them with --json=FILE");
    const wrong = await runCli(["report", "dist/manifest.json"], { cwd: app });
    expect(wrong.exitCode).toBe(2);
    expect(wrong.stderr).toContain('not a bun-parity result file (kind "bun-parity-result" expected)');
  });
});
