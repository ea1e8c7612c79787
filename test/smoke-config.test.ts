// The smoke fields of targets.json (compare, normalize, ignore, stdin, cwd, files): defaults,
// and rejections that name the file, the JSON path, what was expected and what to do.
import { describe, expect, it } from "vitest";
import { type Config, parseConfig } from "../verify/config/index.ts";
import { ConfigError } from "../verify/errors.ts";

const FILE = "/work/app/targets.json";

function parse(smoke: object[]): Config {
  const text = JSON.stringify({ name: "app", entrypoint: "src/cli.ts", targets: [{ id: "linux-x64", os: "linux", arch: "x64" }], smoke }, null, 2);
  return parseConfig(text, FILE, { bunVersion: "1.4.5" });
}

function rejection(smoke: object[]): ConfigError {
  try {
    parse(smoke);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected the config to be rejected");
}

describe("smoke case fields", () => {
  it("fills the compare defaults and keeps stdin, cwd and files", () => {
    const [c] = parse([{ name: "v", args: ["--version"], compare: "source", stdin: "x\n", cwd: "test/smoke/./data/", files: ["out\\report.txt"] }]).smoke;
    expect(c).toEqual({
      name: "v", args: ["--version"], exitCode: 0, env: {}, timeoutMs: 15_000,
      compare: "source", normalize: ["program", "cwd", "stack"], ignore: [], stdin: "x\n", cwd: "test/smoke/data", files: ["out/report.txt"],
    });
  });

  it("allows patterns beside compare: both are checked", () => {
    const [c] = parse([{ name: "v", args: [], compare: "source", stdout: "^v\\d" }]).smoke;
    expect(c).toMatchObject({ compare: "source", stdout: "^v\\d" });
  });

  it("rejects a compare value other than source", () => {
    const error = rejection([{ name: "v", args: [], compare: "binary" }]);
    expect(error.jsonPath).toBe("$.smoke[0].compare");
    expect(error.message).toContain(`expected one of: "source"`);
  });

  it("rejects normalize and ignore without compare", () => {
    const error = rejection([{ name: "v", args: [], normalize: ["program"] }]);
    expect(error.jsonPath).toBe("$.smoke[0].normalize");
    expect(error.message).toContain('"normalize" without "compare"');
    expect(error.fix).toBe('Add "compare": "source" to this case, or remove "normalize".');
    expect(error.line).toBeGreaterThan(1);
    expect(rejection([{ name: "v", args: [], ignore: ["x"] }]).jsonPath).toBe("$.smoke[0].ignore");
  });

  it("rejects an unknown normalization and an ignore pattern that is not a regular expression", () => {
    expect(rejection([{ name: "v", args: [], compare: "source", normalize: ["paths"] }]).jsonPath).toBe("$.smoke[0].normalize[0]");
    const error = rejection([{ name: "v", args: [], compare: "source", ignore: ["("] }]);
    expect(error.jsonPath).toBe("$.smoke[0].ignore[0]");
    expect(error.message).toContain("expected a JavaScript regular expression");
  });

  it("rejects a cwd outside the project, and the project itself", () => {
    for (const cwd of ["../elsewhere", "/tmp/data", "C:\\data", "data/../../x"]) {
      const error = rejection([{ name: "v", args: [], cwd }]);
      expect(error.jsonPath).toBe("$.smoke[0].cwd");
      expect(error.message).toContain("is outside the project");
    }
    const root = rejection([{ name: "v", args: [], cwd: "./" }]);
    expect(root.message).toContain('"./" is the project itself');
    expect(root.fix).toContain("would hide the working-folder reads");
  });

  it("rejects files outside the working folder", () => {
    const error = rejection([{ name: "v", args: [], files: ["ok.txt", "../escape.txt"] }]);
    expect(error.jsonPath).toBe("$.smoke[0].files[1]");
    expect(error.message).toContain('"../escape.txt" is outside the working folder');
  });

  it("rejects a stdin that is not text", () => {
    expect(rejection([{ name: "v", args: [], stdin: ["a"] }]).jsonPath).toBe("$.smoke[0].stdin");
  });
});
