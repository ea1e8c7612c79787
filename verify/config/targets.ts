// $.targets: each target checked against Bun's target names and the pinned Bun, with its runner
// filled in. Separate because it is the one part of targets.json that depends on Bun's own rules
// (bun/ knows which targets a Bun version can build).
import { bunTargetFor, compareVersions, defaultRunnerFor, minimumBunFor, parseBunTarget, type Libc } from "../bun/index.ts";
import { ConfigError } from "../errors.ts";
import type { At } from "./json-location.ts";
import type { RawConfig, Target } from "./types.ts";

/**
 * The targets, in order: ids unique, libc only on Linux, a bunTarget that builds the os/arch/libc
 * the target names, and a Bun at least as new as the first one that can build it.
 */
export function parseTargets(raw: RawConfig["targets"], bunVersion: string, file: string, at: At): Target[] {
  const seen = new Map<string, number>();
  return raw.map((t, i): Target => {
    const where = `$.targets[${i}]`;
    const previous = seen.get(t.id);
    if (previous !== undefined) {
      throw new ConfigError(
        file, `${where}.id`, `duplicate target id "${t.id}" (also at $.targets[${previous}])`,
        "every target id to be unique",
        "Rename or remove one of the two entries.",
        ...at(["targets", i, "id"]),
      );
    }
    seen.set(t.id, i);
    if (t.libc === "musl" && t.os !== "linux") {
      throw new ConfigError(
        file, `${where}.libc`, `"musl" with os "${t.os}"`, "libc only on linux targets",
        "Remove \"libc\" from this target, or set \"os\": \"linux\".",
        ...at(["targets", i, "libc"]),
      );
    }
    const libc: Libc = t.libc ?? "glibc";
    const derived = bunTargetFor({ os: t.os, arch: t.arch, libc });
    const bunTarget = t.bunTarget ?? derived;
    const parsed = parseBunTarget(bunTarget);
    if ("problem" in parsed) {
      throw new ConfigError(
        file, `${where}.bunTarget`, parsed.problem,
        `a Bun target string such as "${derived}"`,
        `Set "bunTarget": "${derived}" or remove it (it is derived from os/arch/libc).`,
        ...at(["targets", i, "bunTarget"]),
      );
    }
    if (parsed.os !== t.os || parsed.arch !== t.arch || parsed.libc !== libc) {
      throw new ConfigError(
        file, `${where}.bunTarget`,
        `"${bunTarget}" builds ${parsed.os}/${parsed.arch}/${parsed.libc} but the target says ${t.os}/${t.arch}/${libc}`,
        `"${derived}" (or an alias of it)`,
        `Set "bunTarget": "${derived}", or fix os/arch/libc.`,
        ...at(["targets", i, "bunTarget"]),
      );
    }
    const minimum = minimumBunFor(parsed);
    if (compareVersions(bunVersion, minimum.version) < 0) {
      throw new ConfigError(
        file, `${where}`, `Bun ${bunVersion} cannot build ${t.id}: ${minimum.why}`,
        `Bun >= ${minimum.version}`,
        `Pin a newer Bun (npm install --save-exact --save-dev bun@latest), or remove this target.`,
        ...at(["targets", i]),
      );
    }
    const target: Target = {
      id: t.id, os: t.os, arch: t.arch, libc, bunTarget,
      runner: t.runner ?? defaultRunnerFor(t),
    };
    if (parsed.cpuLevel) target.cpuLevel = parsed.cpuLevel;
    if (t.maxBytes !== undefined) target.maxBytes = t.maxBytes;
    return target;
  });
}
