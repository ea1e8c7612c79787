// The OpenTelemetry side of traces.ts, loaded with import() only when an OTLP endpoint is set.
// Official packages: the W3C propagator reads TRACEPARENT/TRACESTATE, the resource carries the
// service, VCS and CI facts plus OTEL_RESOURCE_ATTRIBUTES / OTEL_SERVICE_NAME, and spans are sent
// over OTLP/HTTP as protobuf (the default, and what Dagger's in-container endpoint accepts) or JSON.
import { existsSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  type Context,
  type Span as OtelSpan,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace,
} from "@opentelemetry/api";
import { ExportResultCode, W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtobufExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { detectResources, envDetector, resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import type { Attributes, StartOptions, TracesConfig, Tracing, TracingSpan } from "./span.ts";
import { TOOL_NAME, TOOL_VERSION } from "../version.ts";

/** Instrumentation scope name of every span. */
export const SCOPE = "bun-parity";
const DEFAULT_TIMEOUT_MS = 5000;

export async function createTracing(config: TracesConfig, options: StartOptions): Promise<Tracing> {
  const { env } = options;
  const resource = resourceFromAttributes(clean({
    [ATTR_SERVICE_NAME]: TOOL_NAME,
    [ATTR_SERVICE_VERSION]: TOOL_VERSION,
    "process.runtime.name": (globalThis as { Bun?: unknown }).Bun ? "bun" : "nodejs",
    "process.runtime.version": (globalThis as { Bun?: { version: string } }).Bun?.version ?? process.versions.node,
    "process.pid": process.pid,
    "host.arch": process.arch,
    "os.type": process.platform,
    "host.name": os.hostname(),
    ...vcsAttributes(env, options.cwd),
    ...ciAttributes(env),
  })).merge(detectResources({ detectors: [envDetector] })); // OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME win

  // A CLI should not hang at exit when the collector is down: 5 s per export (retries included)
  // unless OTEL_EXPORTER_OTLP_(TRACES_)TIMEOUT says otherwise (the SDK's own default is 10 s).
  const envTimeout = Number(env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT || env.OTEL_EXPORTER_OTLP_TIMEOUT) || undefined;
  const exporterConfig = envTimeout ? { url: config.url } : { url: config.url, timeoutMillis: DEFAULT_TIMEOUT_MS };
  const inner = config.protocol === "http/json" ? new JsonExporter(exporterConfig) : new ProtobufExporter(exporterConfig);
  let warned = false;
  const exporter: SpanExporter = {
    export(spans: ReadableSpan[], done) {
      inner.export(spans, (result) => {
        if (result.code !== ExportResultCode.SUCCESS && !warned) {
          warned = true;
          options.warn(`could not export traces to ${config.url}: ${result.error?.message ?? "export failed"}`);
        }
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush(),
  };
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
  const tracer = provider.getTracer(SCOPE, TOOL_VERSION);

  const propagator = new W3CTraceContextPropagator();
  const rootContext: Context = env.TRACEPARENT
    ? propagator.extract(ROOT_CONTEXT, { traceparent: env.TRACEPARENT, tracestate: env.TRACESTATE ?? "" }, defaultTextMapGetter)
    : ROOT_CONTEXT;

  const wrap = (span: OtelSpan): TracingSpan & { otel: OtelSpan } => ({
    otel: span,
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    setAttributes: (attributes) => void span.setAttributes(clean(attributes)),
    fail(reason) {
      if (reason instanceof Error) span.recordException(reason);
      const message = (reason instanceof Error ? reason.message : String(reason)).split("\n")[0]!;
      span.setStatus({ code: SpanStatusCode.ERROR, message });
    },
    end: () => span.end(),
    carrier() {
      const carrier: Record<string, string> = {};
      propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, defaultTextMapSetter);
      const out: Record<string, string> = {};
      if (carrier.traceparent) out.TRACEPARENT = carrier.traceparent;
      if (carrier.tracestate) out.TRACESTATE = carrier.tracestate;
      return out;
    },
  });

  return {
    startSpan(name, attributes, parent) {
      const context = parent ? trace.setSpan(ROOT_CONTEXT, (parent as TracingSpan & { otel: OtelSpan }).otel) : rootContext;
      return wrap(tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes: clean(attributes) }, context));
    },
    async shutdown() {
      // The exporter gives up after its timeout; never wait much longer than that.
      const limit = envTimeout ?? DEFAULT_TIMEOUT_MS;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          options.warn(`gave up exporting traces to ${config.url} after ${limit + 1000} ms`);
          resolve();
        }, limit + 1000);
        timer.unref?.();
      });
      await Promise.race([provider.shutdown().catch((error: Error) => options.warn(`could not export traces: ${error.message}`)), timeout]);
      clearTimeout(timer);
    },
  };
}

