#!/usr/bin/env bash
# Installs the pinned EVM toolchain (anvil, forge, cast, solcjs, OpenZeppelin) from the npm registry
# into tools/node_modules and links the binaries into tools/bin. Idempotent: when the installed tree
# already matches package-lock.json it does nothing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
stamp="node_modules/.drawbridge-lock.sha256"
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x bin/forge ]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
mkdir -p bin
for tool in anvil cast forge; do
  ln -sf "../node_modules/@foundry-rs/${tool}-linux-amd64/bin/${tool}" "bin/${tool}"
done
ln -sf ../solc bin/solc
echo "$want" > "$stamp"
echo "toolchain: $(bin/forge --version | head -1), $(bin/anvil --version | head -1), solc $(bin/solc --version | tail -1)"
