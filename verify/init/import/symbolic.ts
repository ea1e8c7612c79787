// Values read out of a project's build files without running them: a string made of literal
// text, references to package.json fields (read at build time), and parts that cannot be
// known statically (a `date` call, a git describe, a variable set elsewhere).

export type SymPart =
  | { lit: string }
  | { pkg: string }
  | { unknown: string };

/** A string value: the concatenation of its parts. */
export type Sym = SymPart[];

export const lit = (text: string): Sym => (text === "" ? [] : [{ lit: text }]);
export const pkgField = (field: string): Sym => [{ pkg: field }];
export const unknown = (why: string): Sym => [{ unknown: why }];

/** Concatenation, merging neighbouring literal parts. */
export function concat(...values: Sym[]): Sym {
  const out: SymPart[] = [];
  for (const part of values.flat()) {
    const last = out[out.length - 1];
    if ("lit" in part && last && "lit" in last) out[out.length - 1] = { lit: last.lit + part.lit };
    else if (!("lit" in part && part.lit === "")) out.push(part);
  }
  return out;
}

/** The literal text, or undefined when some part is not literal. */
export function literal(value: Sym): string | undefined {
  if (value.some((p) => !("lit" in p))) return undefined;
  return value.map((p) => (p as { lit: string }).lit).join("");
}

export function unknownParts(value: Sym): string[] {
  return value.flatMap((p) => ("unknown" in p ? [p.unknown] : []));
}

/** How the value reads in a message: literal text, `<package.json version>`, `<date>`. */
export function describe(value: Sym): string {
  return value.map((p) => ("lit" in p ? p.lit : "pkg" in p ? `<package.json ${p.pkg}>` : `<${p.unknown}>`)).join("");
}

/** A --define value for targets.json: a literal expression, or {packageJson} for `"<field>"`. */
export function defineValueOf(value: Sym): string | { packageJson: string } | undefined {
  const text = literal(value);
  if (text !== undefined) return text;
  // "\"" + pkg.version + "\"" (a JavaScript string of the field): what the define reads at build time.
  if (value.length === 3) {
    const [open, field, close] = value as [SymPart, SymPart, SymPart];
    if ("lit" in open && "pkg" in field && "lit" in close && open.lit === close.lit && (open.lit === '"' || open.lit === "'")) {
      return { packageJson: field.pkg };
    }
  }
  return undefined;
}

/** Splits a value at its first "=" (in a literal part): KEY=VALUE of --define. */
export function splitAtEquals(value: Sym): [string, Sym] | undefined {
  const first = value[0];
  if (!first || !("lit" in first)) return undefined;
  const at = first.lit.indexOf("=");
  if (at < 0) return undefined;
  return [first.lit.slice(0, at), concat(lit(first.lit.slice(at + 1)), value.slice(1))];
}

/** Recognizes commands that print a package.json field: `node -p "require('./package.json').version"`, `jq -r .version package.json`. */
export function packageFieldPrintedBy(command: string): string | undefined {
  const c = command.trim();
  if (!/package\.json/.test(c)) return undefined;
  const jq = /\bjq\s+(?:-r\s+|--raw-output\s+)?['"]?\.([A-Za-z_][\w.]*)['"]?\s+(?:\.\/)?package\.json/.exec(c);
  if (jq) return jq[1];
  const member = /package\.json['"]\s*\)\s*(?:\.json\(\)\s*\)?\s*)?\.([A-Za-z_][\w.]*)/.exec(c) ?? /package\.json['"]\)\)?\)?\.([A-Za-z_][\w.]*)/.exec(c);
  if (member && /\b(node|bun)\b/.test(c)) return member[1];
  return undefined;
}
