// security/: six checks, each passed / failed / not run with the reason: secrets in sources,
// secrets and leaks in the artifacts, supply chain, known vulnerabilities, an SBOM and a provenance
// statement per artifact; and after parity a verification summary per artifact.
// In: Project, the artifacts in scope. Out: SecurityReport, files under <dist>/sbom and /attestations.

export { describe, runSecurityChecks, securityMarkdown, securityText } from "./checks.ts";
export { writeParityVsas } from "./provenance.ts";
export { resolveScope } from "./scope.ts";
