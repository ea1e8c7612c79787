// The Bun version a runtime was built from, read from the crash handler's metadata line that
// every runtime carries. Separate from the module graph reader: it works on any Bun executable,
// a plain runtime included, and the graph reader only uses it to pick a layout.

export interface BunVersion {
  /** e.g. "1.4.5", or "1.4.6-canary.12". */
  version: string;
  /** Short git revision, e.g. "a7733435c". */
  revision?: string;
  /** Full 40-hex git revision when the runtime carries it (the upgrade command's tag table). */
  fullRevision?: string;
  channel: "release" | "canary" | "debug";
  /** As the runtime names itself: Linux, macOS, Windows... */
  os?: string;
  /** x64, arm64, or "Silicon" for darwin-arm64. */
  arch?: string;
  baseline: boolean;
  /** The matched line, e.g. "Bun v1.4.5 (a7733435c) Linux x64". */
  text: string;
}

// The crash handler's metadata line, compiled into every runtime:
//   "Bun {Canary |Debug }v{version} ({short sha}) {os} {arch}{ (baseline)}\n"
// (`metadata_version_line` in src/crash_handler.zig, `package_json_version_with_sha`
// in src/Global.zig: "{version} ({sha})" when the build has a git sha).
const METADATA_LINE = /^Bun (Canary |Debug )?v(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)(?: \(([0-9a-f]{7,40})\))? (\w+) (\w+)( \(baseline\))?\n/;
const VERSION_NEEDLES = ["Bun v", "Bun Canary v", "Bun Debug v"].map((text) => Buffer.from(text, "latin1"));

/** The version of the Bun runtime inside an executable (compiled app or plain bun), if found. */
export function readBunVersion(buf: Uint8Array): BunVersion | undefined {
  const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  for (const needle of VERSION_NEEDLES) {
    for (let at = bytes.indexOf(needle); at !== -1; at = bytes.indexOf(needle, at + 1)) {
      const match = METADATA_LINE.exec(bytes.subarray(at, at + 120).toString("latin1"));
      if (!match) continue;
      const [, channelWord, version, revision, os, arch, baseline] = match;
      return {
        version: version!,
        revision,
        fullRevision: revision ? findFullRevision(bytes, version!, revision) : undefined,
        channel: channelWord === "Canary " ? "canary" : channelWord === "Debug " ? "debug" : "release",
        os,
        arch,
        baseline: baseline !== undefined,
        text: match[0].trimEnd(),
      };
    }
  }
  return undefined;
}

/** `bun upgrade` keeps "bun-v{version}" next to the full commit hash; use it when present. */
function findFullRevision(bytes: Buffer, version: string, shortRevision: string): string | undefined {
  const needle = Buffer.from(`bun-v${version}\0`, "latin1");
  for (let at = bytes.indexOf(needle); at !== -1; at = bytes.indexOf(needle, at + 1)) {
    const window = bytes.subarray(at + needle.length, at + needle.length + 80).toString("latin1");
    const match = /^\0*([0-9a-f]{40})/.exec(window);
    if (match && match[1]!.startsWith(shortRevision)) return match[1];
  }
  return undefined;
}
