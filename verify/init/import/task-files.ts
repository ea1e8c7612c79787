// The syntax of justfiles and Makefiles, as far as the walk (walk.ts) needs it: recipes and
// targets with their dependencies and body lines, and the variables they expand. Separate from
// the walk because it is parsing only: text in, recipes out, nothing followed or run.
import { evaluateWord } from "./shell.ts";
import { type Sym, lit } from "./symbolic.ts";

// ---- justfile syntax ----------------------------------------------------------------------------

export interface JustRecipe {
  params: { name: string; default?: string }[];
  dependencies: string[];
  lines: string[];
  /** Line of the first body line. */
  bodyLine: number;
  shebang: boolean;
}

/** Recipes and `name := value` variables of a justfile (https://just.systems/man/en/). */
export function parseJustfile(text: string): { recipes: Map<string, JustRecipe>; variables: Map<string, Sym[]> } {
  const recipes = new Map<string, JustRecipe>();
  const variables = new Map<string, Sym[]>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const assignment = /^(?:export\s+)?([A-Za-z_][\w-]*)\s*:=\s*(.*)$/.exec(line);
    if (assignment) {
      variables.set(assignment[1]!, [justValue(assignment[2]!.trim())]);
      continue;
    }
    const header = /^@?([A-Za-z_][\w-]*)((?:\s+[^:=]+?)?)\s*:(?!=)(.*)$/.exec(line);
    if (!header || /^\s/.test(line)) continue;
    const params = header[2]!.trim().split(/\s+/).filter(Boolean).map((p) => {
      const [name, def] = p.replace(/^[+*$]/, "").split("=");
      return def === undefined ? { name: name! } : { name: name!, default: def.replace(/^["']|["']$/g, "") };
    });
    const dependencies = header[3]!.replace(/#.*$/, "").trim().split(/\s+/).filter((d) => d && !d.startsWith("(") && d !== "&&").map((d) => d.replace(/[()]/g, ""));
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && (/^\s+\S/.test(lines[j]!) || lines[j]!.trim() === "")) {
      body.push(lines[j]!.replace(/^\s+/, "").replace(/^[@-]+/, ""));
      j++;
    }
    while (body.length > 0 && body[body.length - 1] === "") body.pop();
    recipes.set(header[1]!, { params, dependencies, lines: body, bodyLine: i + 2, shebang: body[0]?.startsWith("#!") ?? false });
    i = j - 1;
  }
  return { recipes, variables };
}

function justValue(raw: string): Sym {
  const quoted = /^(["'])(.*)\1$/.exec(raw);
  if (quoted) return lit(quoted[2]!);
  const backtick = /^`(.*)`$/.exec(raw);
  if (backtick) {
    const words = evaluateWord([{ command: backtick[1]! }], new Map());
    return words[0] ?? lit("");
  }
  return [{ unknown: `just expression ${raw}` }];
}


// ---- Makefile syntax ----------------------------------------------------------------------------

export interface MakeTarget {
  prerequisites: string[];
  lines: { text: string; line: number }[];
}

/** Marks where a backslash-newline joined two Makefile lines, so line numbers stay right. */
const CONTINUATION = "\u0000";

export function parseMakefile(text: string): { targets: Map<string, MakeTarget>; variables: Map<string, string> } {
  const targets = new Map<string, MakeTarget>();
  const variables = new Map<string, string>();
  const lines = text.replace(/\\\n/g, ` ${CONTINUATION}`).split("\n");
  let current: MakeTarget | undefined;
  let lineNo = 0;
  for (const raw of lines) {
    lineNo += 1 + raw.split(CONTINUATION).length - 1;
    const line = raw.split(CONTINUATION).join("");
    if (line.startsWith("\t")) {
      if (current) current.lines.push({ text: line.slice(1).replace(/^[@+-]+/, ""), line: lineNo });
      continue;
    }
    const assignment = /^(?:export\s+)?([A-Za-z_][\w.-]*)\s*(?::=|::=|\?=|=)\s*(.*)$/.exec(line);
    if (assignment) {
      variables.set(assignment[1]!, assignment[2]!.trim());
      current = undefined;
      continue;
    }
    const rule = /^([^\s:=#][^:=#]*?)\s*::?\s*([^=]*)$/.exec(line);
    if (rule) {
      current = { prerequisites: rule[2]!.replace(/#.*$/, "").trim().split(/\s+/).filter(Boolean), lines: [] };
      for (const name of rule[1]!.trim().split(/\s+/)) if (!targets.has(name)) targets.set(name, current);
      continue;
    }
    if (line.trim() !== "" && !line.trim().startsWith("#")) current = undefined;
  }
  return { targets, variables };
}

/** Make's own expansion before the shell sees the line: $(VAR), ${VAR}, $(shell ...), $$. */
export function expandMake(text: string, variables: Map<string, string>, depth = 0): string {
  return text
    .replace(/\$\((shell)\s+([^)]*)\)/g, (_m, _s, command: string) => `$(${command})`)
    .replace(/\$[({]([A-Za-z_][\w.-]*)[)}]/g, (_m, name: string) => {
      const value = variables.get(name);
      return value !== undefined && depth < 5 ? expandMake(value, variables, depth + 1) : `\${${name.replace(/[.-]/g, "_")}}`;
    })
    .replace(/\$\$/g, "$");
}
