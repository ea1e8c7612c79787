// The Dagger module's pipelines, checked as lazy query trees: no engine, no registry. What a
// function would send to the engine is fixed before anything runs, so these tests see the pinned
// image, the install order, the caches, the environment, the recipe and the exported path.
import { readFileSync } from "node:fs";
import path from "node:path";

import { dag } from "@dagger.io/dagger";
import { describe, expect, it } from "vitest";

import { readBuildLayout, smokeLabel, smokeVenue, findTarget, type BuildLayout } from "../../dagger/src/targets.ts";
import {
  aptInstall,
  BASE_IMAGE,
  buildAllOutput,
  buildTargetOutput,
  CACHES,
  CONTAINER_ENV,
  DEFAULT_NPM_REGISTRY,
  INSTALL_COMMAND,
  npmrcFor,
  SOURCE_IGNORE,
  securityContainer,
  smokeContainer,
  stepContainer,
  TEST_PACKAGES,
  WORKDIR,
} from "../../dagger/src/toolchain.ts";
import { envOf, execs, indexOfStep, isQueryRef, queryOf, stepsNamed, type QueryStep } from "./query-tree.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const layout = readBuildLayout(readFileSync(path.join(ROOT, "targets.json"), "utf8"));

/** Stands for the `source` Directory the CLI uploads; the marker makes it recognisable in a tree. */
const source = dag.directory().withNewFile("fixture-marker", "test source");
const sourceQuery = queryOf(source);

function isSource(value: unknown): boolean {
  return isQueryRef(value) && JSON.stringify(value.query) === JSON.stringify(sourceQuery);
}

const linuxArm64 = findTarget(layout, "linux-arm64");

/** The `npm ci` exec (the test container runs apt-get before it). */
const isInstall = (s: QueryStep) => s.operation === "withExec" && JSON.stringify(s.args.args) === JSON.stringify(INSTALL_COMMAND);

type FunctionName = "buildAll" | "build" | "test" | "lint" | "securityScan" | "smoke";

/** Every pipeline the module's functions build, by function name. */
function pipelines(l: BuildLayout = layout): Record<FunctionName, QueryStep[]> {
  return {
    buildAll: queryOf(buildAllOutput(source, l)),
    build: queryOf(buildTargetOutput(source, l, "linux-arm64")),
    test: queryOf(stepContainer(source, "test")),
    lint: queryOf(stepContainer(source, "lint")),
    securityScan: queryOf(securityContainer(source, l, buildAllOutput(source, l))),
    smoke: queryOf(smokeContainer(source, l, buildAllOutput(source, l), linuxArm64, "linux/arm64" as never)),
  };
}

