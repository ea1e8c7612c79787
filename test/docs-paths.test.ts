// The docs and comments point readers at source files ("Code: `verify/binary/bunfs.ts`"). When
// a file moves, such a pointer silently leads nowhere: every `verify/...` path written in the
// README, docs/ and the sources must name a file or folder that exists.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import fg from "fast-glob";
import { describe, expect, it } from "vitest";
import { REPO } from "./helpers.ts";

/** Every `verify/...` path a text names (a trailing `.` or `,` of the sentence is not part of it). */
function pathsIn(text: string): string[] {
  return [...text.matchAll(/(?<![\w./-])verify\/[\w./-]*[\w/]/g)].map((m) => m[0]);
}

function missingPaths(files: string[]): string[] {
  const missing: string[] = [];
  for (const file of files) {
    const text = readFileSync(path.join(REPO, file), "utf8");
    for (const p of pathsIn(text)) {
      // lib/verify/... or a glob (verify/**) is not a pointer at one source file.
      if (p.includes("*")) continue;
      if (!existsSync(path.join(REPO, p))) missing.push(`${file}: ${p}`);
    }
  }
  return [...new Set(missing)];
}

describe("paths to source files in docs and comments", () => {
  it("each names a file or folder that exists", () => {
    const files = fg.sync(["README.md", "docs/*.md", "verify/**/*.ts", "dagger/src/**/*.ts", "bench/**/*.ts", "justfile"], {
      cwd: REPO,
      ignore: ["**/node_modules/**", "verify/config/generated/**"],
    });
    expect(files.length).toBeGreaterThan(50);
    expect(missingPaths(files)).toEqual([]);
  });

  it("finds a path that does not exist, and ignores sentence punctuation after one that does", () => {
    expect(pathsIn("Code: `verify/binary/bunfs.ts`, and verify/cli.ts.")).toEqual(["verify/binary/bunfs.ts", "verify/cli.ts"]);
    expect(pathsIn("see lib/verify/cli.js or ./verify/cli.ts")).toEqual([]);
    const missing = pathsIn("moved: verify/bunfs.ts").filter((p) => !existsSync(path.join(REPO, p)));
    expect(missing).toEqual(["verify/bunfs.ts"]);
  });
});
