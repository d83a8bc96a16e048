#!/usr/bin/env bash
# Runs every test: the Foundry suite (unit, fuzz, invariant at the CI profile) and the Rust
# workspace (unit, property, integration and end-to-end tests against real anvil chains).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash tools/bootstrap.sh
export PATH="$root/tools/bin:$PATH"
(cd contracts && forge test)
cargo nextest run --workspace --locked --no-fail-fast
