// $.smoke: the cases smoke runs on every executable, checked (regular expressions compile, target
// ids exist, working folders and files stay inside the project) and with their defaults.
import path from "node:path";
import { ConfigError } from "../errors.ts";
import type { At } from "./json-location.ts";
import type { RawSmokeCase, SmokeCase, SmokeNormalization, Target } from "./types.ts";

/** The smoke cases, in order; `targets` of a case must name targets of this config. */
export function parseSmoke(raw: RawSmokeCase[], targets: Target[], file: string, at: At): SmokeCase[] {
  const ids = new Set(targets.map((t) => t.id));
  return raw.map((c, i): SmokeCase => {
    for (const key of ["stdout", "stderr"] as const) {
      const pattern = c[key];
      if (pattern === undefined) continue;
      try {
        new RegExp(pattern);
      } catch (error) {
        throw new ConfigError(
          file, `$.smoke[${i}].${key}`, `${(error as Error).message}`, "a JavaScript regular expression",
          "Escape special characters with a double backslash in JSON, e.g. \"\\\\d+\\\\.\\\\d+\".",
          ...at(["smoke", i, key]),
        );
      }
    }
    for (const [j, id] of (c.targets ?? []).entries()) {
      if (!ids.has(id)) {
        throw new ConfigError(
          file, `$.smoke[${i}].targets[${j}]`, `unknown target id "${id}"`,
          `one of: ${[...ids].join(", ")}`, "Use an id from $.targets, or remove it.",
          ...at(["smoke", i, "targets", j]),
        );
      }
    }
    const smokeCase: SmokeCase = {
      name: c.name, args: c.args, exitCode: c.exitCode ?? 0, env: c.env ?? {}, timeoutMs: c.timeoutMs ?? 15_000,
    };
    if (c.stdout !== undefined) smokeCase.stdout = c.stdout;
    if (c.stderr !== undefined) smokeCase.stderr = c.stderr;
    if (c.targets !== undefined) smokeCase.targets = c.targets;
    Object.assign(smokeCase, smokeRunFields(c, i, file, at));
    return smokeCase;
  });
}

/** An absolute path on any OS (a smoke case may be written on Windows and run on Linux). */
const isOutside = (p: string) => path.isAbsolute(p) || path.posix.isAbsolute(p.replaceAll("\\", "/")) || /^[A-Za-z]:/.test(p);

/** The compare / stdin / cwd / files fields of one smoke case, checked. Pure. */
function smokeRunFields(
  c: RawSmokeCase, i: number, file: string, at: At,
): Partial<SmokeCase> {
  const fields: Partial<SmokeCase> = {};
  const where = `$.smoke[${i}]`;
  if (c.compare === undefined) {
    for (const key of ["normalize", "ignore"] as const) {
      if (c[key] === undefined) continue;
      throw new ConfigError(
        file, `${where}.${key}`, `"${key}" without "compare"`, `"${key}" only in a case with "compare": "source"`,
        `Add "compare": "source" to this case, or remove "${key}".`,
        ...at(["smoke", i, key]),
      );
    }
  } else {
    fields.compare = c.compare;
    fields.normalize = [...new Set<SmokeNormalization>(c.normalize ?? ["program", "cwd", "stack"])];
    fields.ignore = c.ignore ?? [];
  }
  for (const [j, pattern] of (c.ignore ?? []).entries()) {
    try {
      new RegExp(pattern);
    } catch (error) {
      throw new ConfigError(
        file, `${where}.ignore[${j}]`, (error as Error).message, "a JavaScript regular expression",
        "Escape special characters with a double backslash in JSON, e.g. \"\\\\d+ ms\".",
        ...at(["smoke", i, "ignore", j]),
      );
    }
  }
  if (c.stdin !== undefined) fields.stdin = c.stdin;
  if (c.cwd !== undefined) {
    const cwd = path.posix.normalize(c.cwd.replaceAll("\\", "/")).replace(/\/$/, "");
    if (isOutside(c.cwd) || cwd.split("/").includes("..")) {
      throw new ConfigError(
        file, `${where}.cwd`, `"${c.cwd}" is outside the project`, "a folder inside the folder holding targets.json",
        "Put the files the case needs in a folder of the project, e.g. \"test/smoke/with-config\", and name it here.",
        ...at(["smoke", i, "cwd"]),
      );
    }
    if (cwd === ".") {
      throw new ConfigError(
        file, `${where}.cwd`, `"${c.cwd}" is the project itself`,
        "a folder below the project holding only what the case needs",
        "Running in a copy of the whole project (node_modules, dist, package.json) would hide the working-folder reads smoke is there to catch: make a small folder, e.g. \"test/smoke/with-config\".",
        ...at(["smoke", i, "cwd"]),
      );
    }
    fields.cwd = cwd;
  }
  if (c.files !== undefined) {
    fields.files = c.files.map((f, j) => {
      const normalized = f.replaceAll("\\", "/");
      if (isOutside(f) || path.posix.normalize(normalized).split("/").includes("..")) {
        throw new ConfigError(
          file, `${where}.files[${j}]`, `"${f}" is outside the working folder`, "a path relative to the working folder",
          "Name the file the program writes in its working folder, e.g. \"out/report.json\".",
          ...at(["smoke", i, "files", j]),
        );
      }
      return normalized;
    });
  }
  return fields;
}
