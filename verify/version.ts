// The tool's own name and version, from package.json (bundled into the compiled executable).
import pkg from "../package.json" with { type: "json" };

export const TOOL_NAME: string = pkg.name;
export const TOOL_VERSION: string = pkg.version;
