// validate/: is each binary right for its target, and does it run: inspect (format, architecture,
// libc, signature, the digest the build recorded), smoke runs (natively, under qemu, or "not run:
// needs <runner>"), and the probe that finds smoke cases for init.
// In: a dist folder or files, Config. Out: InspectFacts per file, CaseResult per smoke case.

export { bunNamedBun, distItems, exitCodeOnlyCases, type InspectItem, inspectItems, smokeDist, smokeWarnings } from "./dist.ts";
export { type Claim, claimFromName, claimOfTarget, inspectBytes, type InspectFacts } from "./inspect.ts";
export { type ProbeResult, probeSourceCases, type SmokeCaseJson } from "./probe.ts";
export { type CaseResult, currentHost } from "./smoke.ts";
