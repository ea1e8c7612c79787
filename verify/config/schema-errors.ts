// ajv's reports turned into sentences: the deepest failing branch, named by its JSON path, with
// what the schema expects and, for an unknown key, the closest known one. The schema is the single
// source of truth for keys and types; validateSchema is ajv's code generated from it
// (scripts/generate-validator.ts).
import type { ErrorObject } from "ajv";
import schema from "../../targets.schema.json" with { type: "json" };
import { ConfigError } from "../errors.ts";
import { lineColumnOf, pointerToSegments, toJsonPath } from "./json-location.ts";

// ajv reports every failing branch; the deepest error is the one that names the real field.
export function mostUsefulErrors(errors: ErrorObject[]): ErrorObject[] {
  return [...errors].sort((a, b) => b.instancePath.split("/").length - a.instancePath.split("/").length);
}

/** One schema error as a ConfigError naming the field, what was expected and what to do. */
export function describeSchemaError(error: ErrorObject, text: string, file: string, raw: unknown): ConfigError {
  const segments = pointerToSegments(error.instancePath, raw);
  const schemaNode = schemaAt(error.schemaPath);
  const params = error.params as Record<string, unknown>;
  if (error.keyword === "additionalProperties") {
    const key = String(params.additionalProperty);
    const allowed = Object.keys((schemaNode?.properties ?? {}) as object);
    const guess = closest(key, allowed);
    return new ConfigError(
      file, toJsonPath([...segments, key]), `unknown key "${key}"`, `one of: ${allowed.join(", ")}`,
      guess ? `Did you mean "${guess}"? Rename or remove the key.` : "Remove the key (see targets.schema.json).",
      ...lineColumnOf(text, [...segments, key]),
    );
  }
  if (error.keyword === "required") {
    const key = String(params.missingProperty);
    return new ConfigError(
      file, toJsonPath(segments), `missing required key "${key}"`,
      `"${key}": ${describeSchema(schemaAt(`${error.schemaPath.replace(/\/required$/, "")}/properties/${key}`))}`,
      `Add "${key}" to this object.`,
      ...lineColumnOf(text, segments),
    );
  }
  const actual = JSON.stringify(segments.reduce<unknown>((v, s) => (v as Record<string | number, unknown>)?.[s], raw));
  const jsonPath = toJsonPath(segments);
  if (error.keyword === "pattern" && jsonPath === "$.name") {
    return new ConfigError(
      file, jsonPath, `${actual} is not a plain file name (it could escape the output folder)`,
      "letters, digits, '.', '_' and '-' only, not starting with '.'",
      "Use a plain name such as \"my-cli\"; the output folder is set by \"outDir\".",
      ...lineColumnOf(text, segments),
    );
  }
  const expected =
    error.keyword === "enum" ? `one of: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`
    : error.keyword === "type" ? `a value of type ${String(params.type)}`
    : error.keyword === "pattern" ? `a string matching ${String(params.pattern)}`
    : describeSchema(schemaNode) || String(error.message);
  return new ConfigError(
    file, jsonPath, `${actual} is not allowed (${error.message})`, expected,
    `Change the value to ${expected} (see targets.schema.json).`,
    ...lineColumnOf(text, segments),
  );
}

function schemaAt(schemaPath: string): Record<string, unknown> | undefined {
  // "#/definitions/target/properties/os/enum" -> the node owning the keyword.
  const parts = schemaPath.replace(/^#\/?/, "").split("/").filter(Boolean);
  let node: unknown = schema;
  for (const part of parts) node = (node as Record<string, unknown> | undefined)?.[part];
  if (node && typeof node === "object" && !Array.isArray(node)) return node as Record<string, unknown>;
  // The path ended at the keyword itself: return its parent.
  let parent: unknown = schema;
  for (const part of parts.slice(0, -1)) parent = (parent as Record<string, unknown> | undefined)?.[part];
  return parent as Record<string, unknown> | undefined;
}

function describeSchema(node: Record<string, unknown> | undefined): string {
  if (!node) return "";
  if (typeof node.description === "string") return node.description;
  if (Array.isArray(node.enum)) return `one of: ${node.enum.join(", ")}`;
  return typeof node.type === "string" ? `a ${node.type}` : "";
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}
