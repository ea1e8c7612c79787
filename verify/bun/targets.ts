// Bun's `--target` strings for `bun build --compile`, the npm packages that carry each
// target's runtime, and which Bun version first supports what. Pure.
// Token rules follow Bun's src/options_types/compile_target.rs (docs/internals.md).

export type Os = "linux" | "darwin" | "windows";
export type Arch = "x64" | "arm64";
export type Libc = "glibc" | "musl";

export interface TargetTriple {
  os: Os;
  arch: Arch;
  libc: Libc;
  /** x64 CPU level token: "baseline" or "modern", when the string names one. */
  cpuLevel?: "baseline" | "modern";
}

const OS_TOKENS: Record<string, Os> = {
  linux: "linux", "linux-gnu": "linux",
  darwin: "darwin", mac: "darwin", macos: "darwin", apple: "darwin",
  windows: "windows", win: "windows", win32: "windows", win64: "windows",
};
const ARCH_TOKENS: Record<string, Arch> = {
  x64: "x64", x86_64: "x64", amd64: "x64",
  arm64: "arm64", aarch64: "arm64",
};

/** Parses `bun-<tokens>`; returns a sentence describing the problem instead of throwing. */
export function parseBunTarget(target: string): TargetTriple | { problem: string } {
  if (!target.startsWith("bun-")) return { problem: `"${target}" does not start with "bun-"` };
  let os: Os | undefined;
  let arch: Arch | undefined;
  let libc: Libc = "glibc";
  let cpuLevel: TargetTriple["cpuLevel"];
  // "linux-gnu" is one token that contains the separator, so join it first.
  const tokens = target.slice(4).toLowerCase().replace("linux-gnu", "linux").split("-");
  for (const token of tokens) {
    if (token in OS_TOKENS) {
      if (os) return { problem: `"${target}" names two operating systems` };
      os = OS_TOKENS[token];
    } else if (token in ARCH_TOKENS) {
      if (arch) return { problem: `"${target}" names two architectures` };
      arch = ARCH_TOKENS[token];
    } else if (token === "musl") {
      libc = "musl";
    } else if (token === "baseline" || token === "modern") {
      cpuLevel = token;
    } else if (/^v\d+\.\d+\.\d+$/.test(token)) {
      return {
        problem: `"${target}" pins a runtime version (${token}); the runtime must be the pinned Bun's own version`,
      };
    } else {
      return { problem: `"${target}" has an unknown token "${token}"` };
    }
  }
  if (!os) return { problem: `"${target}" names no operating system (linux, darwin or windows)` };
  // Bun defaults the arch to x64 when only the OS is given.
  arch ??= "x64";
  if (libc === "musl" && os !== "linux") return { problem: `"${target}": musl is only valid with linux` };
  return cpuLevel ? { os, arch, libc, cpuLevel } : { os, arch, libc };
}

/** The canonical target string Bun documents for a triple. */
export function bunTargetFor(t: { os: Os; arch: Arch; libc?: Libc }): string {
  return `bun-${t.os}-${t.arch}${t.libc === "musl" ? "-musl" : ""}`;
}

export interface RuntimePackage {
  /** npm package holding the runtime, e.g. @oven/bun-darwin-aarch64 */
  name: string;
  version: string;
  /** Path of the executable inside the package tarball. */
  entry: string;
}

/**
 * The npm package Bun itself downloads for a foreign target (`@oven/bun-{os}-{arch}{-musl}{-baseline}`,
 * arch spelled aarch64), see docs/build.md, Toolchain.
 */
export function runtimePackageFor(t: TargetTriple, bunVersion: string): RuntimePackage {
  const arch = t.arch === "arm64" ? "aarch64" : "x64";
  const musl = t.libc === "musl" ? "-musl" : "";
  // Since Bun 1.4 the x64 baseline runtime is byte-identical to the default one, but the
  // package name still differs; keep the name Bun would download so digests match its cache.
  const baseline = t.cpuLevel === "baseline" && t.arch === "x64" ? "-baseline" : "";
  const exe = t.os === "windows" ? "bun.exe" : "bun";
  return { name: `@oven/bun-${t.os}-${arch}${musl}${baseline}`, version: bunVersion, entry: `package/bin/${exe}` };
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).slice(0, 3).map(Number);
  const pb = b.split(/[.+-]/).slice(0, 3).map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The oldest Bun whose output bun-parity reads, builds and checks (docs/build.md, "Supported Bun versions"). */
export const OLDEST_SUPPORTED_BUN = "1.2.0";

/**
 * The oldest Bun that can build a target: windows-arm64 runtimes exist from 1.3.10 (1.3.9
 * accepts the target, then fails to download bun-windows-aarch64-v1.3.9); every other target
 * builds with every supported Bun (verify/bun/versions.ts has the rest of the table).
 */
export function minimumBunFor(t: TargetTriple): { version: string; why: string } {
  if (t.os === "windows" && t.arch === "arm64") {
    return { version: "1.3.10", why: "bun-windows-arm64 first shipped in Bun 1.3.10 (@oven/bun-windows-aarch64 starts there)" };
  }
  return { version: OLDEST_SUPPORTED_BUN, why: `bun-parity supports Bun ${OLDEST_SUPPORTED_BUN} and later` };
}

/** GitHub-hosted runner label that can execute a target (reference/README.md, runner labels). */
export function defaultRunnerFor(t: { os: Os; arch: Arch }): string {
  const table: Record<Os, Record<Arch, string>> = {
    linux: { x64: "ubuntu-24.04", arm64: "ubuntu-24.04-arm" },
    darwin: { x64: "macos-15-intel", arm64: "macos-15" },
    windows: { x64: "windows-2025", arm64: "windows-11-arm" },
  };
  return table[t.os][t.arch];
}
