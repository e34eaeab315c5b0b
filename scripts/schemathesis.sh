#!/usr/bin/env bash
# Fuzzes the JSON API from its own OpenAPI document with schemathesis, as a signed-in city
# administrator: starts `minzheng serve --demo` on a free port over a fresh SQLite database in a
# temporary folder (or over the database given with --database-url), signs in as `admin` through
# the sign-in form, and runs every check schemathesis has for at most SCHEMATHESIS_SECONDS (default
# 180). It fails on any 5xx answer and on any answer the document does not describe (status,
# content type, headers, body). Left out is schemathesis's `positive_data_acceptance`, which wants
# every value its schema allows taken: the handlers also apply rules no JSON Schema states (an
# existing community's code, a date inside a notice's window, an ID number's check digit) and
# refuse the rest with a documented 400 in Chinese.
#
#   bash scripts/schemathesis.sh                                   # SQLite
#   bash scripts/schemathesis.sh --database-url postgres://postgres@127.0.0.1:5432/minzheng_fuzz
#
# MINZHENG_BIN names the binary (default target/debug/minzheng). Reports land in
# target/schemathesis-report/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# The pinned schemathesis, in its virtual environment (scripts/install-test-deps.sh installs it).
venv=$root/target/schemathesis
[ -x "$venv/bin/st" ] || bash scripts/install-test-deps.sh

database_args=()
if [ "${1:-}" = "--database-url" ]; then
  database_args=(--database-url "$2")
fi
bin=${MINZHENG_BIN:-$root/target/debug/minzheng}
seconds=${SCHEMATHESIS_SECONDS:-180}
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
work=$(mktemp -d)
report=$root/target/schemathesis-report
rm -rf "$report"
mkdir -p "$report"

# A MINZHENG_* setting of the caller's must not change the server (the test variables are ignored by it).
(
  cd "$work"
  for v in $(compgen -e | grep '^MINZHENG_' | grep -v '^MINZHENG_TEST_'); do unset "$v"; done
  exec "$bin" --log-format json "${database_args[@]}" serve --demo --listen "127.0.0.1:$port"
) >"$report/server.log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

for _ in $(seq 1 120); do
  curl -sf "$base/readyz" >/dev/null 2>&1 && break
  if ! kill -0 "$server" 2>/dev/null; then
    echo "minzheng exited before it was ready:" >&2
    cat "$report/server.log" >&2
    exit 1
  fi
  sleep 0.5
done
curl -sf "$base/readyz" >/dev/null

# Sign in as a browser does: the form's CSRF token with its cookie, then the session's own token
# from a page with a form.
jar=$work/cookies
form_token() { grep -o 'name="_csrf" value="[^"]*"' | head -n 1 | sed 's/.*value="\([^"]*\)"/\1/'; }
token=$(curl -sf -c "$jar" -b "$jar" "$base/sign-in" | form_token)
curl -sf -o /dev/null -c "$jar" -b "$jar" \
  --data-urlencode "username=admin" --data-urlencode "password=Minzheng-2026" \
  --data-urlencode "_csrf=$token" "$base/sign-in"
session=$(awk '$6 == "mz_session" { print $7 }' "$jar")
if [ -z "$session" ]; then
  echo "signing in as admin failed" >&2
  exit 1
fi
csrf=$(curl -sf -b "$jar" "$base/account" | form_token)

echo "$("$venv/bin/st" --version) against $base for at most ${seconds}s"
set +e
# From the report folder, where schemathesis also keeps its cache. One worker: with two threads,
# CPython 3.11's ast module (which hypothesis uses to describe its lambdas) can fail with "AST
# constructor recursion depth mismatch", a thread-safety bug of the interpreter, not of the API.
cd "$report"
MINZHENG_FUZZ_SESSION=$session MINZHENG_FUZZ_CSRF=$csrf \
  "$venv/bin/st" --config-file "$root/scripts/schemathesis.toml" run "$base/api/openapi.json" \
  --url "$base" \
  --checks all \
  --exclude-checks positive_data_acceptance \
  --max-time "$seconds" \
  --workers 1 \
  --seed 2026 \
  --request-timeout 30 \
  --no-color \
  --report junit,ndjson --report-dir "$report" \
  --suppress-health-check too_slow
status=$?
set -e
requests=$(grep -c '"message":"finished processing request"' "$report/server.log" || true)
errors=$(grep -c -E '"status":5[0-9][0-9][,}]' "$report/server.log" || true)
echo "server log: $requests requests answered, $errors of them with a 5xx status ($report/server.log)"
if [ "$status" -ne 0 ] || [ "$errors" -ne 0 ]; then
  exit 1
fi
