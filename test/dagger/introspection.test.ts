// What `dagger call --help` would list, from the SDK's own introspector run over dagger/src
// offline: function and argument names as the CLI spells them, their docs, defaults and types.
// The engine runs the same code when it loads the module, so a module it would refuse fails here.
import { readFileSync } from "node:fs";
import path from "node:path";

import { beforeAll, describe, expect, it } from "vitest";

import { BASE_IMAGE, DEFAULT_NPM_REGISTRY, SOURCE_IGNORE } from "../../dagger/src/toolchain.ts";
import { cliName, installedSdkVersion, introspectModule, PINNED_SDK_VERSION, type IntrospectedModule } from "./query-tree.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const daggerJson = JSON.parse(readFileSync(path.join(ROOT, "dagger.json"), "utf8")) as {
  name: string;
  engineVersion: string;
  sdk: { source: string };
  source: string;
};

let mod: IntrospectedModule;
beforeAll(async () => {
  mod = await introspectModule(path.join(ROOT, daggerJson.source, "src"), daggerJson.name);
}, 60_000);

function fn(name: string) {
  const found = mod.functions.find((f) => f.cliName === name);
  if (!found) throw new Error(`no function ${name}; the module has ${mod.functions.map((f) => f.cliName).join(", ")}`);
  return found;
}

describe("dagger.json", () => {
  it("is a TypeScript module whose source is dagger/, on the engine that matches the pinned SDK", () => {
    expect(daggerJson).toEqual({ name: "bun-parity", engineVersion: `v${PINNED_SDK_VERSION}`, sdk: { source: "typescript" }, source: "dagger" });
    expect(installedSdkVersion()).toBe(PINNED_SDK_VERSION);
  });

  it("keeps the SDK template's dagger/ files, tsconfig.json as `dagger develop` writes it", () => {
    const dir = path.join(ROOT, daggerJson.source);
    expect(JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"))).toMatchObject({ type: "module" });
    expect(readFileSync(path.join(dir, ".gitignore"), "utf8").split("\n")).toContain("/sdk");
    const tsconfig = JSON.parse(readFileSync(path.join(dir, "tsconfig.json"), "utf8")) as {
      compilerOptions: { experimentalDecorators: boolean; paths: Record<string, string[]> };
    };
    expect(tsconfig.compilerOptions.experimentalDecorators).toBe(true);
    // What the runtime writes (sdk/typescript/runtime/tsutils/tsconfig_updator.go, v0.21.8): the
    // generated SDK only. A fallback to the npm package would type-check against far more exports
    // than bundle mode has; tsc here uses test/dagger/tsconfig.json (bundle-shaped declarations).
    expect(tsconfig.compilerOptions.paths).toEqual({
      "@dagger.io/dagger": ["./sdk/index.ts"],
      "@dagger.io/dagger/telemetry": ["./sdk/telemetry.ts"],
    });
    // Bundle mode needs a package.json that does not list the SDK (runtime/config.go, detectSDKLibOrigin).
    const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
    expect(pkg.dependencies?.["@dagger.io/dagger"]).toBeUndefined();
  });

  it("names the main class after the module (bun-parity -> BunParity)", () => {
    expect(mod.objectName).toBe("BunParity");
    expect(mod.description).toMatch(/pinned container/);
  });
});

describe("the functions `dagger call --help` lists", () => {
  it("are exactly build, build-all, ci, lint, security-scan, smoke and test, in kebab-case", () => {
    expect(mod.functions.map((f) => f.cliName).sort()).toEqual(
      ["build", "build-all", "ci", "lint", "security-scan", "smoke", "test"],
    );
  });

  it("each have a doc line and an example or the recipe they run", () => {
    for (const f of mod.functions) {
      expect(f.description, f.cliName).toMatch(/just |dagger call/);
    }
  });

  it("all take --source with defaultPath / and the ignore list, so they work with no arguments", () => {
    for (const f of mod.functions) {
      const source = f.args.find((a) => a.cliName === "source");
      expect(source, f.cliName).toMatchObject({ type: "Directory", defaultPath: "/", ignore: SOURCE_IGNORE, optional: true });
      expect(source?.description, f.cliName).not.toBe("");
    }
  });

  it("return a Directory (build-all), a File (build) or the runner's output (the rest)", () => {
    expect(fn("build-all").returnType).toBe("Directory");
    expect(fn("build").returnType).toBe("File");
    for (const name of ["test", "lint", "smoke", "security-scan", "ci"]) expect(fn(name).returnType, name).toBe("string");
  });

  it("build needs --target, a string", () => {
    expect(fn("build").args.find((a) => a.cliName === "target")).toMatchObject({ type: "string", optional: false });
  });

  it("take secrets as Secret, never as a string (--npm-token on the module)", () => {
    expect(mod.constructorArgs.map((a) => [a.cliName, a.type, a.optional])).toEqual([
      ["npm-token", "Secret", true],
      ["npm-registry", "string", true],
      ["base-image", "string", true],
    ]);
    expect(mod.constructorArgs[1]?.defaultValue).toBe(DEFAULT_NPM_REGISTRY);
    const all = [...mod.constructorArgs, ...mod.functions.flatMap((f) => f.args)];
    for (const arg of all.filter((a) => /token|secret|password/i.test(a.name))) expect(arg.type, arg.name).toBe("Secret");
  });

  it("take --base-image on the module, defaulting to the pinned digest, documented for mirrors", () => {
    const baseImage = mod.constructorArgs.find((a) => a.cliName === "base-image");
    expect(baseImage?.defaultValue).toBe(BASE_IMAGE);
    expect(baseImage?.description).toMatch(/mirror/);
  });

  it("spell names the way the CLI does", () => {
    expect(cliName("buildAll")).toBe("build-all");
    expect(cliName("securityScan")).toBe("security-scan");
    expect(cliName("npmToken")).toBe("npm-token");
  });
});
