#!/usr/bin/env bash
# The duplicate-lookup benchmark against a throwaway PostgreSQL on 127.0.0.1:54340 (see run_pg.sh).
# Extra arguments go to bench/duplicates.py, e.g. bench/run_pg_duplicates.sh --orders 1000000
exec env BENCH=bench/duplicates.py PGPORT=54340 "$(dirname "$0")/run_pg.sh" "$@"
