#!/usr/bin/env bash
# Run a benchmark against a throwaway PostgreSQL on loopback (stopped and removed afterwards).
# Extra arguments go to the benchmark, e.g. bench/run_pg.sh --clients 32 --orders 5000.
# BENCH (default bench/intake.py) and PGPORT (default 54330) choose another benchmark and port.
# Needs Debian's postgresql package; as root, the server runs as the postgres user.
# The benchmark gets the server's data directory, binaries, user, port and options (BENCH_PG_*), so a fault benchmark
# (bench/load_mixed.py --faults) can kill -9 it and start it again exactly as started here.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
BENCH=${BENCH:-bench/intake.py}
PGPORT=${PGPORT:-54330}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGDIR=$(mktemp -d /tmp/bench-pg.XXXXXX)
RUN=()
if [ "$(id -u)" = 0 ]; then
  chown postgres:postgres "$PGDIR"
  RUN=(runuser -u postgres --)
fi
chmod 700 "$PGDIR"
PG_SERVER_OPTIONS="-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGDIR -c max_connections=200 -c shared_buffers=256MB"
export BENCH_PG_DATA="$PGDIR/data" BENCH_PG_BIN="$PGBIN" BENCH_PG_PORT="$PGPORT" BENCH_PG_OPTIONS="$PG_SERVER_OPTIONS"
export BENCH_PG_LOG="$PGDIR/log" BENCH_PG_AS="${RUN:+postgres}"
trap '"${RUN[@]}" "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$PGDIR"' EXIT
"${RUN[@]}" "$PGBIN/initdb" -D "$PGDIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
# Durable settings (fsync on): a benchmark of a production-like server, unlike CI's throwaway test database.
"${RUN[@]}" "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w -t 60 \
  -o "$PG_SERVER_OPTIONS" start >/dev/null
"${RUN[@]}" "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres govdesk_bench
DATABASE_URL=postgres://postgres@127.0.0.1:$PGPORT/govdesk_bench "$PY" "$BENCH" --db postgres "$@"
