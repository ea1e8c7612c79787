// A real OTLP/HTTP trace receiver for the tests: a node:http server on 127.0.0.1 that accepts
// POST /v1/traces as protobuf (the exporters' default, and what Dagger's endpoint takes) or JSON,
// and decodes every span with its resource. The protobuf reader covers the fields of
// opentelemetry/proto/collector/trace/v1 ExportTraceServiceRequest that the tests look at.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type AttrValue = string | number | boolean | AttrValue[] | undefined;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  attributes: Record<string, AttrValue>;
  /** 0 unset, 1 ok, 2 error */
  statusCode: number;
  statusMessage: string;
  startNs: bigint;
  endNs: bigint;
  resource: Record<string, AttrValue>;
  scope: string;
}

export interface Receiver {
  url: string;
  spans: ReceivedSpan[];
  requests: { path: string; contentType: string; bytes: number }[];
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const spans: ReceivedSpan[] = [];
  const requests: Receiver["requests"] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const contentType = String(req.headers["content-type"] ?? "");
      requests.push({ path: req.url ?? "", contentType, bytes: body.length });
      try {
        if (req.method !== "POST" || req.url !== "/v1/traces") throw new Error(`unexpected ${req.method} ${req.url}`);
        spans.push(...(contentType.includes("json") ? decodeJson(JSON.parse(body.toString("utf8"))) : decodeProtobuf(body)));
        res.writeHead(200, { "content-type": contentType.includes("json") ? "application/json" : "application/x-protobuf" });
        res.end(contentType.includes("json") ? "{}" : undefined);
      } catch (error) {
        res.writeHead(400);
        res.end(String(error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ---------------------------------------------------------------------------------------------
// OTLP/JSON

interface JsonKeyValue {
  key: string;
  value: JsonAnyValue;
}
interface JsonAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: JsonAnyValue[] };
}

function jsonValue(v: JsonAnyValue | undefined): AttrValue {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(jsonValue);
  return undefined;
}

const jsonAttrs = (list: JsonKeyValue[] | undefined) => Object.fromEntries((list ?? []).map((kv) => [kv.key, jsonValue(kv.value)]));

function decodeJson(body: {
  resourceSpans?: {
    resource?: { attributes?: JsonKeyValue[] };
    scopeSpans?: {
      scope?: { name?: string };
      spans?: { traceId: string; spanId: string; parentSpanId?: string; name: string; attributes?: JsonKeyValue[]; status?: { code?: number; message?: string }; startTimeUnixNano: string; endTimeUnixNano: string }[];
    }[];
  }[];
}): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of body.resourceSpans ?? []) {
    const resource = jsonAttrs(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? "",
          name: s.name,
          attributes: jsonAttrs(s.attributes),
          statusCode: s.status?.code ?? 0,
          statusMessage: s.status?.message ?? "",
          startNs: BigInt(s.startTimeUnixNano),
          endNs: BigInt(s.endTimeUnixNano),
          resource,
          scope: ss.scope?.name ?? "",
        });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// OTLP/protobuf: a minimal wire-format reader.

type Field = { no: number; wire: number; varint?: bigint; bytes?: Buffer; fixed?: Buffer };

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[pos++];
      if (b === undefined) throw new Error("truncated varint");
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const no = key >> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ no, wire, varint: varint() });
    else if (wire === 1) {
      out.push({ no, wire, fixed: buf.subarray(pos, pos + 8) });
      pos += 8;
    } else if (wire === 2) {
      const len = Number(varint());
      out.push({ no, wire, bytes: buf.subarray(pos, pos + len) });
      pos += len;
    } else if (wire === 5) {
      out.push({ no, wire, fixed: buf.subarray(pos, pos + 4) });
      pos += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

const all = (fs: Field[], no: number) => fs.filter((f) => f.no === no);
const one = (fs: Field[], no: number) => fs.find((f) => f.no === no);
const str = (f: Field | undefined) => (f?.bytes ? f.bytes.toString("utf8") : "");
const hex = (f: Field | undefined) => (f?.bytes ? f.bytes.toString("hex") : "");

function anyValue(buf: Buffer): AttrValue {
  const f = fields(buf)[0];
  if (!f) return undefined;
  switch (f.no) {
    case 1:
      return str(f);
    case 2:
      return f.varint === 1n;
    case 3:
      return Number(BigInt.asIntN(64, f.varint ?? 0n));
    case 4:
      return f.fixed!.readDoubleLE(0);
    case 5:
      return all(fields(f.bytes!), 1).map((v) => anyValue(v.bytes!));
    default:
      return undefined;
  }
}

function keyValues(list: Field[]): Record<string, AttrValue> {
  return Object.fromEntries(
    list.map((kv) => {
      const f = fields(kv.bytes!);
      const value = one(f, 2);
      return [str(one(f, 1)), value?.bytes ? anyValue(value.bytes) : undefined];
    }),
  );
}

export function decodeProtobuf(body: Buffer): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of all(fields(body), 1)) {
    const rsf = fields(rs.bytes!);
    const resourceField = one(rsf, 1);
    const resource = resourceField ? keyValues(all(fields(resourceField.bytes!), 1)) : {};
    for (const ss of all(rsf, 2)) {
      const ssf = fields(ss.bytes!);
      const scopeField = one(ssf, 1);
      const scope = scopeField ? str(one(fields(scopeField.bytes!), 1)) : "";
      for (const sp of all(ssf, 2)) {
        const f = fields(sp.bytes!);
        const status = one(f, 15);
        const statusFields = status ? fields(status.bytes!) : [];
        out.push({
          traceId: hex(one(f, 1)),
          spanId: hex(one(f, 2)),
          parentSpanId: hex(one(f, 4)),
          name: str(one(f, 5)),
          startNs: one(f, 7)?.fixed?.readBigUInt64LE(0) ?? 0n,
          endNs: one(f, 8)?.fixed?.readBigUInt64LE(0) ?? 0n,
          attributes: keyValues(all(f, 9)),
          statusMessage: str(one(statusFields, 2)),
          statusCode: Number(one(statusFields, 3)?.varint ?? 0n),
          resource,
          scope,
        });
      }
    }
  }
  return out;
}

/** The spans as an indented tree (name and a few attributes), for failure messages and the report. */
export function spanTree(spans: ReceivedSpan[], show: (s: ReceivedSpan) => string = () => ""): string {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, ReceivedSpan[]>();
  for (const s of spans) {
    const parent = ids.has(s.parentSpanId) ? s.parentSpanId : "";
    children.set(parent, [...(children.get(parent) ?? []), s]);
  }
  const lines: string[] = [];
  const walk = (parent: string, depth: number) => {
    for (const s of (children.get(parent) ?? []).sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : a.name.localeCompare(b.name)))) {
      const extra = show(s);
      lines.push(`${"  ".repeat(depth)}${s.name}${extra ? `  ${extra}` : ""}`);
      walk(s.spanId, depth + 1);
    }
  };
  walk("", 0);
  return lines.join("\n");
}
