// `bun verify security` end to end: tiny Bun apps with planted leaks are built with the
// real CLI and the pinned Bun, then scanned by runSecurity. Every planted leak must be found
// with artifact, embedded module and line; the clean app must pass with no findings.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ParityReport } from "../verify/parity/index.ts";
import { CheckFailed } from "../verify/errors.ts";
import type { Finding } from "../verify/security/findings.ts";
import { parityVsaStatements, writeParityVsas } from "../verify/security/provenance.ts";
import { copyFixture, readJson, removeTemps } from "./helpers.ts";
import { attestationSchema, cyclonedx16, schemaErrors } from "./security/schemas.ts";
import { advisoryServer, buildFixture, check, plant, planted, security, securityEnv } from "./security/support.ts";

afterAll(removeTemps);

interface Manifest {
  targets: { id: string; file: string; sha256: string; packages: string[]; runtime: { package: string; version: string; sha256: string } }[];
}

const fixture = (name: string) => copyFixture(`security/${name}`);
const errors = (findings: Finding[]) => findings.filter((f) => f.severity === "error");

function gitCommitAll(dir: string): string {
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.email=test@example.invalid", "-c", "user.name=bun-parity test", "-c", "init.defaultBranch=main", ...args], { cwd: dir, encoding: "utf8" });
  git("init", "-q");
  git("add", "-A");
  git("commit", "-q", "-m", "fixture");
  return git("rev-parse", "HEAD").trim();
}