describe("the pinned toolchain container", () => {
  it("starts every pipeline from the Node bookworm-slim image pinned by digest", () => {
    expect(BASE_IMAGE).toMatch(/^node:\d+\.\d+\.\d+-bookworm-slim@sha256:[0-9a-f]{64}$/);
    for (const [fn, query] of Object.entries(pipelines())) {
      expect(query[0]?.operation, fn).toBe("container");
      expect(query[1], fn).toEqual({ operation: "from", args: { address: BASE_IMAGE } });
      expect(stepsNamed(query, "from"), fn).toHaveLength(1);
    }
  });

  it("sets the documented environment explicitly, the same for every function", () => {
    expect(CONTAINER_ENV).toMatchObject({
      HOME: "/root",
      TZ: "UTC",
      LANG: "C.UTF-8",
      NODE_ENV: "development",
      BUN_PARITY_CACHE_DIR: CACHES.runtimes.path,
    });
    expect(CONTAINER_ENV.PATH?.split(":")[0]).toBe(`${WORKDIR}/node_modules/.bin`);
    for (const [fn, query] of Object.entries(pipelines())) expect(envOf(query), fn).toEqual(CONTAINER_ENV);
  });

  it("mounts cache volumes for the npm cache and the pinned Bun runtimes before installing", () => {
    for (const [fn, query] of Object.entries(pipelines())) {
      const mounts = stepsNamed(query, "withMountedCache").map((step) => ({
        path: step.args.path,
        volume: isQueryRef(step.args.cache) ? step.args.cache.query : undefined,
        sharing: step.args.sharing,
      }));
      expect(mounts, fn).toEqual([
        { path: "/root/.npm", volume: [{ operation: "cacheVolume", args: { key: CACHES.npm.volume } }], sharing: "SHARED" },
        {
          path: CONTAINER_ENV.BUN_PARITY_CACHE_DIR,
          volume: [{ operation: "cacheVolume", args: { key: CACHES.runtimes.volume } }],
          sharing: "SHARED",
        },
      ]);
      const install = indexOfStep(query, isInstall);
      expect(indexOfStep(query, (s) => s.operation === "withMountedCache"), fn).toBeLessThan(install);
    }
  });

  it("installs from package.json and package-lock.json alone, then adds the source", () => {
    for (const [fn, query] of Object.entries(pipelines())) {
      const copied = stepsNamed(query, "withFile").map((step) => {
        const file = isQueryRef(step.args.source) ? step.args.source.query : [];
        return { path: step.args.path, from: file.slice(0, -1), file: file.at(-1) };
      });
      expect(copied, fn).toEqual([
        { path: "/src/package.json", from: sourceQuery, file: { operation: "file", args: { path: "package.json" } } },
        { path: "/src/package-lock.json", from: sourceQuery, file: { operation: "file", args: { path: "package-lock.json" } } },
      ]);
      const install = indexOfStep(query, isInstall);
      const addSource = indexOfStep(query, (s) => s.operation === "withDirectory" && isSource(s.args.source));
      expect(execs(query).filter((argv) => argv[0] !== "sh")[0], fn).toEqual(INSTALL_COMMAND);
      expect(INSTALL_COMMAND).toEqual(["npm", "ci"]);
      expect(indexOfStep(query, (s) => s.operation === "withFile" && s.args.path === "/src/package-lock.json")).toBeLessThan(install);
      expect(addSource, fn).toBeGreaterThan(install);
      expect(query[addSource]?.args, fn).toMatchObject({ path: WORKDIR, exclude: SOURCE_IGNORE });
    }
  });

  it("leaves installed dependencies, build output and git internals out of the upload, but keeps .env files", () => {
    expect(SOURCE_IGNORE).toEqual(expect.arrayContaining(["**/node_modules", "**/dist", ".git"]));
    expect(SOURCE_IGNORE.some((pattern) => pattern.startsWith(".env"))).toBe(false);
  });
});

describe("each function runs the justfile recipe a developer runs", () => {
  const expected: Record<FunctionName, string[]> = {
    buildAll: ["just", "build-all"],
    build: ["just", "build", "linux-arm64"],
    test: ["just", "test"],
    lint: ["just", "lint"],
    securityScan: ["just", "security", "--strict"],
    smoke: ["just", "smoke", "--target", "linux-arm64"],
  };

  for (const [fn, argv] of Object.entries(expected)) {
    it(`${fn} runs \`${argv.join(" ")}\` after the install, and nothing else`, () => {
      const commands = execs(pipelines()[fn as FunctionName]);
      expect(commands).toEqual(fn === "test" ? [aptInstall(TEST_PACKAGES), INSTALL_COMMAND, argv] : [INSTALL_COMMAND, argv]);
    });
  }
});

describe("what the functions export", () => {
  it("build-all exports the output folder named in targets.json, without the verifier's staging folder", () => {
    const query = pipelines().buildAll;
    expect(query.slice(-2)).toEqual([
      { operation: "directory", args: { path: "/src/dist" } },
      { operation: "filter", args: { exclude: [".bun-parity-staging"] } },
    ]);
  });

  it("follows a different outDir and name in targets.json", () => {
    const custom = readBuildLayout(JSON.stringify({
      name: "app",
      outDir: "./out/bin/",
      targets: [{ id: "windows-x64", os: "windows", arch: "x64" }],
    }));
    expect(queryOf(buildAllOutput(source, custom)).at(-2)).toEqual({ operation: "directory", args: { path: "/src/out/bin" } });
    expect(queryOf(buildTargetOutput(source, custom, "windows-x64")).at(-1)).toEqual({
      operation: "file",
      args: { path: "/src/out/bin/app-windows-x64.exe" },
    });
  });

  it("build exports <name>-<target id> from the output folder", () => {
    expect(pipelines().build.at(-1)).toEqual({ operation: "file", args: { path: "/src/dist/bun-parity-linux-arm64" } });
  });

  it("build refuses a target that targets.json does not list, and names the ones it does", () => {
    expect(() => buildTargetOutput(source, layout, "plan9-x64")).toThrow(
      /unknown target "plan9-x64": targets.json lists linux-x64, linux-arm64, .*windows-arm64/,
    );
  });
});

