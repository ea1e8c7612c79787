// The module and the justfile must not drift apart: every `just <recipe> [args]` the module's
// pipelines run has to be a recipe of the justfile that accepts those arguments. The recipes
// come from just itself (`just --dump --dump-format json`, the pinned just from node_modules),
// the commands from the pipelines' query trees. BUN_PARITY_JUSTFILE points the check at another
// justfile, e.g. a copy with a renamed recipe, to see it fail.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { dag } from "@dagger.io/dagger";
import { afterAll, describe, expect, it } from "vitest";

import { readBuildLayout } from "../../dagger/src/targets.ts";
import { buildAllOutput, buildTargetOutput, RECIPES, securityContainer, smokeContainer, stepContainer } from "../../dagger/src/toolchain.ts";
import { execs, queryOf } from "./query-tree.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const JUST = path.join(ROOT, "node_modules", ".bin", "just");
const JUSTFILE = process.env.BUN_PARITY_JUSTFILE ? path.resolve(process.env.BUN_PARITY_JUSTFILE) : path.join(ROOT, "justfile");

interface RecipeArity {
  min: number;
  max: number;
}

/** Recipe name -> how many arguments it takes, as just itself parses the justfile. */
function justfileRecipes(justfile: string): Map<string, RecipeArity> {
  const dump = JSON.parse(execFileSync(JUST, ["--justfile", justfile, "--dump", "--dump-format", "json"], { encoding: "utf8" })) as {
    recipes: Record<string, { parameters: { kind: "singular" | "plus" | "star"; default: unknown }[] }>;
    aliases: Record<string, { target: string }>;
  };
  const recipes = new Map<string, RecipeArity>();
  for (const [name, recipe] of Object.entries(dump.recipes)) {
    const required = recipe.parameters.filter((p) => p.default === null && p.kind !== "star").length;
    const variadic = recipe.parameters.some((p) => p.kind !== "singular");
    recipes.set(name, { min: required, max: variadic ? Infinity : recipe.parameters.length });
  }
  for (const [alias, { target }] of Object.entries(dump.aliases ?? {})) {
    const arity = recipes.get(target);
    if (arity) recipes.set(alias, arity);
  }
  return recipes;
}

/** Every `just ...` command each Dagger function runs, read from its pipeline's query tree. */
function moduleJustCommands(): { fn: string; argv: string[] }[] {
  const layout = readBuildLayout(readFileSync(path.join(ROOT, "targets.json"), "utf8"));
  const source = dag.directory();
  const target = layout.targets[0]!;
  const artifacts = buildAllOutput(source, layout);
  const pipelines = {
    "build-all": buildAllOutput(source, layout),
    build: buildTargetOutput(source, layout, target.id),
    test: stepContainer(source, "test"),
    lint: stepContainer(source, "lint"),
    "security-scan": securityContainer(source, layout, artifacts),
    smoke: smokeContainer(source, layout, artifacts, target, "linux/amd64" as never),
  };
  return Object.entries(pipelines).flatMap(([fn, pipeline]) =>
    execs(queryOf(pipeline)).filter((argv) => argv[0] === "just").map((argv) => ({ fn, argv: argv.slice(1) })));
}

/** One sentence per command the justfile cannot run; empty when module and justfile agree. */
function recipeProblems(justfile: string): string[] {
  const recipes = justfileRecipes(justfile);
  const problems: string[] = [];
  for (const { fn, argv } of moduleJustCommands()) {
    const [recipe, ...args] = argv;
    const arity = recipes.get(recipe!);
    if (!arity) {
      problems.push(`${fn} runs \`just ${argv.join(" ")}\`, but ${justfile} has no recipe "${recipe}" (it has: ${[...recipes.keys()].sort().join(", ")})`);
    } else if (args.length < arity.min || args.length > arity.max) {
      problems.push(`${fn} runs \`just ${argv.join(" ")}\` with ${args.length} argument(s), but recipe "${recipe}" takes ${arity.min}${arity.max === arity.min ? "" : `..${arity.max}`}`);
    }
  }
  return problems;
}

describe("the module's just commands against the justfile", () => {
  it(`every \`just\` command the module runs is a recipe of ${path.relative(ROOT, JUSTFILE) || JUSTFILE} that takes its arguments`, () => {
    const commands = moduleJustCommands();
    expect(commands.map((c) => c.fn).sort()).toEqual(["build", "build-all", "lint", "security-scan", "smoke", "test"]);
    expect(recipeProblems(JUSTFILE)).toEqual([]);
  });

  it("each function runs exactly the recipe a developer runs on a laptop", () => {
    expect(Object.fromEntries(moduleJustCommands().map((c) => [c.fn, c.argv]))).toEqual({
      "build-all": RECIPES.buildAll(),
      build: ["build", "linux-x64"],
      test: ["test"],
      lint: ["lint"],
      "security-scan": ["security", "--strict"],
      smoke: ["smoke", "--target", "linux-x64"],
    });
    expect(RECIPES.buildAll()).toEqual(["build-all"]);
    expect(RECIPES.securityScan()).toEqual(["security", "--strict"]);
  });
});

describe("the drift check catches drift (injected into a copy of the justfile)", () => {
  const work = mkdtempSync(path.join(tmpdir(), "justfile-drift-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  function copyWith(name: string, edit: (text: string) => string): string {
    const copy = path.join(work, name);
    copyFileSync(path.join(ROOT, "justfile"), copy);
    const text = readFileSync(copy, "utf8");
    const edited = edit(text);
    expect(edited, "the edit must change the justfile").not.toBe(text);
    writeFileSync(copy, edited);
    return copy;
  }

  it("a renamed recipe (build-all -> build-everything)", () => {
    const copy = copyWith("renamed", (text) => text.replace(/^build-all:/m, "build-everything:"));
    expect(recipeProblems(copy)).toEqual([
      expect.stringMatching(/^build-all runs `just build-all`, but .* has no recipe "build-all" \(it has: .*build-everything/),
    ]);
  });

  it("a recipe that stops taking arguments (smoke *ARGS -> smoke)", () => {
    const copy = copyWith("arity", (text) => text.replace(/^smoke \*ARGS:\n(.*)\{\{ARGS\}\}/m, "smoke:\n$1"));
    expect(recipeProblems(copy)).toEqual([
      'smoke runs `just smoke --target linux-x64` with 2 argument(s), but recipe "smoke" takes 0',
    ]);
  });

  it("a removed recipe (security)", () => {
    const copy = copyWith("removed", (text) => text.replace(/^security \*ARGS:\n(?:[ \t]+.*\n)*/m, ""));
    expect(recipeProblems(copy)).toEqual([expect.stringMatching(/^security-scan runs `just security --strict`, but .* has no recipe "security"/)]);
  });
});
