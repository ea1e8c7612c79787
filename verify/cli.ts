#!/usr/bin/env bun
// Where `bun verify <command>` (package.json "verify" script) and the npm package's bin
// (bin/bun-parity.js runs lib/cli.js, compiled from this file) start. The command table and
// one file per command are in cli/.
import { main } from "./cli/index.ts";

export { main };

const isEntry = (import.meta as { main?: boolean }).main ?? (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href);
if (isEntry) {
  process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env });
}