describe("the test container", () => {
  it("installs the Debian packages the suite needs (git, qemu-user, the arm64 sysroot, chromium) before anything from the project", () => {
    expect(TEST_PACKAGES).toEqual(["git", "qemu-user-static", "libc6-arm64-cross", "chromium"]);
    const query = pipelines().test;
    const apt = indexOfStep(query, (s) => s.operation === "withExec" && JSON.stringify(s.args.args) === JSON.stringify(aptInstall(TEST_PACKAGES)));
    expect(apt).toBeGreaterThan(0);
    expect(apt).toBeLessThan(indexOfStep(query, (s) => s.operation === "withFile"));
    for (const fn of ["buildAll", "lint", "securityScan", "smoke"] as const) expect(execs(pipelines()[fn]).some((argv) => argv[0] === "sh"), fn).toBe(false);
  });
});

describe("the base image", () => {
  it("can be replaced (a mirror's copy), for every container, and nothing else changes", () => {
    const mirror = "registry.example.com/library/node:22.20.0-bookworm-slim@sha256:" + "ab".repeat(32);
    const options = { baseImage: mirror };
    const withMirror = {
      buildAll: queryOf(buildAllOutput(source, layout, options)),
      test: queryOf(stepContainer(source, "test", options)),
      securityScan: queryOf(securityContainer(source, layout, buildAllOutput(source, layout, options), options)),
      smoke: queryOf(smokeContainer(source, layout, buildAllOutput(source, layout, options), linuxArm64, "linux/arm64" as never, options)),
    };
    for (const [fn, query] of Object.entries(withMirror)) {
      expect(stepsNamed(query, "from"), fn).toEqual([{ operation: "from", args: { address: mirror } }]);
      const original = pipelines()[fn as FunctionName];
      expect(JSON.stringify(query).replaceAll(mirror, BASE_IMAGE), fn).toBe(JSON.stringify(original));
    }
  });
});

describe("security-scan", () => {
  it("runs `just security --strict` with build-all's executables in the output folder", () => {
    const query = pipelines().securityScan;
    const mount = stepsNamed(query, "withDirectory").find((s) => s.args.path === "/src/dist");
    expect(mount && isQueryRef(mount.args.source) ? mount.args.source.query : undefined).toEqual(queryOf(buildAllOutput(source, layout)));
    const addSource = indexOfStep(query, (s) => s.operation === "withDirectory" && isSource(s.args.source));
    expect(query.indexOf(mount!)).toBeGreaterThan(addSource);
    expect(execs(query).at(-1)).toEqual(["just", "security", "--strict"]);
    expect(indexOfStep(query, (s) => s.operation === "withExec" && (s.args.args as string[])[0] === "just")).toBeGreaterThan(query.indexOf(mount!));
  });
});

