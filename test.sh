#!/usr/bin/env bash
# Runs every test: unit tests and HTTP integration tests, each on SQLite and PostgreSQL.
# PostgreSQL: TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).
# With CI=true a missing PostgreSQL fails the run instead of skipping its tests.
set -euo pipefail
cd "$(dirname "$0")"
cargo test --locked --all-targets -- --test-threads=4
