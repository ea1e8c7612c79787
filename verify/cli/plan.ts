// `bun verify plan`: print the exact argv and environment per target, nothing is run.
import { buildPlan, type BuildPlan } from "../plan/index.ts";
import { selectTargets } from "../config/index.ts";
import { stableJson } from "../digest/index.ts";
import { formatTable } from "../report/index.ts";
import { runtimeCachePath, loadProject } from "../toolchain/index.ts";
import type { Io } from "../io.ts";

export interface PlanFlags {
  config?: string;
  target?: string[];
  out?: string;
  json?: boolean;
}

export async function planFor(io: Io, flags: PlanFlags) {
  const project = await loadProject(io, flags.config);
  const options: Parameters<typeof buildPlan>[1] = {
    bunVersion: project.compiler.version,
    runtimePathFor: (runtime) => runtimeCachePath(project.cacheDir, runtime),
    targets: selectTargets(project.config, flags.target),
  };
  if (flags.out) options.outDir = flags.out;
  const plan = buildPlan(project.config, options);
  // What this Bun cannot do that the defaults ask for (bun-versions.ts): said on every plan and build.
  for (const note of plan.notes) io.stderr.write(`warning: ${note}\n`);
  return { project, plan };
}

export async function runPlan(io: Io, flags: PlanFlags): Promise<number> {
  const { project, plan } = await planFor(io, flags);
  if (flags.json) {
    io.stdout.write(stableJson({ compiler: project.compiler, ...plan }));
    return 0;
  }
  io.stdout.write(formatPlan(plan, project.compiler.path));
  return 0;
}

export function formatPlan(plan: BuildPlan, compilerPath: string): string {
  let out = `Plan for ${plan.name} (${plan.entrypoint}) with Bun ${plan.bunVersion}, into ${plan.outDir}\n\n`;
  if (plan.prepare.length > 0) {
    out += "Before compiling (build.prepare, once, in the project folder, node_modules/.bin first on PATH):\n";
    for (const step of plan.prepare) out += `  ${typeof step.run === "string" ? step.run : step.run.map((a) => JSON.stringify(a)).join(" ")}\n`;
    out += "\n";
  }
  out += formatTable(
    ["target", "bun target", "runtime package", "output"],
    plan.targets.map((t) => [t.target.id, t.target.bunTarget, `${t.runtime.name}@${t.runtime.version}`, t.outputFile]),
  );
  for (const t of plan.targets) {
    out += `\n${t.target.id}:\n  cd ${t.cwd}\n  env ${Object.entries(t.env).map(([k, v]) => `${k}=${v}`).join(" ")} (BUN_* and NODE_OPTIONS removed)\n`;
    out += `  ${compilerPath} ${t.argv.join(" ")}\n  then rename ${t.stagedFile} -> ${t.outputFile}\n`;
  }
  return out;
}
