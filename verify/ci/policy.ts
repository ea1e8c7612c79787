// Policy: what a workflow may run, what its jobs need, how actions are pinned. Read from the
// parsed workflow (and, for pins, its text), so it holds for hand-edited workflows too.
import { commandsOf, disallowedCommand } from "./shell-commands.ts";

export interface PolicyProblem {
  job?: string;
  step?: string;
  message: string;
}

type Doc = Record<string, unknown>;
const isObject = (v: unknown): v is Doc => typeof v === "object" && v !== null && !Array.isArray(v);
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

function jobsOf(workflow: unknown): [string, Doc][] {
  if (!isObject(workflow) || !isObject(workflow.jobs)) return [];
  return Object.entries(workflow.jobs).filter((e): e is [string, Doc] => isObject(e[1]));
}

function stepsOf(job: Doc): Doc[] {
  return asList(job.steps).filter(isObject);
}

function stepName(step: Doc, index: number): string {
  return typeof step.name === "string" ? step.name : typeof step.id === "string" ? step.id : typeof step.uses === "string" ? step.uses : `step ${index + 1}`;
}

/** Every `run:` step calls only allowed commands, and never interpolates `${{ }}` into the script. */
export function checkRunSteps(workflow: unknown): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  for (const [jobId, job] of jobsOf(workflow)) {
    stepsOf(job).forEach((step, i) => {
      if (typeof step.run !== "string") return;
      const where = { job: jobId, step: stepName(step, i) };
      if (step.run.includes("${{")) {
        problems.push({ ...where, message: "interpolates ${{ }} into the script; pass the value through env: instead (script injection)" });
      }
      for (const words of commandsOf(step.run)) {
        const why = disallowedCommand(words);
        if (why) problems.push({ ...where, message: why });
      }
    });
  }
  return problems;
}

/** The values a job's `matrix.<field>` takes: from strategy.matrix (lists and include entries). */
function matrixValues(job: Doc): Record<string, string>[] {
  const strategy = isObject(job.strategy) ? job.strategy : {};
  const matrix = isObject(strategy.matrix) ? strategy.matrix : {};
  const include = asList(matrix.include).filter(isObject).map((e) => Object.fromEntries(Object.entries(e).map(([k, v]) => [k, String(v)])));
  let rows: Record<string, string>[] = [{}];
  for (const [key, values] of Object.entries(matrix)) {
    if (key === "include" || key === "exclude" || !Array.isArray(values)) continue;
    rows = rows.flatMap((row) => values.map((v) => ({ ...row, [key]: String(v) })));
  }
  const hasAxes = Object.keys(rows[0]!).length > 0;
  return hasAxes ? [...rows, ...include] : include.length > 0 ? include : [{}];
}

/** An artifact name with `${{ matrix.x }}` filled in from one matrix row; undefined if another expression is left. */
function expandName(name: string, row: Record<string, string>): string | undefined {
  const out = name.replace(/\$\{\{\s*matrix\.([A-Za-z_][\w-]*)\s*\}\}/g, (all, field: string) => row[field] ?? all);
  return out.includes("${{") ? undefined : out;
}

