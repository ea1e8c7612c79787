# bun-parity: every recipe is a thin call of `bun verify ...` or the test runner.
# The logic lives in verify/; CI (the Dagger module) runs these same recipes.

set shell := ["bash", "-euo", "pipefail", "-c"]

# The pinned bun and just from node_modules come first (Windows separates PATH entries with ';').
export PATH := justfile_directory() / "node_modules" / ".bin" + (if os_family() == "windows" { ";" } else { ":" }) + env_var("PATH")

# List the recipes
default:
    @just --list

# Build one target from targets.json into dist/ (e.g. `just build linux-x64`)
build TARGET:
    bun verify build --target {{TARGET}}

# Build every target in targets.json into dist/, with SHA256SUMS and manifest.json
build-all:
    bun verify build

# Run the test suite (vitest, real builds)
test:
    vitest run

# Lint: ESLint, the TypeScript type check, and the workflow against targets.json (actionlint)
lint: typecheck
    eslint .
    bun verify ci --check

# Type-check the whole project, and the Dagger module against the SDK as bundle mode exports it
typecheck:
    tsc --noEmit
    tsc -p test/dagger/tsconfig.json

# Prove the native build equals the reference build, bit for bit
parity *ARGS:
    bun verify parity {{ARGS}}

# Run the smoke cases from targets.json on every artifact this host can execute
smoke *ARGS:
    bun verify smoke {{ARGS}}

# Security scan: secrets, leaks inside the artifacts, supply chain, audit
security *ARGS:
    bun verify security {{ARGS}}

# Wrap the executables into reproducible release archives (listed in SHA256SUMS)
package *ARGS:
    bun verify package {{ARGS}}

# Remove build outputs
clean:
    rm -rf dist
