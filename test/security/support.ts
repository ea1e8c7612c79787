// Plumbing for the security tests: run `bun verify security` in-process with an Io that writes
// to strings, build fixtures with the real CLI, plant generated secrets, and serve a local npm
// advisory endpoint so `npm audit` has a real service to talk to.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { expect } from "vitest";
import { runSecurity } from "../../verify/cli/security.ts";
import type { SecurityReport } from "../../verify/security/findings.ts";
import { CLI_ENV, runCli } from "../helpers.ts";

export interface SecurityRun {
  code: number;
  report: SecurityReport;
  stdout: string;
  stderr: string;
  /** The error runSecurity threw (CheckFailed when a check failed), if any. */
  error?: Error;
}

/** The environment a user's shell would give the command, minus GitHub Actions (annotations would mix into --json). */
export function securityEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...CLI_ENV, ...extra };
  delete env.GITHUB_ACTIONS;
  delete env.GITHUB_STEP_SUMMARY;
  for (const [key, value] of Object.entries(extra)) if (value === undefined) delete env[key];
  return env;
}

export interface SecurityFlags {
  strict?: boolean;
  dist?: string;
}

/** runSecurity as the CLI runs it, with stdout/stderr captured: the exit code and the error, no parsing. */
export async function securityRaw(cwd: string, flags: SecurityFlags = {}, files: string[] = [], env = securityEnv()) {
  let stdout = "";
  let stderr = "";
  const io = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, cwd, env };
  let code: number;
  let error: (Error & { fix?: string }) | undefined;
  try {
    code = await runSecurity(io, { json: true, ...flags }, files);
  } catch (e) {
    error = e as Error;
    code = (e as { exitCode?: number }).exitCode ?? 1;
  }
  return { code, stdout, stderr, error };
}

/** runSecurity(io, { json: true, ...flags }, files) with stdout/stderr captured; the exit code as the CLI maps it. */
export async function security(cwd: string, flags: SecurityFlags = {}, env = securityEnv(), files: string[] = []): Promise<SecurityRun> {
  const { code, stdout, stderr, error } = await securityRaw(cwd, flags, files, env);
  let report: SecurityReport;
  try {
    report = JSON.parse(stdout) as SecurityReport;
  } catch {
    throw new Error(`runSecurity printed no JSON report (exit ${code}):\n${stdout}\n${stderr}\n${error?.stack ?? ""}`);
  }
  return { code, report, stdout, stderr, error };
}

export function check(run: SecurityRun, id: string) {
  const found = run.report.checks.find((c) => c.id === id);
  if (!found) throw new Error(`no check ${id} in the report`);
  return found;
}

/** `bun verify/cli.ts build --config <dir>/targets.json` with the pinned Bun; fails the test on error. */
export async function buildFixture(dir: string): Promise<void> {
  const result = await runCli(["build", "--config", path.join(dir, "targets.json")], { cwd: dir });
  expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
}

/** Replaces placeholders in every file of a fixture copy (outside node_modules and dist). */
export function plant(dir: string, values: Record<string, string>): void {
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (name === "node_modules" || name === "dist") continue;
    if (statSync(file).isDirectory()) {
      plant(file, values);
      continue;
    }
    let text = readFileSync(file, "utf8");
    let changed = false;
    for (const [placeholder, value] of Object.entries(values)) {
      if (!text.includes(placeholder)) continue;
      text = text.replaceAll(placeholder, value);
      changed = true;
    }
    if (changed) writeFileSync(file, text);
  }
}

function characters(seed: string, alphabet: RegExp, length: number): string {
  let out = "";
  for (let i = 0; out.length < length; i++) {
    out += createHash("sha256").update(`${seed}:${i}`).digest("base64").replace(alphabet, "");
  }
  return out.slice(0, length);
}

/**
 * Generated credentials in the formats secretlint's recommended rules know. Built at run time so
 * no literal secret sits in the repository (its own scan, and GitHub push protection, would
 * rightly object).
 */
export const planted = {
  awsAccessKeyId: `AKIA${characters("aws-id", /[^A-Z0-9]/g, 16)}`,
  awsSecretAccessKey: characters("aws-secret", /[^A-Za-z0-9/+]/g, 40),
  githubToken: ["ghp", characters("github", /[^A-Za-z0-9]/g, 36)].join("_"),
  npmToken: ["npm", characters("npm", /[^A-Za-z0-9]/g, 36)].join("_"),
};

export interface AdvisoryServer {
  registry: string;
  requests: string[];
  close(): Promise<void>;
}

/**
 * A local npm registry that answers the bulk advisory endpoint: "405" like the public
 * registry does for these machines, or with the given advisories (and the packuments npm then
 * asks for).
 */
export async function advisoryServer(answer: "405" | Record<string, unknown[]>): Promise<AdvisoryServer> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      requests.push(`${req.method} ${req.url}`);
      if (req.method === "POST") {
        if (answer === "405") {
          res.writeHead(405, { allow: "GET,HEAD" });
          res.end();
          return;
        }
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(answer));
        return;
      }
      const name = decodeURIComponent((req.url ?? "/").slice(1));
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ name, "dist-tags": { latest: "1.3.0" }, versions: { "1.3.0": { name, version: "1.3.0", dist: { tarball: `http://127.0.0.1/${name}-1.3.0.tgz` } } } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    registry: `http://127.0.0.1:${port}/`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