describe("smoke", () => {
  it("names a run on another CPU than the engine's as emulated", () => {
    expect(smokeLabel(linuxArm64, "linux/arm64" as never, "linux/amd64" as never)).toBe("linux-arm64 (emulated: linux/arm64 under QEMU on a linux/amd64 engine)");
    expect(smokeLabel(linuxArm64, "linux/arm64" as never, "linux/arm64" as never)).toBe("linux-arm64");
  });

  it("runs in a container of the target's platform with build-all's executables in the output folder", () => {
    const query = pipelines().smoke;
    expect(query[0]).toEqual({ operation: "container", args: { platform: "linux/arm64" } });
    const mount = stepsNamed(query, "withDirectory").find((s) => s.args.path === "/src/dist");
    expect(mount && isQueryRef(mount.args.source) ? mount.args.source.query : undefined).toEqual(queryOf(buildAllOutput(source, layout)));
    const addSource = indexOfStep(query, (s) => s.operation === "withDirectory" && isSource(s.args.source));
    expect(query.indexOf(mount!)).toBeGreaterThan(addSource);
  });

  it("runs build-all on the engine's own platform (one container cross-compiles every target)", () => {
    expect(pipelines().buildAll[0]).toEqual({ operation: "container", args: {} });
  });

  it("smoke-tests linux glibc targets in containers and says why the others are not run", () => {
    const venues = Object.fromEntries(layout.targets.map((t) => [t.id, smokeVenue(t)]));
    expect(venues["linux-x64"]).toEqual({ kind: "container", platform: "linux/amd64" });
    expect(venues["linux-arm64"]).toEqual({ kind: "container", platform: "linux/arm64" });
    expect(venues["darwin-arm64"]).toMatchObject({ kind: "not-run", reason: expect.stringContaining("darwin host") });
    expect(venues["windows-x64"]).toMatchObject({ kind: "not-run", reason: expect.stringContaining("windows host") });
    expect(smokeVenue({ id: "linux-x64-musl", os: "linux", arch: "x64", libc: "musl" })).toMatchObject({ kind: "not-run" });
  });
});

describe("secrets", () => {
  const PLAINTEXT = "npm_0123456789abcdefSECRET";
  const token = dag.setSecret("npm-token", PLAINTEXT);

  /** The tree as text with the secret object itself blanked: anything left is a plain value. */
  function plainText(query: QueryStep[]): string {
    return JSON.stringify(query, (_key, value: unknown) =>
      isQueryRef(value) && value.query[0]?.operation === "setSecret" ? "<secret object>" : value);
  }

  it("passes an npm token only as a secret variable around `npm ci`, never as a plain value", () => {
    const query = queryOf(stepContainer(source, "test", { npmToken: token }));
    expect(plainText(query)).not.toContain(PLAINTEXT);
    const set = indexOfStep(query, (s) => s.operation === "withSecretVariable");
    const install = indexOfStep(query, isInstall);
    const unset = indexOfStep(query, (s) => s.operation === "withoutSecretVariable");
    expect(query[set]?.args).toEqual({ name: "NPM_TOKEN", secret: { query: queryOf(token) } });
    expect(set).toBeLessThan(install);
    expect(unset).toBeGreaterThan(install);
    expect(query[unset]?.args).toEqual({ name: "NPM_TOKEN" });
    // The recipe runs after the token is gone.
    expect(indexOfStep(query, (s) => s.operation === "withExec" && (s.args.args as string[])[0] === "just")).toBeGreaterThan(unset);
  });

  it("writes an npmrc that refers to $NPM_TOKEN and holds no secret", () => {
    expect(npmrcFor(DEFAULT_NPM_REGISTRY)).toBe(
      "registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n",
    );
    expect(npmrcFor("https://npm.example.com/private")).toBe(
      "registry=https://npm.example.com/private\n//npm.example.com/private/:_authToken=${NPM_TOKEN}\n",
    );
    const query = queryOf(stepContainer(source, "lint", { npmToken: token }));
    const npmrc = stepsNamed(query, "withNewFile")[0];
    expect(npmrc?.args.contents).toBe(npmrcFor(DEFAULT_NPM_REGISTRY));
    expect(stepsNamed(query, "withoutFile")[0]?.args.path).toBe(npmrc?.args.path);
  });

  it("adds no credentials at all without a token", () => {
    const query = queryOf(stepContainer(source, "test"));
    for (const op of ["withSecretVariable", "withNewFile", "withMountedSecret"]) expect(stepsNamed(query, op)).toEqual([]);
  });

  it("never reads a secret's plaintext in the module source", () => {
    for (const file of ["index.ts", "toolchain.ts", "targets.ts", "steps.ts"]) {
      expect(readFileSync(path.join(ROOT, "dagger", "src", file), "utf8"), file).not.toMatch(/\.plaintext\(|setSecret\(/);
    }
  });
});
