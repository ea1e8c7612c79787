// The GitHub job summary: a command's Markdown report goes to --markdown FILE, or on GitHub
// Actions to $GITHUB_STEP_SUMMARY, so the workflow stays thin (annotations: telemetry/annotations.ts).
import { appendFile } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "../digest/index.ts";
import type { Io } from "../io.ts";

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
