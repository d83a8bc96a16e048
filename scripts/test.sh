#!/usr/bin/env bash
# Runs every test: the Foundry suite (unit, fuzz, invariant at the CI profile), the web app (unit and
# headless-browser tests) and the Rust workspace (unit, property and integration tests against real
# anvil chains, SQLite and PostgreSQL).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash tools/bootstrap.sh
export PATH="$root/tools/bin:$PATH"

# PostgreSQL for the relayer's tests: unless DRAWBRIDGE_TEST_POSTGRES_URL names a server, start a
# throwaway one (its own data directory under /tmp, a free local port, trust authentication, no
# fsync) when PostgreSQL is installed, and stop it on exit. Without a server the PostgreSQL tests
# skip, except under CI=true, where they fail.
if [ -z "${DRAWBRIDGE_TEST_POSTGRES_URL:-}" ]; then
  pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ] && [ -x "$pg_bin/pg_ctl" ]; then
    pg_dir="$(mktemp -d /tmp/drawbridge-pg.XXXXXX)"
    pg_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    as_pg() {
      # initdb refuses to run as root: run the server as the postgres user then.
      if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
    }
    if [ "$(id -u)" = 0 ]; then chown postgres "$pg_dir"; fi
    stop_postgres() {
      as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
      rm -rf "$pg_dir"
    }
    trap stop_postgres EXIT
    as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U drawbridge -A trust --locale=C -E UTF8 >"$pg_dir/initdb.log" 2>&1 \
      || { cat "$pg_dir/initdb.log"; exit 1; }
    as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
      -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start >/dev/null \
      || { cat "$pg_dir/server.log"; exit 1; }
    export DRAWBRIDGE_TEST_POSTGRES_URL="postgres://drawbridge@127.0.0.1:$pg_port/postgres"
    echo "PostgreSQL for the tests: $DRAWBRIDGE_TEST_POSTGRES_URL"
  elif [ "${CI:-}" = true ]; then
    echo "CI=true but PostgreSQL is not installed and DRAWBRIDGE_TEST_POSTGRES_URL is unset" >&2
    exit 1
  fi
fi

(cd contracts && forge test)
# The web app: ABI drift check, typecheck, unit tests, build and size, then browser tests in headless
# Chromium against a devnet of its own.
bash web/scripts/test.sh
cargo nextest run --workspace --locked --no-fail-fast
