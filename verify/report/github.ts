// GitHub Actions integration from bun verify itself, so the workflow stays
// thin: Markdown step summaries and `::error::` annotations.
import { appendFile } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "../digest/digest.ts";
import type { Io } from "../cli/context.ts";

/**
 * --markdown FILE writes the summary there; without it, on GitHub Actions, the summary is
 * appended to $GITHUB_STEP_SUMMARY (the job page shows it).
 */
export async function writeMarkdown(io: Io, file: string | undefined, markdown: string): Promise<void> {
  if (file) {
    await writeFileAtomic(path.resolve(io.cwd, file), markdown);
    return;
  }
  if (io.env.GITHUB_ACTIONS === "true" && io.env.GITHUB_STEP_SUMMARY) await appendFile(io.env.GITHUB_STEP_SUMMARY, markdown + "\n");
}

/** A workflow command that GitHub shows as an annotation; only on GitHub Actions. */
export function annotate(io: Io, level: "error" | "warning" | "notice", title: string, message: string, file?: string): void {
  if (io.env.GITHUB_ACTIONS !== "true") return;
  // Workflow command values escape %, CR and LF; properties also escape : and ,.
  const escape = (s: string) => s.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
  const property = (s: string) => escape(s).replaceAll(":", "%3A").replaceAll(",", "%2C");
  const props = [`title=${property(title)}`, ...(file ? [`file=${property(file)}`] : [])].join(",");
  io.stdout.write(`::${level} ${props}::${escape(message)}\n`);
}
