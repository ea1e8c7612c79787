// A small reader for the POSIX shell that build steps are written in (package.json scripts,
// justfile and Makefile recipe lines, build.sh, workflow `run:` blocks). It never runs
// anything: it splits commands, keeps quoting, and evaluates words to symbolic values, with
// `for` loops and arrays giving a variable several alternative values (one per target).
import { type Sym, concat, lit, packageFieldPrintedBy, pkgField, unknown } from "./symbolic.ts";

/** One part of a word as written. */
type WordPart =
  | { text: string }
  | { variable: string; all?: boolean }
  | { command: string };

export type Word = WordPart[];

export interface ShellCommand {
  /** 1-based line in the text the command starts on. */
  line: number;
  /** Leading NAME=value words (`NODE_ENV=production bun build ...`). */
  assigns: [string, Word][];
  words: Word[];
  /** The operator that ends it: "&&", "||", ";", "|", "&" or "\n" (end of text counts as "\n"). */
  end: string;
}

/** Variables: each name has one or more alternative values. */
export type Scope = Map<string, Sym[]>;

const OPERATORS = ["&&", "||", ";;", ";", "|", "&", "(", ")"];

/** Splits shell text into simple commands. Control words (for, do, done, if, then ...) stay as words. */
export function parseShell(text: string, firstLine = 1): ShellCommand[] {
  const commands: ShellCommand[] = [];
  let words: Word[] = [];
  let word: Word | undefined;
  let line = firstLine;
  let commandLine = firstLine;
  const pushText = (t: string) => {
    word ??= [];
    const last = word[word.length - 1];
    if (last && "text" in last) last.text += t;
    else word.push({ text: t });
  };
  const endWord = () => {
    if (word) words.push(word);
    word = undefined;
  };
  const endCommand = (end: string) => {
    endWord();
    if (words.length > 0) {
      const assigns: [string, Word][] = [];
      while (words.length > 0) {
        const first = words[0]!;
        const head = first[0];
        const m = head && "text" in head ? /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(head.text) : null;
        if (!m) break;
        const rest: Word = [{ text: head && "text" in head ? head.text.slice(m[0].length) : "" }, ...first.slice(1)];
        assigns.push([m[1]!, rest.filter((p) => !("text" in p) || p.text !== "")]);
        words.shift();
      }
      commands.push({ line: commandLine, assigns, words, end });
    }
    words = [];
  };

  let i = 0;
  const readDollar = (): WordPart | undefined => {
    // At text[i] === "$".
    const next = text[i + 1];
    if (next === "(" && text[i + 2] !== "(") {
      const close = matching(text, i + 1, "(", ")");
      const part = { command: text.slice(i + 2, close) };
      i = close + 1;
      return part;
    }
    if (next === "{") {
      const close = text.indexOf("}", i + 2);
      if (close < 0) return undefined;
      const inner = text.slice(i + 2, close);
      i = close + 1;
      const array = /^([A-Za-z_][A-Za-z0-9_]*)\[[@*]\]$/.exec(inner);
      if (array) return { variable: array[1]!, all: true };
      // ${NAME:-default} and friends: the name is what matters here.
      return { variable: /^[A-Za-z_][A-Za-z0-9_]*/.exec(inner)?.[0] ?? inner };
    }
    const name = /^([A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!])/.exec(text.slice(i + 1));
    if (!name) return undefined;
    i += 1 + name[0].length;
    return { variable: name[0] };
  };

  while (i < text.length) {
    const c = text[i]!;
    if (c === "\\" && text[i + 1] === "\n") {
      i += 2;
      line++;
      continue;
    }
    if (c === "\n") {
      endCommand("\n");
      i++;
      line++;
      commandLine = line;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r") {
      endWord();
      i++;
      continue;
    }
    if (c === "#" && word === undefined) {
      while (i < text.length && text[i] !== "\n") i++;
      continue;
    }
    if (c === ">" || c === "<" || (c === "&" && text[i + 1] === ">")) {
      // A redirection (`> out.log`, `2>&1`, `&>/dev/null`): not part of the command's argv.
      if (word && word.length === 1 && "text" in word[0]! && /^\d+$/.test(word[0].text)) word = undefined;
      endWord();
      while (i < text.length && "<>&".includes(text[i]!)) i++;
      if (/\d|-/.test(text[i] ?? "") && text[i - 1] === "&") while (i < text.length && /[\d-]/.test(text[i]!)) i++;
      else {
        while (text[i] === " " || text[i] === "\t") i++;
        while (i < text.length && !/[\s;&|()]/.test(text[i]!)) i++;
      }
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op) {
      if (op === "(" && word) {
        // NAME=(a b c): an array assignment; read the items as one word of alternatives.
        const close = matching(text, i, "(", ")");
        pushText(text.slice(i, close + 1));
        i = close + 1;
        continue;
      }
      endCommand(op === "(" || op === ")" ? ";" : op);
      if (words.length === 0) commandLine = line;
      i += op.length;
      continue;
    }
    if (c === "'") {
      const close = text.indexOf("'", i + 1);
      const end = close < 0 ? text.length : close;
      pushText(text.slice(i + 1, end));
      line += countNewlines(text.slice(i, end));
      i = end + 1;
      word ??= [];
      continue;
    }
    if (c === '"') {
      word ??= [];
      i++;
      while (i < text.length && text[i] !== '"') {
        const d = text[i]!;
        if (d === "\\" && i + 1 < text.length && '"\\$`\n'.includes(text[i + 1]!)) {
          if (text[i + 1] !== "\n") pushText(text[i + 1]!);
          i += 2;
        } else if (d === "$") {
          const part = readDollar();
          if (part) word.push(part);
          else {
            pushText("$");
            i++;
          }
        } else if (d === "`") {
          const close = text.indexOf("`", i + 1);
          word.push({ command: text.slice(i + 1, close < 0 ? text.length : close) });
          i = close < 0 ? text.length : close + 1;
        } else {
          if (d === "\n") line++;
          pushText(d);
          i++;
        }
      }
      i++;
      continue;
    }
    if (c === "\\") {
      pushText(text[i + 1] ?? "");
      i += 2;
      continue;
    }
    if (c === "$") {
      const part = readDollar();
      word ??= [];
      if (part) word.push(part);
      else {
        pushText("$");
        i++;
      }
      continue;
    }
    if (c === "`") {
      const close = text.indexOf("`", i + 1);
      word ??= [];
      word.push({ command: text.slice(i + 1, close < 0 ? text.length : close) });
      i = close < 0 ? text.length : close + 1;
      continue;
    }
    pushText(c);
    i++;
  }
  endCommand("\n");
  return commands;
}

