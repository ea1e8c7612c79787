// Check 5, one SBOM per artifact: CycloneDX 1.6 JSON listing the npm packages the bundler
// actually put into that executable (manifest.json `packages`, from Bun's metafile; not the
// whole lockfile), with versions, licenses, purls and the lockfile's integrity as a hash, plus
// the Bun runtime embedded in the executable as a `platform` component with its sha256.
// Written to <dist>/sbom/<file>.cdx.json. Deterministic: no timestamp, and the serial number is
// a UUIDv5 of the artifact's name and digest (the same bytes give the same BOM).
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import * as jsonc from "jsonc-parser";
import { type Manifest, type ManifestTarget, stableJson, writeFileAtomic } from "../digest/index.ts";
import type { ToolchainLock } from "../toolchain/index.ts";
import { TOOL_NAME, TOOL_VERSION } from "../version.ts";
import type { LoadedArtifact } from "./artifacts.ts";
import { type CheckResult, type Finding, checkResult, notRun } from "./findings.ts";

export const SBOM_FOLDER = "sbom";
export const CYCLONEDX_SCHEMA_URL = "http://cyclonedx.org/schema/bom-1.6.schema.json";

export interface PackageInfo {
  license?: string;
  /** npm integrity (sha512-<base64>) from the lockfile. */
  integrity?: string;
}

/** name@version -> license and integrity, from package-lock.json / bun.lock, then node_modules. */
export class PackageIndex {
  private readonly fromLock = new Map<string, PackageInfo>();

  constructor(private readonly projectDir: string) {
    const npmLock = ["npm-shrinkwrap.json", "package-lock.json"].map((f) => path.join(projectDir, f)).find((f) => existsSync(f));
    if (npmLock) {
      try {
        const lock = JSON.parse(readFileSync(npmLock, "utf8")) as { packages?: Record<string, { name?: string; version?: string; license?: string; integrity?: string }> };
        for (const [key, entry] of Object.entries(lock.packages ?? {})) {
          if (!key.includes("node_modules/") || !entry.version) continue;
          const name = entry.name ?? key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length);
          this.fromLock.set(`${name}@${entry.version}`, { license: entry.license, integrity: entry.integrity });
        }
      } catch {
        // An unreadable lockfile is reported by the supply-chain check.
      }
    }
    const bunLock = path.join(projectDir, "bun.lock");
    if (existsSync(bunLock)) {
      const data = jsonc.parse(readFileSync(bunLock, "utf8"), [], { allowTrailingComma: true }) as { packages?: Record<string, unknown[]> } | undefined;
      for (const entry of Object.values(data?.packages ?? {})) {
        if (!Array.isArray(entry) || typeof entry[0] !== "string") continue;
        const integrity = entry.find((v, i) => i > 0 && typeof v === "string" && /^sha(256|384|512)-/.test(v)) as string | undefined;
        const key = entry[0];
        if (!this.fromLock.has(key)) this.fromLock.set(key, { integrity });
      }
    }
  }

  get(name: string, version: string): PackageInfo {
    const info: PackageInfo = { ...this.fromLock.get(`${name}@${version}`) };
    if (!info.license) {
      const manifest = path.join(this.projectDir, "node_modules", name, "package.json");
      try {
        const pkg = JSON.parse(readFileSync(manifest, "utf8")) as { version?: string; license?: unknown; licenses?: unknown };
        if (pkg.version === version) info.license = licenseString(pkg.license ?? pkg.licenses);
      } catch {
        // not installed at the top level: license stays unknown
      }
    }
    return info;
  }
}

/** package.json `license` (string), or the legacy `{type}` / `[{type}]` forms. */
function licenseString(value: unknown): string | undefined {
  if (typeof value === "string" && value.trim() !== "") return value.trim();
  if (Array.isArray(value)) {
    const types = value.map((v) => (v as { type?: string })?.type).filter((t): t is string => typeof t === "string");
    return types.length > 1 ? `(${types.join(" OR ")})` : types[0];
  }
  if (value && typeof value === "object" && typeof (value as { type?: string }).type === "string") return (value as { type: string }).type;
  return undefined;
}

export type SpdxFixup = (id: string) => string | undefined;

