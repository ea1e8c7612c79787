// Schema validators for the security outputs: the official CycloneDX 1.6 JSON schema (with the
// SPDX and JSF schemas it references) as shipped by @cyclonedx/cyclonedx-library, and the
// in-toto Statement / SLSA provenance / SLSA VSA schemas in test/schemas/ (written from the specs,
// see their $comment).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { REPO } from "../helpers.ts";

const require = createRequire(import.meta.url);
// ajv-formats is CommonJS with `exports.default`; under ESM interop the function may sit one level down.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
}

const CYCLONEDX_DIR = path.join(path.dirname(require.resolve("@cyclonedx/cyclonedx-library/package.json")), "res", "schema");

let cyclonedx: ValidateFunction | undefined;

/** The CycloneDX 1.6 JSON schema validator (draft-07), refs resolved locally, no network. */
export function cyclonedx16(): ValidateFunction {
  if (cyclonedx) return cyclonedx;
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    // The bom schema refs "spdx.SNAPSHOT.schema.json" and "jsf-0.82.SNAPSHOT.schema.json" relative
    // to its $id; register them under those URLs (as the library's own validator does).
    schemas: {
      "http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json": readJson(path.join(CYCLONEDX_DIR, "spdx.SNAPSHOT.schema.json")),
      "http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json": readJson(path.join(CYCLONEDX_DIR, "jsf-0.82.SNAPSHOT.schema.json")),
      "http://cyclonedx.org/schema/cryptography-defs.SNAPSHOT.schema.json": readJson(path.join(CYCLONEDX_DIR, "cryptography-defs.SNAPSHOT.schema.json")),
    },
  });
  addFormats(ajv);
  ajv.addFormat("idn-email", /^[^\s@]+@[^\s@]+$/);
  ajv.addFormat("iri-reference", true);
  cyclonedx = ajv.compile(readJson(path.join(CYCLONEDX_DIR, "bom-1.6.SNAPSHOT.schema.json")));
  return cyclonedx;
}

const SCHEMAS = path.join(REPO, "test", "schemas");
let attestations: Ajv | undefined;

/** Validators for test/schemas/*.schema.json: statement, provenance, vsa. */
export function attestationSchema(name: "in-toto-statement-v1" | "slsa-provenance-v1" | "slsa-vsa-v1"): ValidateFunction {
  if (!attestations) {
    // strictSchema: an unknown keyword (a typo in our schemas) is an error. required-in-anyOf and
    // type-less subschemas are how the specs' "one of uri, digest or content" reads, so those
    // two strict checks are off.
    attestations = new Ajv({ strictSchema: true, strictTuples: true, strictRequired: false, strictTypes: false, allErrors: true });
    addFormats(attestations);
    for (const file of ["in-toto-statement-v1", "slsa-provenance-v1", "slsa-vsa-v1"]) attestations.addSchema(readJson(path.join(SCHEMAS, `${file}.schema.json`)));
  }
  const validate = attestations.getSchema(`https://github.com/bun-parity/bun-parity/test/schemas/${name}.schema.json`);
  if (!validate) throw new Error(`schema ${name} not registered`);
  return validate;
}

/** Readable ajv errors for an assertion message. */
export function schemaErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""} ${JSON.stringify(e.params)}`).join("\n");
}
