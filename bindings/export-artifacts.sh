#!/usr/bin/env bash
# Compiles the contracts and exports the artifacts the Rust bindings are generated from
# (ABI, creation and runtime bytecode) into bindings/artifacts.
#   bindings/export-artifacts.sh          refresh the committed artifacts
#   bindings/export-artifacts.sh --check  fail when the committed artifacts differ from a fresh compile
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/tools/bootstrap.sh"
# Interfaces: every call and event. Implementations: bytecode to deploy and initializer encoding.
# An entry is a contract name, or File:Name for a contract in a file of another name.
contracts=(IL1Bridge IOutputOracle IL2Bridge IL1RootOracle L1Bridge OutputOracle L2Bridge L1RootOracle BridgedToken TestToken TestToken:FeeOnTransferToken ERC1967Proxy SecurityCouncil)
(cd "$root/contracts" && ../tools/bin/forge build --quiet)
dest="$root/bindings/artifacts"
if [ "${1:-}" = "--check" ]; then
  dest="$(mktemp -d)"
  trap 'rm -rf "$dest"' EXIT
fi
mkdir -p "$dest"
for entry in "${contracts[@]}"; do
  file="${entry%%:*}"
  name="${entry##*:}"
  # The exact path forge writes (a search could pick a stale artifact left in another directory).
  src="$root/contracts/out/$file.sol/$name.json"
  [ -f "$src" ] || { echo "export-artifacts: no artifact for $name at $src" >&2; exit 1; }
  python3 - "$src" "$dest/$name.json" <<'PY'
import json, sys
art = json.load(open(sys.argv[1]))
out = {
    "abi": art["abi"],
    "bytecode": {"object": art["bytecode"]["object"]},
    "deployedBytecode": {"object": art["deployedBytecode"]["object"]},
}
with open(sys.argv[2], "w") as f:
    json.dump(out, f, indent=1, sort_keys=True)
    f.write("\n")
PY
done
if [ "${1:-}" = "--check" ]; then
  if ! diff -r -q "$root/bindings/artifacts" "$dest"; then
    echo "bindings/artifacts differ from a fresh compile: run bindings/export-artifacts.sh and commit" >&2
    exit 1
  fi
  echo "bindings/artifacts match a fresh compile"
fi
