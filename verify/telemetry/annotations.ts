// GitHub annotations: a workflow command (`::error title=...::message`) that the job page shows
// next to the step. Written only on GitHub Actions; elsewhere the command's own output says it.
import type { Io } from "../io.ts";

/** A workflow command that GitHub shows as an annotation; only on GitHub Actions. */
export function annotate(io: Io, level: "error" | "warning" | "notice", title: string, message: string, file?: string): void {
  if (io.env.GITHUB_ACTIONS !== "true") return;
  // Workflow command values escape %, CR and LF; properties also escape : and ,.
  const escape = (s: string) => s.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
  const property = (s: string) => escape(s).replaceAll(":", "%3A").replaceAll(",", "%2C");
  const props = [`title=${property(title)}`, ...(file ? [`file=${property(file)}`] : [])].join(",");
  io.stdout.write(`::${level} ${props}::${escape(message)}\n`);
}
