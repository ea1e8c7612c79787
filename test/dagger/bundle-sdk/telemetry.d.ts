// `@dagger.io/dagger/telemetry` in bundle mode: sdk/typescript/runtime/tsutils/module/telemetry.ts
// (dagger/dagger v0.21.8) exports getTracer only.
export { getTracer } from "../../../node_modules/@dagger.io/dagger/dist/src/telemetry/index.js";
