#!/usr/bin/env bash
# Every check of the web app, in the order CI runs them; exits non-zero on any failure.
#   npm ci, the ABI drift check, the typecheck, the unit tests (vitest), the production build, its
#   first-load size, then the browser tests (headless Debian Chromium against a real devnet).
# The browser tests are skipped, with a message, only when /usr/bin/chromium (or $CHROMIUM_PATH)
# is missing and CI is not "true"; under CI=true a missing Chromium fails.
set -euo pipefail
web="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$web"

echo "== npm ci"
npm ci --no-audit --no-fund
echo "== ABI drift check (web/src/generated/abis.ts against bindings/artifacts)"
node scripts/gen-abis.mjs --check
echo "== typecheck"
npx tsc --noEmit
echo "== unit tests"
npx vitest run
echo "== production build"
npx vite build
echo "== first-load size"
node scripts/size.mjs

chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  if [ "${CI:-}" = true ]; then
    echo "CI=true but $chromium is missing: apt-get install -y chromium" >&2
    exit 1
  fi
  echo "== browser tests SKIPPED: $chromium is missing (apt-get install -y chromium to run them)"
  exit 0
fi
echo "== browser tests (devnet + headless Chromium)"
bash "$web/../tools/bootstrap.sh"   # anvil for the devnet (idempotent)
node tests/browser/run.mjs