describe("the clean fixture", () => {
  it("passes every check that can run here, with no findings, and writes valid SBOM and provenance", async () => {
    const dir = fixture("clean");
    writeFileSync(path.join(dir, ".gitignore"), "dist/\n");
    const commit = gitCommitAll(dir);
    await buildFixture(dir);

    const run = await security(dir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.report.passed).toBe(true);
    expect(run.report.checks.map((c) => [c.id, c.status])).toEqual([
      ["secrets", "passed"],
      ["artifact-leaks", "passed"],
      ["supply-chain", "passed"],
      ["audit", "not-run"],
      ["sbom", "passed"],
      ["provenance", "passed"],
    ]);
    expect(run.report.checks.flatMap((c) => c.findings)).toEqual([]);
    expect(check(run, "audit").summary).toMatch(/no package-lock\.json/);

    // SBOM: valid CycloneDX 1.6; no npm packages, only the runtime, with the locked digest.
    const manifest = readJson<Manifest>(path.join(dir, "dist", "manifest.json"));
    const target = manifest.targets[0]!;
    const bom = readJson<Record<string, unknown>>(path.join(dir, "dist", "sbom", `${target.file}.cdx.json`));
    const validate = cyclonedx16();
    expect(validate(bom), schemaErrors(validate.errors)).toBe(true);
    const components = bom.components as { type: string; name: string; hashes: { alg: string; content: string }[] }[];
    expect(components.map((c) => c.type)).toEqual(["platform"]);
    expect(components[0]!.hashes).toEqual([{ alg: "SHA-256", content: target.runtime.sha256 }]);

    // Provenance: valid Statement + SLSA v1 predicate, about these exact bytes and this commit.
    const statementFile = path.join(dir, "dist", "attestations", `${target.file}.provenance.intoto.json`);
    const statement = readJson<{ subject: { digest: { sha256: string } }[]; predicate: { buildDefinition: { resolvedDependencies: { digest?: Record<string, string> }[]; externalParameters: Record<string, unknown> }; runDetails: { builder: { id: string } } } }>(statementFile);
    const provenanceSchema = attestationSchema("slsa-provenance-v1");
    expect(provenanceSchema(statement), schemaErrors(provenanceSchema.errors)).toBe(true);
    expect(statement.subject[0]!.digest.sha256).toBe(target.sha256);
    expect(statement.predicate.buildDefinition.externalParameters.sourceCommit).toBe(commit);
    const digests = statement.predicate.buildDefinition.resolvedDependencies.map((d) => d.digest ?? {});
    expect(digests).toContainEqual({ gitCommit: commit });
    expect(digests).toContainEqual({ sha256: target.runtime.sha256 });
    expect(digests).toContainEqual({ sha256: createHash("sha256").update(readFileSync(path.join(dir, "targets.json"))).digest("hex") });
    expect(statement.predicate.runDetails.builder.id).toMatch(/^https:\/\/github\.com\/bun-parity\/bun-parity\/local@v\d/);

    // The schemas are not vacuous: a subject without digest, or a predicate typo, is rejected.
    const broken = structuredClone(statement) as unknown as { subject: { digest?: unknown }[]; predicate: Record<string, unknown> };
    delete broken.subject[0]!.digest;
    expect(provenanceSchema(broken)).toBe(false);
    const typo = structuredClone(statement) as unknown as { predicate: Record<string, unknown> };
    typo.predicate.rundetails = typo.predicate.runDetails;
    delete typo.predicate.runDetails;
    expect(provenanceSchema(typo)).toBe(false);

    // After a parity run: a VSA per artifact, valid against the VSA schema, then reported by security.
    const report: ParityReport = {
      project: dir,
      native: { command: "just build-all", distDir: path.join(dir, "dist") },
      reference: { kind: "clean-room", location: "clean-room rebuild", chosenBecause: "default; dagger not used: no `dagger` on PATH" },
      rows: [{ target: "linux-x64", file: target.file, native: { sha256: target.sha256 }, reference: { sha256: target.sha256 }, verdict: "identical" }],
      validation: { inspect: { checked: 1, failures: [] }, smoke: { passed: 1, failed: [], notRun: 0 } },
      passed: true,
    };
    const written = await writeParityVsas(report, { env: {}, now: new Date("2026-01-02T03:04:05Z") });
    expect(written).toEqual([path.join(dir, "dist", "attestations", `${target.file}.vsa.intoto.json`)]);
    const vsa = readJson<{ predicate: Record<string, unknown> }>(written[0]!);
    const vsaSchema = attestationSchema("slsa-vsa-v1");
    expect(vsaSchema(vsa), schemaErrors(vsaSchema.errors)).toBe(true);
    expect(vsa.predicate.verificationResult).toBe("PASSED");
    expect(vsa.predicate.timeVerified).toBe("2026-01-02T03:04:05.000Z");
    expect(JSON.stringify(vsa)).toContain("clean-room");
    const again = await security(dir);
    expect(check(again, "provenance").summary).toContain("parity VSA: linux-x64 PASSED");

    // A failed parity verdict gives FAILED, still schema-valid; a level may not be a made-up SLSA_ one.
    const failed = parityVsaStatements({ ...report, rows: [{ ...report.rows[0]!, reference: { sha256: "0".repeat(64) }, verdict: "differs", explanation: ["absolute path leaked"] }], passed: false })[0]!;
    expect(vsaSchema(failed.statement), schemaErrors(vsaSchema.errors)).toBe(true);
    expect((failed.statement.predicate as Record<string, unknown>).verificationResult).toBe("FAILED");
    // Identical bytes but a failing smoke case: the policy is not met either.
    const smokeFailed = parityVsaStatements({ ...report, validation: { ...report.validation, smoke: { passed: 0, failed: [{ target: "linux-x64", case: "version", reason: "exit 1" }], notRun: 0 } } })[0]!;
    expect((smokeFailed.statement.predicate as Record<string, unknown>).verificationResult).toBe("FAILED");
    const madeUp = structuredClone(failed.statement) as { predicate: { verifiedLevels: string[] } };
    madeUp.predicate.verifiedLevels = ["SLSA_BUILD_LEVEL_9"];
    expect(vsaSchema(madeUp)).toBe(false);
  });
});