function clean(attributes: Attributes): Record<string, string | number | boolean | string[]> {
  const out: Record<string, string | number | boolean | string[]> = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) out[key] = value;
  return out;
}

/** Where the sources come from (OTel VCS semantic conventions): from GitHub Actions, else from git. */
function vcsAttributes(env: NodeJS.ProcessEnv, cwd: string): Attributes {
  if (env.GITHUB_REPOSITORY && env.GITHUB_SHA) {
    return {
      "vcs.repository.url.full": `${env.GITHUB_SERVER_URL ?? "https://github.com"}/${env.GITHUB_REPOSITORY}`,
      "vcs.ref.head.revision": env.GITHUB_SHA,
      "vcs.ref.head.name": env.GITHUB_HEAD_REF || env.GITHUB_REF_NAME,
      "vcs.ref.head.type": env.GITHUB_REF_TYPE === "tag" ? "tag" : "branch",
    };
  }
  const repo = readGit(cwd);
  if (!repo) return {};
  return {
    "vcs.ref.head.revision": repo.revision,
    "vcs.ref.head.name": repo.branch,
    "vcs.ref.head.type": repo.branch ? "branch" : undefined,
    // Never export credentials embedded in a remote URL.
    "vcs.repository.url.full": repo.remote?.replace(/^(https?:\/\/)[^@/]*@/, "$1"),
  };
}

/**
 * HEAD's commit, branch and origin URL, read from the .git folder (no git process: this runs at
 * every start with tracing on). Worktrees (.git file) and packed refs are understood.
 */
export function readGit(cwd: string): { revision: string; branch?: string; remote?: string } | undefined {
  try {
    let dir = path.resolve(cwd);
    while (!existsSync(path.join(dir, ".git"))) {
      if (path.dirname(dir) === dir) return undefined;
      dir = path.dirname(dir);
    }
    let gitDir = path.join(dir, ".git");
    if (statSync(gitDir).isFile()) gitDir = path.resolve(dir, readFileSync(gitDir, "utf8").replace(/^gitdir:\s*/, "").trim());
    const commonDir = existsSync(path.join(gitDir, "commondir")) ? path.resolve(gitDir, readFileSync(path.join(gitDir, "commondir"), "utf8").trim()) : gitDir;
    const head = readFileSync(path.join(gitDir, "HEAD"), "utf8").trim();
    const ref = /^ref: (.+)$/.exec(head)?.[1];
    let revision = ref ? undefined : head;
    if (ref) {
      const loose = path.join(commonDir, ref);
      if (existsSync(loose)) revision = readFileSync(loose, "utf8").trim();
      else if (existsSync(path.join(commonDir, "packed-refs"))) {
        revision = readFileSync(path.join(commonDir, "packed-refs"), "utf8").split("\n").find((l) => l.endsWith(` ${ref}`))?.split(" ")[0];
      }
    }
    if (!revision || !/^[0-9a-f]{40,64}$/.test(revision)) return undefined;
    const config = existsSync(path.join(commonDir, "config")) ? readFileSync(path.join(commonDir, "config"), "utf8") : "";
    const origin = /\[remote "origin"\]([^[]*)/.exec(config)?.[1];
    const remote = origin ? /^\s*url\s*=\s*(.+)$/m.exec(origin)?.[1]?.trim() : undefined;
    const out: { revision: string; branch?: string; remote?: string } = { revision };
    if (ref?.startsWith("refs/heads/")) out.branch = ref.slice("refs/heads/".length);
    if (remote) out.remote = remote;
    return out;
  } catch {
    return undefined;
  }
}

/** The CI run (OTel CICD semantic conventions), on GitHub Actions. */
function ciAttributes(env: NodeJS.ProcessEnv): Attributes {
  if (env.GITHUB_ACTIONS === "true") {
    const repo = `${env.GITHUB_SERVER_URL ?? "https://github.com"}/${env.GITHUB_REPOSITORY ?? ""}`;
    const attempt = env.GITHUB_RUN_ATTEMPT ? `/attempts/${env.GITHUB_RUN_ATTEMPT}` : "";
    return {
      "cicd.pipeline.name": env.GITHUB_WORKFLOW,
      "cicd.pipeline.run.id": env.GITHUB_RUN_ID,
      "cicd.pipeline.run.url.full": env.GITHUB_RUN_ID ? `${repo}/actions/runs/${env.GITHUB_RUN_ID}${attempt}` : undefined,
      "cicd.pipeline.task.name": env.GITHUB_JOB,
      "cicd.worker.name": env.RUNNER_NAME,
    };
  }
  return {};
}
