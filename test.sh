#!/usr/bin/env bash
# Runs every test: unit tests and HTTP integration tests, each on SQLite and PostgreSQL.
# PostgreSQL: TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).
# With CI=true a missing PostgreSQL fails the run instead of skipping its tests.
set -euo pipefail
cd "$(dirname "$0")"
pg="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
# Each test makes its own database; drop those left by earlier runs.
if command -v psql >/dev/null && psql "$pg" -Atqc 'select 1' >/dev/null 2>&1; then
  for db in $(psql "$pg" -Atqc "select datname from pg_database where datname like 'yh_test_%'"); do
    psql "$pg" -qc "drop database if exists $db with (force)" >/dev/null 2>&1 || true
  done
fi
# A streaming replica of it on 127.0.0.1:5433 for tests/replica.rs (made once with pg_basebackup).
if [ -z "${TEST_REPLICA_URL:-}" ] && [ "$(id -u)" = 0 ] && psql "$pg" -Atqc 'select 1' >/dev/null 2>&1; then
  scripts/pg-replica.sh >/dev/null || echo "could not start the PostgreSQL replica (scripts/pg-replica.sh)" >&2
fi
cargo test --locked --all-targets -- --test-threads=4
