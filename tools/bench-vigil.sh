#!/usr/bin/env bash
# Runs the shared load harness (../shared/bench/run.sh) against a release build of Vigil on a
# throwaway SQLite database (synchronous=FULL, Vigil's default). Build first:
#   swift build -c release --product vigil
# Then: tools/bench-vigil.sh   (and ../shared/bench/run.sh peer-sqlite right after, for the peer)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=${BENCH:-$ROOT/../shared/bench/run.sh}
VIGIL=$ROOT/.build/release/vigil
DATA=$(mktemp -d /tmp/vigil-bench-db.XXXXXX)
export VIGIL_DATABASE_URL="sqlite:$DATA/vigil.sqlite" VIGIL_PORT=${VIGIL_PORT:-18090} VIGIL_LOG_LEVEL=warning
VIGIL_JWT_SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
export VIGIL_JWT_SECRET
"$VIGIL" migrate >/dev/null 2>&1
"$VIGIL" serve >"$DATA/serve.log" 2>&1 &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DATA"' EXIT
sleep 2
USERS_CMD="$VIGIL users add --username {user} --role patient" TARGET_SQLITE_SYNC=FULL \
  bash "$BENCH" "url=http://127.0.0.1:$VIGIL_PORT"
