// The reuse key: `bun verify build` reuses an executable only when nothing that can change its
// bytes changed. Each test changes one such input of a real project and builds again with the
// real compiler: the target must be rebuilt, and (where Bun uses the input) the bytes differ.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFixture, removeTemps, runCli, tempDir } from "./helpers.ts";

afterAll(removeTemps);

interface Outcome {
  status: "built" | "reused" | "failed";
  sha256: string;
  error?: string;
}

async function build(dir: string, target: string, env: Record<string, string> = {}): Promise<Outcome> {
  const result = await runCli(["build", "--target", target, "--json"], { cwd: dir, env });
  if (result.exitCode !== 0) throw new Error(`build exited ${result.exitCode}:\n${result.stderr}`);
  const outcome = (JSON.parse(result.stdout) as { outcomes: { status: Outcome["status"]; entry?: { sha256: string }; error?: string }[] }).outcomes[0]!;
  return { status: outcome.status, sha256: outcome.entry?.sha256 ?? "" };
}

function write(dir: string, file: string, text: string): void {
  mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  writeFileSync(path.join(dir, file), text);
}

/** The fixture with its one dependency installed (node_modules is never committed). */
function project(dest?: string): string {
  const dir = copyFixture("reuse-key", dest);
  write(dir, "node_modules/dep/package.json", '{ "name": "dep", "version": "1.0.0", "main": "one.js" }\n');
  write(dir, "node_modules/dep/one.js", 'export const dep = "dep one";\n');
  write(dir, "node_modules/dep/two.js", 'export const dep = "dep two";\n');
  return dir;
}

describe("the reuse key of bun verify build", () => {
  let dir: string;
  let last: Outcome;
  const env = { PUBLIC_URL: "https://one.example" };

  /** Builds linux-x64 and expects a rebuild with different bytes (Bun used the changed input). */
  async function rebuiltDifferent(extraEnv: Record<string, string> = env): Promise<void> {
    const next = await build(dir, "linux-x64", extraEnv);
    expect(next.status).toBe("built");
    expect(next.sha256).not.toBe(last.sha256);
    last = next;
  }

  beforeAll(async () => {
    dir = project();
    last = await build(dir, "linux-x64", env);
    expect(last.status).toBe("built");
  });

  it("reuses the executable when nothing changed, and when a file Bun never reads changed", async () => {
    expect(await build(dir, "linux-x64", env)).toEqual({ ...last, status: "reused" });
    // New and edited files no import can resolve to (a README, a build-info file, a folder).
    write(dir, "README.md", "not an input\n");
    write(dir, "tsconfig.tsbuildinfo", "{}\n");
    write(dir, "coverage/index.html", "<p>\n");
    expect((await build(dir, "linux-x64", env)).status).toBe("reused");
    write(dir, "README.md", "edited, still not an input\n");
    expect((await build(dir, "linux-x64", env)).status).toBe("reused");
  });

  it("an inherited variable that build.inlineEnv (PUBLIC_*) inlines", async () => {
    await rebuiltDifferent({ PUBLIC_URL: "https://two.example" });
    expect((await build(dir, "linux-x64", { PUBLIC_URL: "https://two.example", PRIVATE_TOKEN: "not inlined" })).status).toBe("reused");
    await rebuiltDifferent(env);
  });

  it.each([".env", ".env.production", ".env.local", ".env.production.local"])("the %s file Bun loads at build time", async (file) => {
    write(dir, file, `PUBLIC_FILE=from ${file}\n`);
    await rebuiltDifferent();
  });

  it("tsconfig paths in a file the tsconfig extends", async () => {
    const base = path.join(dir, "tsconfig.base.json");
    writeFileSync(base, readFileSync(base, "utf8").replace("shared/a.ts", "shared/b.ts"));
    await rebuiltDifferent();
  });

  it("a nested tsconfig.json nearer to the module", async () => {
    write(dir, "src/tsconfig.json", '{ "compilerOptions": { "baseUrl": "..", "paths": { "@alias/value": ["shared/a.ts"] } } }\n');
    await rebuiltDifferent();
  });

  it("a package.json on the resolution path (its \"type\" switches CommonJS interop)", async () => {
    write(dir, "src/package.json", '{ "type": "commonjs" }\n');
    await rebuiltDifferent();
  });

  it("a dependency's package.json (its \"main\")", async () => {
    write(dir, "node_modules/dep/package.json", '{ "name": "dep", "version": "1.0.0", "main": "two.js" }\n');
    await rebuiltDifferent();
  });

  it("bunfig.toml (bun build reads its [define])", async () => {
    write(dir, "bunfig.toml", '[define]\nFROM_BUNFIG = "\\"from bunfig\\""\n');
    await rebuiltDifferent();
  });

  it("a new file that now shadows the module an import resolved to", async () => {
    // `import "./util"` resolved to src/util/index.ts; src/util.ts comes first in Bun's lookup.
    write(dir, "src/util.ts", 'export const lib = "util.ts";\n');
    await rebuiltDifferent();
  });

  it("build.prepare: its commands run first and what they write is hashed like any source", async () => {
    write(dir, "gen.mjs", 'import { readFileSync, writeFileSync } from "node:fs";\nwriteFileSync("src/generated.ts", `export const generated = ${JSON.stringify(readFileSync("data.txt", "utf8").trim())};\\n`);\n');
    write(dir, "data.txt", "first\n");
    const cli = path.join(dir, "src/cli.ts");
    writeFileSync(cli, `import { generated } from "./generated";\nconsole.log(generated);\n${readFileSync(cli, "utf8")}`);
    const targets = JSON.parse(readFileSync(path.join(dir, "targets.json"), "utf8"));
    targets.build.prepare = ["node gen.mjs"];
    writeFileSync(path.join(dir, "targets.json"), JSON.stringify(targets, null, 2));
    await rebuiltDifferent();
    // The step runs again and writes the same bytes: nothing to rebuild.
    expect((await build(dir, "linux-x64", env)).status).toBe("reused");
    write(dir, "data.txt", "second\n");
    await rebuiltDifferent();
  });

  it("build.macosAdhocSign, which is not a compiler flag, for a darwin target", async () => {
    const signed = await build(dir, "darwin-x64", env);
    const targets = JSON.parse(readFileSync(path.join(dir, "targets.json"), "utf8"));
    targets.build.macosAdhocSign = false;
    writeFileSync(path.join(dir, "targets.json"), JSON.stringify(targets, null, 2));
    const unsigned = await build(dir, "darwin-x64", env);
    expect(unsigned.status).toBe("built");
    expect(unsigned.sha256).not.toBe(signed.sha256);
  });
});

describe("a project inside a workspace", () => {
  it("a lockfile above the project is part of the key; Bun ignores its content (same bytes)", async () => {
    const root = tempDir("workspace-");
    write(root, "package.json", '{ "private": true, "workspaces": ["packages/*"] }\n');
    write(root, "bun.lock", '{ "lockfileVersion": 1, "workspaces": {} }\n');
    const dir = project(path.join(root, "packages", "app"));
    const first = await build(dir, "linux-x64");
    write(root, "bun.lock", '{ "lockfileVersion": 1, "workspaces": { "": {} } }\n');
    const second = await build(dir, "linux-x64");
    expect(second.status).toBe("built");
    expect(second.sha256).toBe(first.sha256);
    // Outside the workspace (no lockfile, no .git above it), nothing is part of the key.
    renameSync(path.join(root, "bun.lock"), path.join(root, "bun.lock.off"));
    rmSync(path.join(root, "package.json"));
    expect((await build(dir, "linux-x64")).sha256).toBe(first.sha256);
  });
});
