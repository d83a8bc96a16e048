#!/usr/bin/env bash
# The main job: a local Drawbridge devnet (two anvil chains, every contract, a relayer).
#   bash scripts/devnet.sh           run until Ctrl-C, printing what to try next
#   bash scripts/devnet.sh --demo    start it, run a scripted round trip you can watch, stop it
# Extra arguments go to drawbridge-devnet (see `target/debug/drawbridge-devnet --help`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash tools/bootstrap.sh
echo "building (the first build takes a few minutes)..."
cargo build -q -p drawbridge-devnet -p drawbridge-relayer -p drawbridge-cli

if [ "${1:-}" != "--demo" ]; then
  exec target/debug/drawbridge-devnet "$@"
fi
shift
state="$root/.devnet"
log="$(mktemp)"
target/debug/drawbridge-devnet --state-dir "$state" "$@" >"$log" 2>&1 &
devnet=$!
trap 'kill -TERM $devnet 2>/dev/null; wait $devnet 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 120); do
  [ -f "$state/deployment.json" ] && break
  kill -0 $devnet 2>/dev/null || { cat "$log"; echo "the devnet failed to start" >&2; exit 1; }
  sleep 0.5
done
[ -f "$state/deployment.json" ] || { cat "$log"; echo "the devnet did not come up in 60 s" >&2; exit 1; }
sleep 0.5
cat "$log"
DRAWBRIDGE_DEPLOYMENT="$state/deployment.json" bash scripts/demo.sh
