// `@dagger.io/dagger` as a module sees it in bundle mode, for `tsc -p test/dagger/tsconfig.json`:
// exactly the names of sdk/typescript/runtime/tsutils/module/index.ts (dagger/dagger v0.21.8), with
// the declarations of the pinned npm package. test/dagger/bundle-imports.test.ts holds this list
// to the one it keeps as a fact.
export {
  connection,
  connect,
  Context,
  func,
  check,
  generate,
  argument,
  object,
  field,
  enumType,
  entrypoint,
} from "../../../node_modules/@dagger.io/dagger/dist/src/index.js";

export type { ConnectOpts, CallbackFct } from "../../../node_modules/@dagger.io/dagger/dist/src/index.js";

export * from "../../../node_modules/@dagger.io/dagger/dist/src/api/client.gen.js";
