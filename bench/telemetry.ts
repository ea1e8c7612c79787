// Benchmark: what an OTLP endpoint that never answers costs a command (`bun verify plan`), against
// the same command without an endpoint and with a refused one, in the same process. The cost
// should stay near OTEL_EXPORTER_OTLP_TIMEOUT (the export is abandoned then; docs/observability.md).
// Moved here from test/observability.test.ts, where a wall-clock limit was flaky on a shared machine.
// Prints times; not a timed test. Run: bun bench/telemetry.ts [--timeout-ms 2000] [--runs 3]
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BUN = path.join(REPO, "node_modules", "bun", "bin", "bun.exe");
const CLI = path.join(REPO, "verify", "cli.ts");
const arg = (name: string, fallback: number) => Number(process.argv[process.argv.indexOf(name) + 1]) || fallback;
const timeoutMs = arg("--timeout-ms", 2000);
const runs = arg("--runs", 3);

const work = mkdtempSync(path.join(os.tmpdir(), "bun-parity-bench-telemetry-"));
const silent = createServer(() => {}); // accepts, never answers
await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
const refused = createServer(() => {});
await new Promise<void>((resolve) => refused.listen(0, "127.0.0.1", resolve));
const refusedUrl = `http://127.0.0.1:${(refused.address() as AddressInfo).port}`;
await new Promise<void>((resolve) => refused.close(() => resolve()));
try {
  const app = path.join(work, "hello");
  cpSync(path.join(REPO, "test", "fixtures", "hello"), app, { recursive: true });
  cpSync(path.join(REPO, "bun-runtimes.lock.json"), path.join(app, "bun-runtimes.lock.json"));
  const median = (endpoint: string | undefined) => {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const env: NodeJS.ProcessEnv = { ...process.env, BUN_PARITY_BUN: BUN, CI: "1", OTEL_EXPORTER_OTLP_TIMEOUT: String(timeoutMs), OTEL_EXPORTER_OTLP_ENDPOINT: endpoint ?? "" };
      const start = performance.now();
      execFileSync(BUN, [CLI, "plan", "--target", "linux-x64"], { cwd: app, env, stdio: "ignore" });
      times.push(performance.now() - start);
    }
    return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
  };
  const none = median(undefined);
  const refusedMs = median(refusedUrl);
  const held = median(`http://127.0.0.1:${(silent.address() as AddressInfo).port}`);
  console.log(`bun verify plan, median of ${runs}, OTEL_EXPORTER_OTLP_TIMEOUT=${timeoutMs}`);
  console.log(`  no endpoint:                 ${none.toFixed(0)} ms`);
  console.log(`  refused endpoint:            ${refusedMs.toFixed(0)} ms   (+${(refusedMs - none).toFixed(0)} ms)`);
  console.log(`  endpoint that never answers: ${held.toFixed(0)} ms   (+${(held - none).toFixed(0)} ms; goal: at most the timeout + 1 s)`);
} finally {
  silent.closeAllConnections();
  silent.close();
  rmSync(work, { recursive: true, force: true });
}
