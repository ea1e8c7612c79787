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
  return new ShellParser(text, firstLine).parse();
}

/** One pass over shell text: characters go into the current word, words into the current command. */
class ShellParser {
  private readonly commands: ShellCommand[] = [];
  private words: Word[] = [];
  private word: Word | undefined;
  /** Position in the text. */
  private i = 0;
  private line: number;
  /** The line the command being read starts on. */
  private commandLine: number;

  constructor(
    private readonly text: string,
    firstLine: number,
  ) {
    this.line = firstLine;
    this.commandLine = firstLine;
  }

  parse(): ShellCommand[] {
    while (this.i < this.text.length) this.readNext();
    this.endCommand("\n");
    return this.commands;
  }

  /** Reads what starts at the current character: a separator, comment, redirection, operator, quote, substitution or plain character. */
  private readNext(): void {
    const { text } = this;
    const c = text[this.i]!;
    if (c === "\\" && text[this.i + 1] === "\n") {
      this.i += 2;
      this.line++;
    } else if (c === "\n") {
      this.endCommand("\n");
      this.i++;
      this.line++;
      this.commandLine = this.line;
    } else if (c === " " || c === "\t" || c === "\r") {
      this.endWord();
      this.i++;
    } else if (c === "#" && this.word === undefined) {
      // A comment only where a word starts: `a#b` is one word.
      while (this.i < text.length && text[this.i] !== "\n") this.i++;
    } else if (c === ">" || c === "<" || (c === "&" && text[this.i + 1] === ">")) {
      this.skipRedirection();
    } else if (this.readOperator()) {
      // The operator ended the command (or opened an array value).
    } else if (c === "'") {
      this.readSingleQuoted();
    } else if (c === '"') {
      this.readDoubleQuoted();
    } else if (c === "\\") {
      this.pushText(text[this.i + 1] ?? "");
      this.i += 2;
    } else if (c === "$") {
      this.readDollarInto();
    } else if (c === "`") {
      this.readBackquote();
    } else {
      this.pushText(c);
      this.i++;
    }
  }

  /** The word being read, started if none is. */
  private current(): Word {
    return (this.word ??= []);
  }

  /** Adds literal text to the word, joined with the text part before it. */
  private pushText(t: string): void {
    const word = this.current();
    const last = word[word.length - 1];
    if (last && "text" in last) last.text += t;
    else word.push({ text: t });
  }

  private endWord(): void {
    if (this.word) this.words.push(this.word);
    this.word = undefined;
  }

  /** Ends the command with the operator that ends it; leading NAME=value words become its assignments. */
  private endCommand(end: string): void {
    this.endWord();
    if (this.words.length > 0) {
      const assigns = takeAssignments(this.words);
      this.commands.push({ line: this.commandLine, assigns, words: this.words, end });
    }
    this.words = [];
  }

  /** A redirection (`> out.log`, `2>&1`, `&>/dev/null`): not part of the command's argv, so it is skipped. */
  private skipRedirection(): void {
    const { text } = this;
    // The file descriptor in front (`2>`) is part of the redirection, not a word.
    if (this.word && this.word.length === 1 && "text" in this.word[0]! && /^\d+$/.test(this.word[0].text)) this.word = undefined;
    this.endWord();
    while (this.i < text.length && "<>&".includes(text[this.i]!)) this.i++;
    if (/\d|-/.test(text[this.i] ?? "") && text[this.i - 1] === "&") while (this.i < text.length && /[\d-]/.test(text[this.i]!)) this.i++;
    else {
      while (text[this.i] === " " || text[this.i] === "\t") this.i++;
      while (this.i < text.length && !/[\s;&|()]/.test(text[this.i]!)) this.i++;
    }
  }

  /** An operator at the current position ends the command (parentheses count as `;`); false when there is none. */
  private readOperator(): boolean {
    const { text } = this;
    const op = OPERATORS.find((o) => text.startsWith(o, this.i));
    if (!op) return false;
    if (op === "(" && this.word) {
      // NAME=(a b c): an array assignment; read the items as one word of alternatives.
      const close = matching(text, this.i, "(", ")");
      this.pushText(text.slice(this.i, close + 1));
      this.i = close + 1;
      return true;
    }
    this.endCommand(op === "(" || op === ")" ? ";" : op);
    if (this.words.length === 0) this.commandLine = this.line;
    this.i += op.length;
    return true;
  }

  /** 'text': taken as it is, to the closing quote (or the end of the text). */
  private readSingleQuoted(): void {
    const { text } = this;
    const close = text.indexOf("'", this.i + 1);
    const end = close < 0 ? text.length : close;
    // pushText starts the word even for '', an empty word rather than none.
    this.pushText(text.slice(this.i + 1, end));
    this.line += countNewlines(text.slice(this.i, end));
    this.i = end + 1;
  }

  /** "text": backslash escapes only "\$`, newline; $ and backquotes still substitute. */
  private readDoubleQuoted(): void {
    const { text } = this;
    this.current();
    this.i++;
    while (this.i < text.length && text[this.i] !== '"') {
      const d = text[this.i]!;
      if (d === "\\" && this.i + 1 < text.length && '"\\$`\n'.includes(text[this.i + 1]!)) {
        if (text[this.i + 1] !== "\n") this.pushText(text[this.i + 1]!);
        this.i += 2;
      } else if (d === "$") {
        this.readDollarInto();
      } else if (d === "`") {
        this.readBackquote();
      } else {
        if (d === "\n") this.line++;
        this.pushText(d);
        this.i++;
      }
    }
    this.i++;
  }

  /** A `$` expansion added to the word; a `$` that starts none is literal text. */
  private readDollarInto(): void {
    const part = this.readDollar();
    const word = this.current();
    if (part) word.push(part);
    else {
      this.pushText("$");
      this.i++;
    }
  }

  /** `command`: a command substitution, to the closing backquote (or the end of the text). */
  private readBackquote(): void {
    const { text } = this;
    const close = text.indexOf("`", this.i + 1);
    this.current().push({ command: text.slice(this.i + 1, close < 0 ? text.length : close) });
    this.i = close < 0 ? text.length : close + 1;
  }

  /** At a `$`: $(command), ${NAME}, ${NAME[@]} or $NAME, moving past it; undefined (not moved) when none starts here. */
  private readDollar(): WordPart | undefined {
    const { text, i } = this;
    const next = text[i + 1];
    if (next === "(" && text[i + 2] !== "(") {
      const close = matching(text, i + 1, "(", ")");
      this.i = close + 1;
      return { command: text.slice(i + 2, close) };
    }
    if (next === "{") {
      const close = text.indexOf("}", i + 2);
      if (close < 0) return undefined;
      const inner = text.slice(i + 2, close);
      this.i = close + 1;
      const array = /^([A-Za-z_][A-Za-z0-9_]*)\[[@*]\]$/.exec(inner);
      if (array) return { variable: array[1]!, all: true };
      // ${NAME:-default} and friends: the name is what matters here.
      return { variable: /^[A-Za-z_][A-Za-z0-9_]*/.exec(inner)?.[0] ?? inner };
    }
    const name = /^([A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!])/.exec(text.slice(i + 1));
    if (!name) return undefined;
    this.i += 1 + name[0].length;
    return { variable: name[0] };
  }
}

/** Removes the leading NAME=value words (`NODE_ENV=production bun build ...`) and returns them as assignments. */
function takeAssignments(words: Word[]): [string, Word][] {
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
  return assigns;
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
