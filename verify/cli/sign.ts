// `bun verify sign --adhoc FILE...`
import { stableJson } from "../digest/index.ts";
import { UsageError } from "../errors.ts";
import { checkPath } from "../paths.ts";
import { signFileAdhoc } from "../build/index.ts";
import type { Io } from "../io.ts";

export async function runSign(io: Io, flags: { adhoc?: boolean; identifier?: string; json?: boolean }, files: string[]): Promise<number> {
  if (!flags.adhoc) throw new UsageError("sign needs --adhoc (the only kind of signature bun-parity writes)", "Run: bun verify sign --adhoc FILE...");
  if (files.length === 0) throw new UsageError("sign needs at least one file", "Run: bun verify sign --adhoc dist/my-cli-darwin-x64");
  const paths = files.map((file) =>
    checkPath(io.cwd, file, "input-file", { what: "sign --adhoc", fix: "Pass macOS executables built by `bun build --compile` (files, e.g. dist/my-cli-darwin-x64)." }),
  );
  const outcomes = [];
  for (const [i, file] of files.entries()) {
    const options = flags.identifier ? { identifier: flags.identifier } : {};
    const outcome = await signFileAdhoc(paths[i]!, options);
    outcomes.push(outcome);
    if (!flags.json) {
      const was = outcome.before.state === "invalid" ? `invalid (${outcome.before.problems[0]})` : outcome.before.state;
      io.stdout.write(`${file}: signed ad hoc (identifier ${outcome.after.identifier}, ${outcome.after.pages} pages); was ${was}\n`);
    }
  }
  if (flags.json) io.stdout.write(stableJson(outcomes.map((o) => ({ file: o.file, before: o.before.state, after: o.after.state, identifier: o.after.identifier, cdhash: o.after.cdhash }))));
  return 0;
}
