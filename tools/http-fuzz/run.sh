#!/usr/bin/env bash
# HTTP fuzz campaign against a fresh Vigil server.
#
#   VIGIL_BIN=.build/release/vigil tools/http-fuzz/run.sh [fuzz.py options…]
#
# Environment:
#   VIGIL_BIN            a built `vigil` executable (required)
#   VIGIL_DATABASE_URL   postgres://… to fuzz on PostgreSQL (default: SQLite in a temporary data dir)
#   FUZZ_REQUESTS        requests in the campaign (default 100000)
#   FUZZ_SECONDS         time budget of the campaign in seconds (default 0 = none)
#   FUZZ_KEEP=1          keep the temporary directory (data, server log) also when everything passed
#   VIGIL_BCRYPT_COST    default 4 here (every fuzzed login hashes a password)
#   VIGIL_ACCESS_TOKEN_TTL  default 86400 here, so the role tokens outlive the campaign
#
# Starts `vigil serve` on a free loopback port, creates one user per role with `vigil users add`,
# seeds grants and samples through the API (`fuzz.py --prepare`), runs fuzz.py with the given options,
# checks that the server process is still alive, stops it (SIGTERM) and exits with fuzz.py's status
# (1 if the server died).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${VIGIL_BIN:?set VIGIL_BIN to a built vigil executable}"
[[ -x "$VIGIL_BIN" ]] || { echo "run.sh: $VIGIL_BIN is not executable" >&2; exit 2; }
FUZZ_REQUESTS=${FUZZ_REQUESTS:-100000}
FUZZ_SECONDS=${FUZZ_SECONDS:-0}
password=${FUZZ_PASSWORD:-fuzz-password-1234}

work=$(mktemp -d "${TMPDIR:-/tmp}/vigil-fuzz.XXXXXX")
datadir=$work/data
log=$work/server.log
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

db_flags=(--data-dir "$datadir")
if [[ -n "${VIGIL_DATABASE_URL:-}" ]]; then
    db_flags+=(--database "$VIGIL_DATABASE_URL")
fi
export VIGIL_ENV=${VIGIL_ENV:-development}
export VIGIL_BCRYPT_COST=${VIGIL_BCRYPT_COST:-4}
export VIGIL_ACCESS_TOKEN_TTL=${VIGIL_ACCESS_TOKEN_TTL:-86400}
export VIGIL_LOG_LEVEL=${VIGIL_LOG_LEVEL:-warning}

server_pid=""
status=1
cleanup() {
    local rc=$?
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$server_pid" 2>/dev/null; then
            echo "run.sh: server did not stop within 10 s of SIGTERM; killing it" >&2
            kill -KILL "$server_pid" 2>/dev/null || true
        fi
        wait "$server_pid" 2>/dev/null || true
    fi
    if [[ "$status" -eq 0 && "${FUZZ_KEEP:-0}" != 1 ]]; then
        rm -rf "$work"
    else
        echo "run.sh: data directory and server log kept in $work" >&2
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'status=130; exit' INT TERM

# Unique names, so a shared PostgreSQL database can be fuzzed more than once.
tag=$(printf '%04x' $((RANDOM)))
declare -A users=(
    [patient]="fz-patient-$tag" [patient2]="fz-other-$tag" [clinician]="fz-doc-$tag" [clinician2]="fz-nurse-$tag"
    [admin]="fz-admin-$tag" [auditor]="fz-auditor-$tag" [spare]="fz-spare-$tag"
)
declare -A roles=(
    [patient]=patient [patient2]=patient [clinician]=clinician [clinician2]=clinician [admin]=admin [auditor]=auditor
    [spare]=patient
)
mkdir -p "$datadir"
chmod 700 "$datadir"
for key in patient patient2 clinician clinician2 admin auditor spare; do
    echo "$password" | "$VIGIL_BIN" users add --username "${users[$key]}" --role "${roles[$key]}" "${db_flags[@]}" >/dev/null 2>>"$log" \
        || { echo "run.sh: could not create ${users[$key]} (see $log)" >&2; tail -5 "$log" >&2; exit 1; }
done

"$VIGIL_BIN" serve --host 127.0.0.1 --port "$port" "${db_flags[@]}" >>"$log" 2>&1 &
server_pid=$!
echo "run.sh: vigil serve pid $server_pid on 127.0.0.1:$port (${VIGIL_DATABASE_URL:+PostgreSQL}${VIGIL_DATABASE_URL:-SQLite in $datadir}), log $log" >&2
for _ in $(seq 1 600); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null; then break; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then echo "run.sh: server exited at start" >&2; tail -20 "$log" >&2; exit 1; fi
    sleep 0.1
done

creds=()
for key in patient patient2 clinician clinician2 admin auditor spare; do
    creds+=(--"$key" "${users[$key]}:$password")
done

python3 "$here/fuzz.py" --host 127.0.0.1 --port "$port" --prepare "${creds[@]}" \
    || { echo "run.sh: seeding the server failed" >&2; tail -20 "$log" >&2; exit 1; }

set +e
python3 "$here/fuzz.py" --host 127.0.0.1 --port "$port" --server-pid "$server_pid" \
    --requests "$FUZZ_REQUESTS" --seconds "$FUZZ_SECONDS" "${creds[@]}" "$@"
status=$?
set -e

# The server must have survived (a dead child stays a zombie until waited for: look at its state).
state=$(ps -o stat= -p "$server_pid" 2>/dev/null | tr -d ' ' || true)
if [[ -z "$state" || "$state" == Z* ]]; then
    echo "run.sh: FAIL: the server process $server_pid is gone (state '${state:-none}'); last log lines:" >&2
    grep -v '"level":"info"' "$log" | tail -30 >&2
    status=1
else
    echo "run.sh: server process $server_pid still alive (state $state)" >&2
fi