describe("planted leaks are found with artifact, module and line", () => {
  it("an AWS-style key in a source file: in the sources and inside the executable", async () => {
    const dir = fixture("aws-key");
    plant(dir, { __PLANTED_AWS_ACCESS_KEY_ID__: planted.awsAccessKeyId, __PLANTED_AWS_SECRET_ACCESS_KEY__: planted.awsSecretAccessKey });
    await buildFixture(dir);
    const run = await security(dir);
    expect(run.code).toBe(1);
    expect(run.error).toBeInstanceOf(CheckFailed);

    const sources = check(run, "secrets");
    expect(sources.status).toBe("failed");
    expect(sources.findings).toContainEqual(expect.objectContaining({ file: "config.ts", line: 8, rule: "@secretlint/secretlint-rule-aws", severity: "error" }));

    const leaks = check(run, "artifact-leaks");
    expect(leaks.status).toBe("failed");
    const inBinary = leaks.findings.find((f) => f.rule === "@secretlint/secretlint-rule-aws");
    expect(inBinary).toMatchObject({ artifact: "aws-key-linux-x64", module: "aws-key" });
    expect(inBinary!.line).toBeGreaterThanOrEqual(1);
    // The report never repeats the secret.
    expect(run.stdout).not.toContain(planted.awsSecretAccessKey);
  });

  it("tokens inlined through --define and --env", async () => {
    const dir = fixture("inlined-token");
    plant(dir, { __PLANTED_GITHUB_TOKEN__: planted.githubToken, __PLANTED_NPM_TOKEN__: planted.npmToken });
    await buildFixture(dir);
    const run = await security(dir);
    expect(run.code).toBe(1);
    const leaks = check(run, "artifact-leaks");
    const where = { artifact: "inlined-token-linux-x64", module: "inlined-token" };
    expect(leaks.findings).toContainEqual(expect.objectContaining({ ...where, rule: "@secretlint/secretlint-rule-github", line: expect.any(Number) }));
    expect(leaks.findings).toContainEqual(expect.objectContaining({ ...where, rule: "@secretlint/secretlint-rule-npm", line: expect.any(Number) }));
    const inlined = leaks.findings.filter((f) => f.rule === "env/inlined-value");
    expect(inlined).toContainEqual(expect.objectContaining({ ...where, severity: "error", message: expect.stringMatching(/API_TOKEN.*--define process\.env\.API_TOKEN/) }));
    expect(inlined).toContainEqual(expect.objectContaining({ ...where, severity: "error", message: expect.stringMatching(/PUBLIC_NPM_TOKEN.*--env=PUBLIC_\*/) }));
    expect(inlined.every((f) => typeof f.line === "number")).toBe(true);
    // targets.json itself now holds a token: the source scan says so too.
    expect(check(run, "secrets").findings).toContainEqual(expect.objectContaining({ file: "targets.json", rule: "@secretlint/secretlint-rule-github" }));
    expect(run.stdout).not.toContain(planted.githubToken);
    expect(run.stdout).not.toContain(planted.npmToken);
  });

  it("a bundled .env file", async () => {
    const dir = fixture("dotenv");
    await buildFixture(dir);
    const run = await security(dir);
    expect(run.code).toBe(1);
    const found = check(run, "artifact-leaks").findings.filter((f) => f.rule === "dotenv/file");
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ artifact: "dotenv-linux-x64", severity: "error", line: 2 });
    expect(found[0]!.module).toMatch(/^-[a-z0-9]{8}\.env$/);
    expect(found[0]!.message).toContain("SESSION_SECRET (line 2)");
    expect(run.stdout).not.toContain("planted-session-value-for-tests");
  });

  it("a __dirname path leak", async () => {
    const dir = fixture("dirname-leak");
    await buildFixture(dir);
    const run = await security(dir);
    expect(run.code).toBe(1);
    const found = check(run, "artifact-leaks").findings.filter((f) => f.rule === "path/__dirname");
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ artifact: "dirname-leak-linux-x64", module: "dirname-leak", severity: "error", line: expect.any(Number) });
    expect(found[0]!.message).toContain(JSON.stringify(dir));
  });

  it("a key that minify removed from the code but the embedded sourcemap still carries", async () => {
    const dir = fixture("sourcemap-comment");
    plant(dir, { __PLANTED_AWS_SECRET_ACCESS_KEY__: planted.awsSecretAccessKey });
    await buildFixture(dir);
    const run = await security(dir);
    const leaks = check(run, "artifact-leaks");
    expect(leaks.findings).toEqual([
      expect.objectContaining({ artifact: "sourcemap-comment-linux-x64", module: "sourcemap-comment", source: "index.ts", line: 3, rule: "@secretlint/secretlint-rule-aws" }),
    ]);
    expect(leaks.summary).toContain("1 original source(s) from embedded sourcemaps");
  });
});

