#!/usr/bin/env bash
# The test command: every Rust test, then the API fuzzed from its OpenAPI document (schemathesis, a
# few minutes), then the browser journeys in headless Chromium.
# Database tests run on SQLite; set MINZHENG_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres
# to run each of them on PostgreSQL as well (each test creates and drops its own database).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
cargo test --workspace --locked
cargo build --locked --bin minzheng
bash scripts/schemathesis.sh
(cd tests/browser && MINZHENG_BIN="$PWD/../../target/debug/minzheng" npm test)
