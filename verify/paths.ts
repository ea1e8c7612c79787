// Paths a command is given, checked before anything reads or writes them. Each problem is a
// UsageError (exit code 2) that names what the path is for, the path, what was found there and
// what was expected, instead of an EISDIR / ENOTDIR / EACCES stack trace from deep inside.
import { accessSync, constants, existsSync, statSync } from "node:fs";
import path from "node:path";
import { UsageError } from "./errors.ts";

/** What a path given to a command must be. */
export type PathKind =
  /** An existing regular file (not empty unless allowEmpty). */
  | "input-file"
  /** An existing folder. */
  | "input-folder"
  /** A file to write: absent or a regular file, under folders (existing or to be created). */
  | "output-file"
  /** A folder to write into: absent or a folder, under folders. */
  | "output-folder";

export interface PathRole {
  /** How the user gave the path, e.g. "--config", "--html", "explain's first file". */
  what: string;
  /** What to do instead. */
  fix: string;
  /** An empty input file is accepted (default: refused, it is never what was meant). */
  allowEmpty?: boolean;
}

/** Checks `given` (relative to cwd) is usable as `kind`; returns the absolute path. */
export function checkPath(cwd: string, given: string, kind: PathKind, role: PathRole): string {
  const abs = path.resolve(cwd, given);
  const where = `${role.what} ${given}`;
  const fail = (problem: string): never => {
    throw new UsageError(`${where}: ${problem}`, role.fix);
  };
  const found = describe(abs);
  switch (kind) {
    case "input-file":
      if (found === "missing") fail("no such file");
      if (found === "folder") fail("is a folder; expected a file");
      if (found !== "file") fail(`is ${found}; expected a regular file`);
      if (!role.allowEmpty && statSync(abs).size === 0) fail("is empty");
      if (!readable(abs)) fail("cannot be read (permission denied)");
      return abs;
    case "input-folder":
      if (found === "missing") fail("no such folder");
      if (found === "file") fail("is a file; expected a folder");
      if (found !== "folder") fail(`is ${found}; expected a folder`);
      return abs;
    case "output-file":
      if (found === "folder") fail("is a folder; expected a file to write");
      if (found !== "missing" && found !== "file") fail(`is ${found}; expected a file to write`);
      checkAncestors(abs, fail);
      return abs;
    case "output-folder":
      if (found === "file") fail("is a file; expected a folder to write into");
      if (found !== "missing" && found !== "folder") fail(`is ${found}; expected a folder`);
      checkAncestors(abs, fail);
      return abs;
  }
}

/** An existing executable file (the x bit set for this user; Windows has none to check). */
export function checkExecutable(abs: string, role: PathRole): void {
  const fail = (problem: string): never => {
    throw new UsageError(`${role.what} ${abs}: ${problem}`, role.fix);
  };
  const found = describe(abs);
  if (found === "missing") fail("no such file");
  if (found === "folder") fail("is a folder; expected an executable file");
  if (found !== "file") fail(`is ${found}; expected an executable file`);
  if (process.platform !== "win32" && !executable(abs)) {
    fail(`is not executable (mode ${(statSync(abs).mode & 0o777).toString(8).padStart(4, "0")})`);
  }
}

/** describe()'s answer as a phrase: "a folder", "a file", "a socket"... */
export function phrase(found: string): string {
  return found === "file" || found === "folder" ? `a ${found}` : found;
}

/** "missing", "file", "folder", or what else is there (a socket, a device...). */
export function describe(abs: string): string {
  let stat;
  try {
    stat = statSync(abs);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENOTDIR: a file sits where a folder on the way should be; the path cannot exist.
    if (code === "ENOENT" || code === "ENOTDIR") return "missing";
    return `unreadable (${code ?? (error as Error).message})`;
  }
  if (stat.isFile()) return "file";
  if (stat.isDirectory()) return "folder";
  if (stat.isFIFO()) return "a named pipe";
  if (stat.isSocket()) return "a socket";
  return "a device";
}

/** The nearest existing ancestor must be a folder: `mkdir -p` and the write can then succeed. */
function checkAncestors(abs: string, fail: (problem: string) => never): void {
  for (let dir = path.dirname(abs); ; dir = path.dirname(dir)) {
    if (existsSync(dir)) {
      if (!statSync(dir).isDirectory()) fail(`${dir} is a file, so nothing can be written under it`);
      return;
    }
    if (path.dirname(dir) === dir) return;
  }
}

function readable(abs: string): boolean {
  try {
    accessSync(abs, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

function executable(abs: string): boolean {
  try {
    accessSync(abs, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
