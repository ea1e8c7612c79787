// Adds lockfile entries for platform packages that a dependency lists as optional but that the
// registry this lockfile was made against did not serve (here: rust-just's non-linux-x64
// binaries). Without them `npm ci` stops with "Missing: rust-just-darwin-arm64@ from lock file",
// and on macOS/Windows/arm64 no `just` binary would be installed. The entries carry version,
// os and cpu (from the package name) but no integrity: npm then fetches them by name@version.
// Run after `npm install` on a machine whose registry lacks them:
//   node scripts/lock-optional-platforms.mjs [path/to/package-lock.json]
import { readFileSync, writeFileSync } from "node:fs";
import console from "node:console";
import process from "node:process";
import { URL } from "node:url";

const LOCK = process.argv[2] ?? new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(LOCK, "utf8"));
const OS = { darwin: "darwin", linux: "linux", windows: "win32", win32: "win32" };
const CPU = { x64: "x64", arm64: "arm64", arm: "arm", armv7: "arm", loong64: "loong64", riscv64: "riscv64" };
let added = 0;
for (const [key, entry] of Object.entries(lock.packages)) {
  if (key !== "node_modules/rust-just") continue;
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const path = `node_modules/${name}`;
    if (lock.packages[path]) continue;
    const [, os, cpu] = /-(darwin|linux|windows|win32)-([a-z0-9]+)$/.exec(name) ?? [];
    if (!os || !CPU[cpu]) throw new Error(`cannot tell the platform of ${name}`);
    lock.packages[path] = { version, cpu: [CPU[cpu]], dev: entry.dev, license: entry.license, optional: true, os: [OS[os]] };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))));
writeFileSync(LOCK, JSON.stringify(lock, null, 2) + "\n");
console.log(`added ${added} lockfile entries`);