describe("SBOM", () => {
  it("lists exactly the two npm packages bundled into the executable, plus the runtime, and validates against CycloneDX 1.6", async () => {
    const dir = fixture("two-packages");
    const write = (pkg: string, version: string, license: string, exported: string) => {
      const folder = path.join(dir, "node_modules", ...pkg.split("/"));
      mkdirSync(folder, { recursive: true });
      writeFileSync(path.join(folder, "package.json"), JSON.stringify({ name: pkg, version, license, type: "module", main: "index.js" }));
      writeFileSync(path.join(folder, "index.js"), `export function ${exported}() { return "${pkg}@${version}"; }\n`);
    };
    write("alpha-pkg", "1.2.3", "MIT", "alpha");
    write("@fixture/beta-pkg", "4.5.6", "Apache-2.0", "beta");
    // A third package that is installed but not imported: it must not appear.
    write("unused-pkg", "9.9.9", "MIT", "unused");
    await buildFixture(dir);

    const run = await security(dir);
    expect(check(run, "sbom").status).toBe("passed");
    const manifest = readJson<Manifest>(path.join(dir, "dist", "manifest.json"));
    const target = manifest.targets[0]!;
    expect(target.packages).toEqual(["@fixture/beta-pkg@4.5.6", "alpha-pkg@1.2.3"]);
    const bom = readJson<Record<string, unknown>>(path.join(dir, "dist", "sbom", `${target.file}.cdx.json`));
    const validate = cyclonedx16();
    expect(validate(bom), schemaErrors(validate.errors)).toBe(true);

    const components = (bom.components as Record<string, unknown>[]).map((c) => ({
      type: c.type,
      group: c.group,
      name: c.name,
      version: c.version,
      purl: c.purl,
      licenses: c.licenses,
    }));
    expect(components).toEqual([
      { type: "library", group: "@fixture", name: "beta-pkg", version: "4.5.6", purl: "pkg:npm/%40fixture/beta-pkg@4.5.6", licenses: [{ license: { id: "Apache-2.0" } }] },
      { type: "library", group: undefined, name: "alpha-pkg", version: "1.2.3", purl: "pkg:npm/alpha-pkg@1.2.3", licenses: [{ license: { id: "MIT" } }] },
      { type: "platform", group: "@oven", name: "bun-linux-x64", version: target.runtime.version, purl: `pkg:npm/%40oven/bun-linux-x64@${target.runtime.version}`, licenses: [{ license: { id: "MIT" } }] },
    ]);
    const metadata = bom.metadata as { component: { name: string; hashes: { alg: string; content: string }[] } };
    expect(metadata.component.name).toBe(target.file);
    expect(metadata.component.hashes).toEqual([{ alg: "SHA-256", content: target.sha256 }]);
    // Deterministic: a second run writes the same bytes.
    const first = readFileSync(path.join(dir, "dist", "sbom", `${target.file}.cdx.json`), "utf8");
    await security(dir);
    expect(readFileSync(path.join(dir, "dist", "sbom", `${target.file}.cdx.json`), "utf8")).toBe(first);
  });
});

