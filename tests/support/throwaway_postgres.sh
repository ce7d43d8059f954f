#!/usr/bin/env bash
# Run a command with WHIPLASH_TEST_POSTGRES_URL naming a throwaway PostgreSQL server:
# Debian's postgresql package, a fresh cluster in a temporary folder, reachable only on
# its Unix socket, deleted when the command ends. `make test-postgres` uses it.
set -euo pipefail
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
    echo "PostgreSQL is not installed: apt-get install postgresql (Debian's package)" >&2
    exit 2
fi
DIR=$(mktemp -d)
PORT=${WHIPLASH_TEST_POSTGRES_PORT:-54329}
as_owner() {  # the server refuses to run as root: use Debian's postgres user then
    if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi
}
if [ "$(id -u)" = 0 ]; then chown postgres "$DIR"; fi
stop() {
    as_owner "'$BIN/pg_ctl' -D '$DIR/db' -m immediate stop" >/dev/null 2>&1 || true
    rm -rf "$DIR"
}
trap stop EXIT
as_owner "'$BIN/initdb' -D '$DIR/db' -A trust -U whiplash -E UTF8 --no-sync" >/dev/null
as_owner "'$BIN/pg_ctl' -D '$DIR/db' -l '$DIR/server.log' -w \
    -o \"-k '$DIR' -p $PORT -c listen_addresses='' -c fsync=off\" start" >/dev/null
as_owner "'$BIN/createdb' -h '$DIR' -p $PORT -U whiplash whiplash"
export WHIPLASH_TEST_POSTGRES_URL="postgresql+psycopg://whiplash@/whiplash?host=$DIR&port=$PORT"
"$@"