function matching(text: string, open: number, o: string, c: string): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === o) depth++;
    else if (text[i] === c && --depth === 0) return i;
    else if (text[i] === "'" ) {
      const close = text.indexOf("'", i + 1);
      if (close > 0) i = close;
    }
  }
  return text.length - 1;
}

const countNewlines = (s: string) => s.split("\n").length - 1;

/** Variables npm, Bun, pnpm and yarn set for package.json scripts. */
const PACKAGE_VARIABLES: Record<string, string> = { npm_package_version: "version", npm_package_name: "name" };

/** The alternatives a word evaluates to (several when it uses a loop variable or an array). */
export function evaluateWord(word: Word, scope: Scope, limit = 16): Sym[] {
  let results: Sym[] = [[]];
  for (const part of word) {
    let options: Sym[];
    if ("text" in part) options = [lit(part.text)];
    else if ("command" in part) {
      const field = packageFieldPrintedBy(part.command);
      options = [field ? pkgField(field) : unknown(`$(${part.command.trim()})`)];
    } else {
      const bound = scope.get(part.variable);
      const pkg = PACKAGE_VARIABLES[part.variable];
      options = bound ?? (pkg ? [pkgField(pkg)] : [unknown(`$${part.variable}`)]);
    }
    const next: Sym[] = [];
    for (const r of results) for (const o of options) if (next.length < limit) next.push(concat(r, o));
    results = next;
  }
  return results;
}

/** Text of a word for messages, with variables and substitutions as written. */
export function wordText(word: Word): string {
  return word.map((p) => ("text" in p ? p.text : "command" in p ? `$(${p.command})` : `$${p.variable}`)).join("");
}

/** `NAME=(a b "c d")`: the items of an array assignment's value, or undefined when it is not one. */
export function arrayItems(value: Word, scope: Scope): Sym[] | undefined {
  const first = value[0];
  if (value.length !== 1 || !first || !("text" in first) || !first.text.startsWith("(") || !first.text.endsWith(")")) return undefined;
  const inner = parseShell(first.text.slice(1, -1).replace(/\n/g, " "));
  return inner.flatMap((c) => c.words.flatMap((w) => evaluateWord(w, scope)));
}

export interface Statement {
  command: ShellCommand;
  /** The scope the command runs in (loop variables bound, earlier assignments applied). */
  scope: Scope;
}

/**
 * Walks commands in order, applying `NAME=value` / `export NAME=value` / arrays, and binding
 * `for NAME in ...; do ... done` loop variables to their items for the commands in the body.
 */
export function interpret(commands: ShellCommand[], initial: Scope = new Map()): Statement[] {
  const out: Statement[] = [];
  let scope: Scope = new Map(initial);
  const loops: { scope: Scope }[] = [];
  for (const command of commands) {
    const first = command.words[0] ? wordText(command.words[0]) : undefined;
    if (command.words.length === 0 && command.assigns.length > 0) {
      scope = new Map(scope);
      for (const [name, value] of command.assigns) scope.set(name, arrayItems(value, scope) ?? evaluateWord(value, scope));
      continue;
    }
    if (first === "export" || first === "readonly" || first === "local" || first === "declare") {
      scope = new Map(scope);
      for (const w of command.words.slice(1)) {
        const head = w[0];
        const m = head && "text" in head ? /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(head.text) : null;
        if (!m) continue;
        const value: Word = [{ text: (head as { text: string }).text.slice(m[0].length) }, ...w.slice(1)];
        scope.set(m[1]!, arrayItems(value, scope) ?? evaluateWord(value, scope));
      }
      continue;
    }
    if (first === "for" && command.words.length >= 2) {
      const name = wordText(command.words[1]!);
      const inAt = command.words.findIndex((w) => wordText(w) === "in");
      const items = inAt < 0 ? [unknown(`the arguments of the script`)] : command.words.slice(inAt + 1).filter((w) => wordText(w) !== "do").flatMap((w) => evaluateWord(w, scope));
      loops.push({ scope });
      scope = new Map(scope);
      scope.set(name, items);
      continue;
    }
    if (first === "done") {
      scope = loops.pop()?.scope ?? scope;
      continue;
    }
    // `do bun build ...` on the same line as the loop: the words after `do`/`then`/`else` are the command.
    if (first === "do" || first === "then" || first === "else" || first === "{") {
      if (command.words.length > 1) out.push({ command: { ...command, words: command.words.slice(1) }, scope });
      continue;
    }
    out.push({ command, scope });
  }
  return out;
}
