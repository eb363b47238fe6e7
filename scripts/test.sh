#!/bin/sh
# Every check Verity has: types, lint and format, then all tests (unit, property, integration
# against SQLite and PostgreSQL, CLI end to end). PostgreSQL must be reachable at
# $VERITY_TEST_PG (default postgres://postgres@127.0.0.1:5432/test); .ci/run starts it if down.
set -eu
root=$(dirname "$(dirname "$(readlink -f "$0")")")
cd "$root"
echo "== typecheck (tsc)"
node_modules/.bin/tsc -p .
node_modules/.bin/tsc -p src/web
echo "== lint and format (biome)"
node_modules/.bin/biome check --diagnostic-level=error .
echo "== tests (node --test)"
exec sh scripts/node.sh --test --test-concurrency=2 --test-timeout=300000 "src/**/*.test.ts" "test/**/*.test.ts"