/** CycloneDX `licenses`: an SPDX id, else one SPDX expression, else a named license. */
export function licenseChoice(license: string | undefined, fixup: SpdxFixup): unknown[] | undefined {
  if (!license) return undefined;
  const id = fixup(license);
  if (id) return [{ license: { id } }];
  if (/\s(OR|AND|WITH)\s|^\(/.test(license)) return [{ expression: license }];
  return [{ license: { name: license } }];
}

/** npm package URL: pkg:npm/%40scope/name@version (purl spec, npm type). */
export function npmPurl(name: string, version: string): string {
  const [scope, bare] = name.startsWith("@") ? [name.slice(0, name.indexOf("/")), name.slice(name.indexOf("/") + 1)] : [undefined, name];
  const encode = (s: string) => encodeURIComponent(s);
  return `pkg:npm/${scope ? `${encode(scope)}/` : ""}${encode(bare!)}@${encode(version)}`;
}

/** "name@version" or "@scope/name@version". */
export function splitPackageId(id: string): { name: string; version: string } {
  const at = id.indexOf("@", 1);
  return at > 0 ? { name: id.slice(0, at), version: id.slice(at + 1) } : { name: id, version: "unknown" };
}

/** RFC 4122 name-based UUID, version 5 (SHA-1), in the URL namespace. */
export function uuidV5(name: string): string {
  const namespace = Buffer.from("6ba7b8119dad11d180b400c04fd430c8", "hex");
  const hash = createHash("sha1").update(namespace).update(name).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** sha512-<base64> -> CycloneDX hash (hex). */
function integrityHash(integrity: string | undefined): { alg: string; content: string }[] | undefined {
  const match = /^sha(256|384|512)-([A-Za-z0-9+/=]+)$/.exec(integrity ?? "");
  if (!match) return undefined;
  return [{ alg: `SHA-${match[1]}`, content: Buffer.from(match[2]!, "base64").toString("hex") }];
}

/** The executable's own purl: pkg:generic/<file>[@version]?checksum=sha256:<hex>. */
export function artifactPurl(file: string, sha256: string, version?: string): string {
  return `pkg:generic/${encodeURIComponent(file)}${version ? `@${encodeURIComponent(version)}` : ""}?checksum=sha256:${sha256}`;
}

export interface SbomInput {
  manifest: Manifest;
  target: ManifestTarget;
  /** The artifact's actual sha256. */
  sha256: string;
  projectName: string;
  projectVersion?: string;
  packages: PackageIndex;
  lock: ToolchainLock | undefined;
  spdx: SpdxFixup;
  /** The compiler's executable, to find the runtime's license next to it. */
  compilerPath?: string;
}

export interface Sbom {
  bom: Record<string, unknown>;
  warnings: string[];
}

export function buildSbom(input: SbomInput): Sbom {
  const { target, sha256 } = input;
  const warnings: string[] = [];
  const artifactRef = artifactPurl(target.file, sha256, input.projectVersion);
  const components: Record<string, unknown>[] = [];
  for (const id of [...target.packages].sort()) {
    const { name, version } = splitPackageId(id);
    const info = input.packages.get(name, version);
    const purl = npmPurl(name, version);
    const component: Record<string, unknown> = {
      type: "library",
      "bom-ref": purl,
      name: name.startsWith("@") ? name.slice(name.indexOf("/") + 1) : name,
      version,
      purl,
    };
    if (name.startsWith("@")) component.group = name.slice(0, name.indexOf("/"));
    const licenses = licenseChoice(info.license, input.spdx);
    if (licenses) component.licenses = licenses;
    else warnings.push(`${id}: no license declared (package.json and lockfile have none)`);
    const hashes = integrityHash(info.integrity);
    if (hashes) component.hashes = hashes;
    if (version === "unknown") warnings.push(`${id}: version unknown (no package.json next to the bundled module)`);
    components.push(component);
  }
  const runtime = runtimeComponent(input);
  components.push(runtime);
  const bom: Record<string, unknown> = {
    $schema: CYCLONEDX_SCHEMA_URL,
    bomFormat: "CycloneDX",
    specVersion: "1.6",
    serialNumber: `urn:uuid:${uuidV5(`${TOOL_NAME}:sbom:${target.file}:${sha256}`)}`,
    version: 1,
    metadata: {
      tools: { components: [{ type: "application", name: TOOL_NAME, version: TOOL_VERSION }] },
      component: {
        type: "application",
        "bom-ref": artifactRef,
        name: target.file,
        ...(input.projectVersion ? { version: input.projectVersion } : {}),
        purl: artifactRef,
        hashes: [{ alg: "SHA-256", content: sha256 }],
        properties: [
          { name: "bun-parity:target", value: target.id },
          { name: "bun-parity:bun-target", value: target.bunTarget },
          { name: "bun-parity:project", value: input.projectName },
          { name: "bun-parity:input-digest", value: target.inputDigest },
        ],
      },
    },
    components,
    dependencies: [
      { ref: artifactRef, dependsOn: components.map((c) => c["bom-ref"] as string).sort() },
      ...components.map((c) => ({ ref: c["bom-ref"] as string })).sort((a, b) => a.ref.localeCompare(b.ref)),
    ],
  };
  return { bom, warnings };
}

function runtimeComponent(input: SbomInput): Record<string, unknown> {
  const { package: name, version, sha256 } = input.target.runtime;
  const purl = npmPurl(name, version);
  const locked = input.lock?.runtimes[name];
  const component: Record<string, unknown> = {
    type: "platform",
    "bom-ref": purl,
    group: name.slice(0, name.indexOf("/")),
    name: name.slice(name.indexOf("/") + 1),
    version,
    purl,
    description: `The Bun runtime embedded in the executable (Bun ${input.manifest.bun}); the hash is the sha256 of ${locked?.entry ?? "its executable"} inside the npm package`,
    hashes: [{ alg: "SHA-256", content: sha256 }],
    properties: [
      { name: "bun-parity:runtime-executable", value: locked?.entry ?? "package/bin/bun" },
      ...(locked?.integrity ? [{ name: "bun-parity:npm-integrity", value: locked.integrity }] : []),
    ],
  };
  const license = input.packages.get(name, version).license ?? runtimeLicense(input.compilerPath, name, version);
  const licenses = licenseChoice(license, input.spdx);
  if (licenses) component.licenses = licenses;
  return component;
}

/**
 * The runtime packages are installed only for the host's own platform, and a project may not
 * have node_modules at all (the compiler then comes from $BUN_PARITY_BUN). Next to the pinned
 * compiler (…/node_modules/bun/bin/bun.exe) are its platform package and its own package.json,
 * from the same publisher and version: use the runtime package's license, else the compiler's.
 */
export function runtimeLicense(compilerPath: string | undefined, runtimePackage: string, version: string): string | undefined {
  if (!compilerPath) return undefined;
  const bunPackage = path.resolve(path.dirname(compilerPath), "..");
  if (path.basename(bunPackage) !== "bun" || path.basename(path.dirname(bunPackage)) !== "node_modules") return undefined;
  for (const manifest of [path.join(path.dirname(bunPackage), ...runtimePackage.split("/"), "package.json"), path.join(bunPackage, "package.json")]) {
    try {
      const pkg = JSON.parse(readFileSync(manifest, "utf8")) as { version?: string; license?: unknown; licenses?: unknown };
      if (pkg.version === version) return licenseString(pkg.license ?? pkg.licenses);
    } catch {
      // not installed here
    }
  }
  return undefined;
}

export async function writeSboms(
  artifacts: LoadedArtifact[],
  manifest: Manifest,
  options: { distDir: string; projectDir: string; projectName: string; projectVersion?: string; lock: ToolchainLock | undefined; compilerPath?: string },
): Promise<CheckResult> {
  const { fixupSpdxId } = await import("@cyclonedx/cyclonedx-library/SPDX");
  const spdx: SpdxFixup = (id) => fixupSpdxId(id);
  const packages = new PackageIndex(options.projectDir);
  const findings: Finding[] = [];
  const outputs: string[] = [];
  const folder = path.join(options.distDir, SBOM_FOLDER);
  let written = 0;
  for (const artifact of artifacts) {
    const where = { artifact: artifact.entry.file };
    if (!artifact.exists || !artifact.sha256) {
      findings.push({ ...where, severity: "error", rule: "sbom/missing-artifact", message: "no SBOM: the executable is missing (run bun verify build)" });
      continue;
    }
    if (artifact.sha256 !== artifact.entry.sha256) {
      findings.push({
        ...where,
        severity: "error",
        rule: "sbom/stale-manifest",
        message: `no SBOM: the file's sha256 (${artifact.sha256.slice(0, 12)}…) is not the one in manifest.json (${artifact.entry.sha256.slice(0, 12)}…), so its package list is unknown; rebuild with bun verify build`,
      });
      continue;
    }
    const { bom, warnings } = buildSbom({ manifest, target: artifact.entry, sha256: artifact.sha256, projectName: options.projectName, projectVersion: options.projectVersion, packages, lock: options.lock, spdx, compilerPath: options.compilerPath });
    for (const warning of warnings) findings.push({ ...where, severity: "warning", rule: "sbom/incomplete", message: warning });
    await mkdir(folder, { recursive: true });
    const file = path.join(folder, `${artifact.entry.file}.cdx.json`);
    await writeFileAtomic(file, stableJson(bom));
    outputs.push(file);
    written++;
  }
  if (artifacts.length === 0) return notRun("sbom", "the manifest lists no artifacts");
  const packagesCount = new Set(artifacts.flatMap((a) => a.entry.packages)).size;
  return checkResult("sbom", findings, `${written} CycloneDX 1.6 SBOM(s) in ${path.relative(options.projectDir, folder) || folder}/ (${packagesCount} distinct bundled npm package(s) + the Bun runtime)`, outputs);
}
