// A generated Bun CLI with many modules, for the build benchmarks: bundling cost grows with the
// module count, while the runtime copy and the 100 MB write do not, so a project of a few
// hundred modules shows how the build scales where this repository (about 650 modules, mostly
// node_modules) and the hello fixture (one module) do not.
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * Writes `modules` TypeScript modules under dir/src (a tree: module i imports 2i+1 and 2i+2),
 * an index.ts that prints a checksum over all of them, a package.json and a targets.json for
 * the six targets of this repository. The lock is copied so the runtimes are the cached ones.
 */
export function writeGeneratedFixture(dir: string, options: { modules: number; lockFile: string; targetsFrom: { id: string; os: string; arch: string; bunTarget: string }[] }): void {
  const n = options.modules;
  mkdirSync(path.join(dir, "src"), { recursive: true });
  for (let i = 0; i < n; i++) {
    const children = [2 * i + 1, 2 * i + 2].filter((c) => c < n);
    const imports = children.map((c) => `import { value as v${c}, describe as d${c} } from "./m${c}.ts";`).join("\n");
    // A little of everything the bundler and minifier work on: types, a class, string tables, closures.
    writeFileSync(
      path.join(dir, "src", `m${i}.ts`),
      `${imports}
export interface Record${i} { id: number; name: string; tags: string[] }
const table${i}: Record${i}[] = Array.from({ length: 8 }, (_, k) => ({ id: k * ${i + 1}, name: "module ${i} entry " + k, tags: ["t${i % 7}", "k" + k] }));
export class Store${i} {
  private readonly items = new Map<number, Record${i}>();
  constructor(rows: Record${i}[]) { for (const row of rows) this.items.set(row.id, row); }
  find(id: number): Record${i} | undefined { return this.items.get(id); }
  names(): string[] { return [...this.items.values()].map((r) => r.name.toUpperCase()).sort(); }
}
export function describe(): string {
  const store = new Store${i}(table${i});
  return \`m${i}:\${store.names().length}:\${store.find(${i + 1})?.name ?? "none"}\`;
}
export const value: number = table${i}.reduce((sum, r) => sum + r.id, 0)${children.map((c) => ` + v${c} + d${c}().length`).join("")};
`,
    );
  }
  writeFileSync(path.join(dir, "index.ts"), `import { value, describe } from "./src/m0.ts";\nconsole.log(\`generated \${value} \${describe()} on \${process.platform}-\${process.arch}\`);\n`);
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "generated", version: "1.0.0", private: true, type: "module" }, null, 2) + "\n");
  writeFileSync(
    path.join(dir, "targets.json"),
    JSON.stringify(
      {
        name: "generated",
        entrypoint: "index.ts",
        outDir: "dist",
        build: { minify: true, env: { NODE_ENV: "production" } },
        targets: options.targetsFrom.map(({ id, os, arch, bunTarget }) => ({ id, os, arch, bunTarget })),
      },
      null,
      2,
    ) + "\n",
  );
  cpSync(options.lockFile, path.join(dir, "bun-runtimes.lock.json"));
}