describe("supply chain", () => {
  it("reports a tampered runtime digest", async () => {
    const dir = fixture("clean");
    await buildFixture(dir);
    const lockFile = path.join(dir, "bun-runtimes.lock.json");
    const lock = readJson<{ runtimes: Record<string, { sha256: string }> }>(lockFile);
    lock.runtimes["@oven/bun-linux-x64"]!.sha256 = "0".repeat(64);
    writeFileSync(lockFile, JSON.stringify(lock, null, 2));

    const run = await security(dir);
    expect(run.code).toBe(1);
    const supply = check(run, "supply-chain");
    expect(supply.status).toBe("failed");
    expect(errors(supply.findings)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ rule: "runtime/digest", artifact: "clean-linux-x64", file: "bun-runtimes.lock.json" }),
        expect.objectContaining({ rule: "runtime/cache-digest", message: expect.stringContaining("@oven/bun-linux-x64") }),
      ]),
    );
  });

  it("reports git-URL and foreign tarball dependencies and packages without integrity", async () => {
    const dir = fixture("supply-chain");
    const server = await advisoryServer("405");
    try {
      const run = await security(dir, {}, securityEnv({ npm_config_registry: server.registry, npm_config_fetch_retries: "0" }));
      expect(run.code).toBe(1);
      const supply = check(run, "supply-chain");
      expect(supply.status).toBe("failed");
      const byRule = (rule: string) => supply.findings.filter((f) => f.rule === rule).map((f) => `${f.file}: ${f.message.split(" ")[0]}`);
      expect(byRule("dependency/git")).toEqual(["package-lock.json: node_modules/gitdep", "package.json: dependencies.gitdep"]);
      expect(byRule("dependency/tarball-url")).toEqual(["package-lock.json: node_modules/tardep", "package.json: dependencies.tardep"]);
      expect(byRule("lockfile/no-integrity")).toEqual(["package-lock.json: node_modules/nointegrity@0.1.0"]);
      expect(supply.findings.some((f) => f.message.includes("left-pad"))).toBe(false);
      // Nothing was built: the artifact checks say so instead of passing.
      for (const id of ["artifact-leaks", "sbom", "provenance"]) {
        expect(check(run, id)).toMatchObject({ status: "not-run", summary: expect.stringContaining("no manifest.json") });
      }
    } finally {
      await server.close();
    }
  });
});

describe("known vulnerabilities (npm audit against a local advisory service)", () => {
  const audit = async (answer: "405" | Record<string, unknown[]>, strict: boolean) => {
    const dir = fixture("audit");
    const server = await advisoryServer(answer);
    try {
      const run = await security(dir, { strict }, securityEnv({ npm_config_registry: server.registry, npm_config_fetch_retries: "0" }));
      expect(server.requests.some((r) => r.startsWith("POST /-/npm/v1/security/advisories/bulk"))).toBe(true);
      return run;
    } finally {
      await server.close();
    }
  };

  it("an unreachable service is not run, with the reason; the command still passes", async () => {
    const run = await audit("405", false);
    expect(check(run, "audit")).toMatchObject({ status: "not-run", summary: expect.stringMatching(/could not reach the advisory service: 405 Method Not Allowed/) });
    expect(run.code).toBe(0);
    expect(run.report.passed).toBe(true);
  });

  it("with --strict, not run is a failure", async () => {
    const run = await audit("405", true);
    expect(check(run, "audit").status).toBe("not-run");
    expect(run.code).toBe(1);
    expect(run.report.passed).toBe(false);
    expect(run.error?.message).toMatch(/known vulnerabilities.*not run \(--strict\)/);
  });

  it("a vulnerable package fails the check, naming the advisory", async () => {
    const run = await audit(
      { "left-pad": [{ id: 1, url: "https://github.com/advisories/GHSA-0000-0000-0000", title: "Planted advisory", severity: "high", vulnerable_versions: "<=1.3.0", cwe: [], cvss: { score: 7.5, vectorString: null } }] },
      false,
    );
    const result = check(run, "audit");
    expect(result.status).toBe("failed");
    expect(result.summary).toContain("1 vulnerable package(s) (1 high)");
    expect(result.findings).toEqual([expect.objectContaining({ severity: "error", rule: "audit/high", file: "package-lock.json", message: expect.stringMatching(/^left-pad .*Planted advisory/) })]);
    expect(run.code).toBe(1);
  });

  it("no advisories: passed", async () => {
    const run = await audit({}, true);
    expect(check(run, "audit")).toMatchObject({ status: "passed", summary: expect.stringContaining("no known vulnerabilities") });
  });
});

describe("this repository", () => {
  it("its own sources carry no secrets (the planted fixtures hold placeholders only)", async () => {
    const { secretScanner, sourceFiles, scanSources } = await import("../verify/security/secrets.ts");
    const { REPO } = await import("./helpers.ts");
    const list = await sourceFiles(REPO, path.join(REPO, "dist"), process.env);
    expect(list.files).toContain("test/fixtures/security/aws-key/config.ts");
    const result = await scanSources(REPO, list, await secretScanner());
    expect(result.findings).toEqual([]);
    expect(existsSync(path.join(REPO, "test", "schemas", "slsa-vsa-v1.schema.json"))).toBe(true);
  });
});
