// Reads a TypeScript/JavaScript build script without running it (Babel's parser): the
// commands it spawns (`Bun.spawn([...])`, `$\`bun build ...\``, execa, child_process) and its
// `Bun.build({ compile })` calls, with the values of their arguments evaluated statically:
// literals, constants, arrays looped over (one alternative per target), package.json fields,
// and paths built from import.meta.dir / __dirname. This file walks the script and sorts its
// calls; script-evaluate.ts computes values, script-commands.ts and bun-build-call.ts read calls.
import { parse } from "@babel/parser";
import type * as t from "@babel/types";
import { readBunBuild } from "./bun-build-call.ts";
import type { CompileCall, Located } from "./compile-call.ts";
import { calleeName, visit } from "./script-ast.ts";
import { type ScriptCommand, commandsOfCall, commandsOfTemplate } from "./script-commands.ts";
import { ScriptEvaluator } from "./script-evaluate.ts";
import { lit, literal } from "./symbolic.ts";

export type ScriptStep =
  | { kind: "command"; command: ScriptCommand }
  | { kind: "compile"; call: CompileCall }
  /** The script writes a file itself (fs.writeFileSync, Bun.write): a generated entry may come from here. */
  | { kind: "writes"; at: Located; file: string };

/**
 * Steps of a build script in source order. `file` is relative to the project root; the
 * script is assumed to run with the project root as its working folder (how package.json
 * scripts run it).
 */
export function readScriptFile(text: string, file: string, via: string[]): ScriptStep[] {
  let ast: t.File;
  try {
    ast = parse(text, { sourceType: "unambiguous", plugins: ["typescript", "jsx", "topLevelAwait", "importAttributes"], errorRecovery: true }) as unknown as t.File;
  } catch {
    return [];
  }
  const script = new ScriptEvaluator(file, text);
  script.collectBindings(ast.program);
  const steps: ScriptStep[] = [];
  visit(ast.program, (node) => {
    if (node.type === "CallExpression") steps.push(...readCall(script, node, via));
    else if (node.type === "TaggedTemplateExpression") steps.push(...commandsOfTemplate(script, node).map((command) => ({ kind: "command" as const, command })));
  });
  return steps;
}

/** A call: a Bun.build compile, a command it runs, or a file it writes; [] for anything else. */
function readCall(script: ScriptEvaluator, node: t.CallExpression, via: string[]): ScriptStep[] {
  script.notes = [];
  const callee = calleeName(node.callee);
  const args = node.arguments.filter((a): a is t.Expression => a.type !== "SpreadElement" && a.type !== "ArgumentPlaceholder");
  if (callee === "Bun.build" && args[0]) {
    const call = readBunBuild(script, script.evaluate(args[0]), node, via);
    return call ? [{ kind: "compile", call }] : [];
  }
  const commands = commandsOfCall(script, node, callee, args);
  if (commands) return commands.map((command) => ({ kind: "command", command }));
  const base = callee?.split(".").pop();
  if ((callee === "Bun.write" || (base && ["writeFileSync", "writeFile"].includes(base))) && args[0]) {
    const file = literal(script.alternatives(script.evaluate(args[0]))[0] ?? []);
    if (file !== undefined) return [{ kind: "writes", at: script.at(node), file: literal(script.pathSym(lit(file))) ?? file }];
  }
  return [];
}
