// Where a value is in the text of targets.json: JSON syntax errors with line and column, JSON
// paths ($.targets[0].os) and their line and column, and JSON pointers (as ajv reports them) read
// back into path segments. Shared by the schema errors and the checks that follow the schema.
import * as jsonc from "jsonc-parser";
import { ConfigError } from "../errors.ts";

/** [line, column] of a JSON path in targets.json, or [] when it is not in the text: the tail of a ConfigError. */
export type At = (jsonPath: (string | number)[]) => [number, number] | [];

/** The parsed JSON; a ConfigError with line and column when the syntax is wrong. */
export function parseJson(text: string, file: string): unknown {
  const errors: jsonc.ParseError[] = [];
  const value = jsonc.parse(text, errors, { disallowComments: true, allowTrailingComma: false });
  const error = errors[0];
  if (error) {
    const { line, column } = lineColumnAt(text, error.offset);
    throw new ConfigError(
      file, "$", `malformed JSON (${jsonc.printParseErrorCode(error.error)})`, "valid JSON",
      `Fix the syntax at line ${line}, column ${column}.`,
      line, column,
    );
  }
  return value;
}

function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return { line, column };
}

/** [line, column] of the value at a JSON path, or [] when the path is not in the text. */
export function lineColumnOf(text: string, jsonPath: (string | number)[]): [number, number] | [] {
  const tree = jsonc.parseTree(text);
  if (!tree) return [];
  let node = jsonc.findNodeAtLocation(tree, jsonPath);
  // For an object member, point at its key rather than its value.
  if (node?.parent?.type === "property") node = node.parent;
  if (!node) return [];
  const { line, column } = lineColumnAt(text, node.offset);
  return [line, column];
}

/** $.a.b[0]["odd key"]: the path as error messages print it. */
export function toJsonPath(segments: (string | number)[]): string {
  return "$" + segments.map((s) => (typeof s === "number" ? `[${s}]` : /^[A-Za-z_$][\w$]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`)).join("");
}

/** A JSON pointer (/targets/0/os) as path segments, array indexes as numbers. */
export function pointerToSegments(pointer: string, value: unknown): (string | number)[] {
  if (pointer === "") return [];
  let current = value;
  return pointer.slice(1).split("/").map((raw) => {
    const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    const segment = Array.isArray(current) ? Number(key) : key;
    current = (current as Record<string | number, unknown> | undefined)?.[segment];
    return segment;
  });
}