/** download-artifact's `pattern` (a glob; `*` is the only wildcard the workflows here use). */
function globRegExp(pattern: string): RegExp {
  const escaped = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${escaped.join(".*")}$`);
}

/**
 * The job graph: every `needs` names a job that exists; a job that downloads an artifact (by name,
 * matrix fields filled in for each matrix row, or by pattern) needs the jobs that upload it; the
 * matrix job runs on `matrix.runner` and uses only generated fields.
 */
export function checkJobs(workflow: unknown): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const jobs = jobsOf(workflow);
  if (jobs.length === 0) return [{ message: "no jobs" }];
  const ids = new Set(jobs.map(([id]) => id));
  /** artifact name -> the job that uploads it. */
  const uploaders = new Map<string, string>();
  for (const [id, job] of jobs) {
    for (const step of stepsOf(job)) {
      const name = isObject(step.with) ? step.with.name : undefined;
      if (typeof step.uses !== "string" || !step.uses.startsWith("actions/upload-artifact@") || typeof name !== "string") continue;
      for (const row of matrixValues(job)) {
        const expanded = expandName(name, row);
        if (expanded !== undefined) uploaders.set(expanded, id);
      }
    }
  }
  for (const [id, job] of jobs) {
    const needs = asList(job.needs).map(String);
    for (const need of needs) {
      if (!ids.has(need)) problems.push({ job: id, message: `needs "${need}", which is not a job in this workflow (jobs: ${[...ids].join(", ")})` });
    }
    stepsOf(job).forEach((step, index) => {
      if (typeof step.uses !== "string" || !step.uses.startsWith("actions/download-artifact@")) return;
      const input = isObject(step.with) ? step.with : {};
      const where = { job: id, step: stepName(step, index) };
      const requireUploader = (artifact: string, uploader: string | undefined) => {
        if (!uploader) problems.push({ ...where, message: `downloads artifact "${artifact}", which no job uploads` });
        else if (!transitivelyNeeds(jobs, id, uploader)) problems.push({ job: id, message: `downloads artifact "${artifact}" but does not need "${uploader}", the job that uploads it` });
      };
      if (typeof input.name === "string") {
        for (const row of matrixValues(job)) {
          const artifact = expandName(input.name, row);
          if (artifact !== undefined) requireUploader(artifact, uploaders.get(artifact));
        }
      } else if (typeof input.pattern === "string") {
        const re = globRegExp(input.pattern);
        const matching = [...uploaders].filter(([artifact]) => re.test(artifact));
        if (matching.length === 0) problems.push({ ...where, message: `downloads artifacts "${input.pattern}", which no job uploads` });
        for (const [artifact, uploader] of matching) requireUploader(artifact, uploader);
      }
    });
    if (typeof job["runs-on"] === "string" && job["runs-on"].includes("matrix.runner")) {
      const strategy = isObject(job.strategy) ? job.strategy : {};
      const matrix = isObject(strategy.matrix) ? strategy.matrix : {};
      const include = asList(matrix.include).filter(isObject);
      if (include.length === 0) problems.push({ job: id, message: "runs on matrix.runner but has no strategy.matrix.include" });
      const defined = new Set([...Object.keys(matrix).filter((k) => k !== "include" && k !== "exclude"), ...include.flatMap((e) => Object.keys(e))]);
      for (const [, field] of JSON.stringify(job).matchAll(/matrix\.([A-Za-z_][\w-]*)/g)) {
        if (!defined.has(field!)) problems.push({ job: id, message: `uses matrix.${field}, which the matrix does not define (fields: ${[...defined].join(", ")})` });
      }
    }
  }
  return dedupe(problems);
}

function transitivelyNeeds(jobs: [string, Doc][], from: string, to: string): boolean {
  const byId = new Map(jobs);
  const seen = new Set<string>();
  const queue = [from];
  while (queue.length > 0) {
    const id = queue.shift()!;
    for (const need of asList(byId.get(id)?.needs).map(String)) {
      if (need === to) return true;
      if (!seen.has(need)) {
        seen.add(need);
        queue.push(need);
      }
    }
  }
  return false;
}

function dedupe(problems: PolicyProblem[]): PolicyProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.job}\0${p.step}\0${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Every action is pinned by a full commit SHA, with a comment naming the release. */
export function checkPinnedActions(text: string): { line: number; message: string }[] {
  const problems: { line: number; message: string }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const m = /^\s*(?:-\s+)?uses:\s*["']?([^\s"'#]+)["']?\s*(#.*)?$/.exec(raw);
    if (!m) return;
    const [, ref, comment] = m;
    if (ref!.startsWith("./") || ref!.startsWith("docker://")) return;
    const at = ref!.lastIndexOf("@");
    const version = at === -1 ? "" : ref!.slice(at + 1);
    if (!/^[0-9a-f]{40}$/.test(version)) {
      problems.push({ line: i + 1, message: `${ref}: not pinned by a full commit SHA (a tag or branch can be moved)` });
    } else if (!comment || !/\S/.test(comment.slice(1))) {
      problems.push({ line: i + 1, message: `${ref}: pinned by SHA without a comment naming the release (e.g. "# v1.2.3")` });
    }
  });
  return problems;
}
