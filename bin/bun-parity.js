#!/usr/bin/env node
// The `bun-parity` command of the npm package: the compiled CLI (lib/, built by `npm run
// build:lib` before packing), run by Node or Bun. In this repository use `bun verify <command>`.
import process from "node:process";
import { main } from "../lib/cli.js";

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
  env: process.env,
});
