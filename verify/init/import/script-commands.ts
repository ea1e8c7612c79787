// The commands a build script runs: Bun.spawn / spawnSync argv, child_process and execa calls,
// command lines run through a shell (execSync("bun build ...")), and Bun shell / zx / execa
// templates. Each becomes a ScriptCommand whose words keep their alternatives (one per target
// when the command runs in a loop), for the walk to find the compile among them.
import type * as t from "@babel/types";
import type { Located } from "./compile-call.ts";
import { calleeName } from "./script-ast.ts";
import type { ScriptEvaluator, Val } from "./script-evaluate.ts";
import { parseShell } from "./shell.ts";
import { type Sym, concat, lit } from "./symbolic.ts";

/** A command the script runs: its words, each with its alternatives. */
export interface ScriptCommand {
  at: Located;
  words: Sym[][];
  /** What the reading could not take exactly (a flag added under a condition), for the compile's notes. */
  notes?: string[];
}

// Computed parts of a command line stand in as \u0001<n>\u0001 while the shell reader splits it.
// eslint-disable-next-line no-control-regex
const PLACEHOLDER = /\u0001(\d+)\u0001/;

/** Functions that take a program and its argv (or one command line when there is no argv). */
const SPAWNS = ["spawn", "spawnSync", "execFile", "execFileSync", "execa", "execaSync", "execaNode", "x", "exec_"];
/** Functions that take one command line, run through a shell. */
const SHELLS = ["exec", "execSync", "execCommand", "run", "sh", "shell"];

/**
 * The commands a call runs; undefined when the call runs none (so the caller can read it as
 * something else). `callee` is its dotted name, `args` its arguments without spreads.
 */
export function commandsOfCall(script: ScriptEvaluator, node: t.CallExpression, callee: string | undefined, args: t.Expression[]): ScriptCommand[] | undefined {
  const base = callee?.split(".").pop();
  if ((callee === "Bun.spawn" || callee === "Bun.spawnSync") && args[0]) {
    const first = script.evaluate(args[0]);
    const argv = first.kind === "obj" ? first.props.get("cmd") : first;
    return argv ? command(script, node, script.words(argv)) : [];
  }
  if (base && SPAWNS.includes(base) && args[0]) {
    const program = script.evaluate(args[0]);
    if (program.kind === "arr") return command(script, node, script.words(program));
    const rest = args[1] ? script.words(script.evaluate(args[1])) : [];
    const programWords = script.words(program);
    // execa("bun build --compile ...") with no args array: one command line.
    if (rest.length === 0 && programWords.length === 1) return commandLine(script, node, script.evaluate(args[0]));
    return command(script, node, [...programWords, ...rest]);
  }
  if (base && SHELLS.includes(base) && args[0]) return commandLine(script, node, script.evaluate(args[0]));
  return undefined;
}

/** A tagged template that runs a command (Bun's $, zx, execa); [] for any other tag. */
export function commandsOfTemplate(script: ScriptEvaluator, node: t.TaggedTemplateExpression): ScriptCommand[] {
  const tag = calleeName(node.tag);
  if (!tag || !/(^|\.)\$$|^(execa|execaSync|sh|shell|exec|Bun\.\$)$/.test(tag)) return [];
  // Bun shell and zx/execa templates: an interpolated value is one argument (an array, several).
  const words: Sym[][] = [];
  let current: Sym[] | undefined;
  const flush = () => {
    if (current) words.push(current);
    current = undefined;
  };
  node.quasi.quasis.forEach((quasi, i) => {
    const raw = quasi.value.cooked ?? quasi.value.raw;
    const pieces = raw.split(/(\s+)/);
    for (const piece of pieces) {
      if (piece === "") continue;
      if (/^\s+$/.test(piece)) flush();
      else current = (current ?? [[]]).map((alt) => concat(alt, lit(piece)));
    }
    const expression = node.quasi.expressions[i];
    if (expression && expression.type !== "TSAnyKeyword") {
      const value = script.evaluate(expression as t.Expression);
      if (value.kind === "arr") {
        flush();
        for (const item of value.items) words.push(script.alternatives(item));
      } else {
        const alts = script.alternatives(value);
        current = current ? current.flatMap((c) => alts.map((a) => concat(c, a))).slice(0, 16) : alts;
      }
    }
  });
  flush();
  return command(script, node, words);
}

/** A command line string (execSync("bun build ...")): parsed as shell, computed parts kept. */
function commandLine(script: ScriptEvaluator, node: t.Node, value: Val): ScriptCommand[] {
  const commands: ScriptCommand[] = [];
  for (const alt of script.alternatives(value)) {
    const placeholders: Sym[] = [];
    const text = alt.map((p) => ("lit" in p ? p.lit : `\u0001${placeholders.push([p]) - 1}\u0001`)).join("");
    for (const parsed of parseShell(text)) {
      const words = parsed.words.map((w): Sym[] => {
        const raw = w.map((p) => ("text" in p ? p.text : "")).join("");
        const sym: Sym = concat(...raw.split(PLACEHOLDER).map((piece, i) => (i % 2 === 1 ? placeholders[Number(piece)]! : lit(piece))));
        return [sym];
      });
      const assigns = parsed.assigns.map(([k, w]) => [lit(`${k}=${w.map((p) => ("text" in p ? p.text : "")).join("")}`)]);
      commands.push(...command(script, node, [...assigns, ...words]));
    }
  }
  return commands;
}

/** One command, with the notes its arguments left; none when it has no words. */
function command(script: ScriptEvaluator, node: t.Node, words: Sym[][]): ScriptCommand[] {
  if (words.length === 0) return [];
  return [script.notes.length > 0 ? { at: script.at(node), words, notes: [...script.notes] } : { at: script.at(node), words }];
}
