#!/usr/bin/env bash
# Fuzzes a live Vigil against its published contract (docs/openapi.json) with Schemathesis, once per role.
#
#   VIGIL_BIN=.build/debug/vigil PYTHON=/tmp/st-venv/bin/python tools/schemathesis.sh
#
# Environment:
#   VIGIL_BIN                  a built `vigil` executable (required)
#   PYTHON                     a python with `schemathesis` (4.x) installed (required)
#   SCHEMATHESIS_MAX_EXAMPLES  test cases per operation and phase (default 50)
#   SCHEMATHESIS_TIMEOUT       wall-clock bound of each role's run in seconds (default 900); hitting it is a failure
#   SCHEMATHESIS_ROLES         roles to run, in order (default "auditor clinician patient admin")
#   SCHEMATHESIS_SEED          fixed seed for a reproducible run (default: random)
#   SCHEMATHESIS_ARGS          extra arguments for `schemathesis run`
#   KEEP_SCHEMATHESIS_DIR=1    keep the temporary directory (server log, reports) after the run
#
# It starts `vigil serve` on a free port with a fresh SQLite data directory (development mode: the server
# generates its own signing key), creates one user per role, a grant from the patient to the clinician,
# a few samples and 26 hours of minute `activity_count` epochs (so actigraphy answers 200), logs every
# user in, and runs `schemathesis run` with every check on (`--checks all`) once per role with that role's
# bearer token. The schema is read from the server's `GET /openapi.json`; a server that does not serve it
# yet is tested against docs/openapi.json instead (with a warning). Exits non-zero if any run fails.
set -euo pipefail
[ "${BASH_VERSINFO[0]}" -ge 4 ] || { echo "schemathesis.sh: needs bash 4 or later" >&2; exit 2; }

: "${VIGIL_BIN:?set VIGIL_BIN to a built vigil executable}"
: "${PYTHON:?set PYTHON to a python with schemathesis installed}"
MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-50}
RUN_TIMEOUT=${SCHEMATHESIS_TIMEOUT:-900}
ROLES=${SCHEMATHESIS_ROLES:-"auditor clinician patient admin"}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DOC="$HERE/../docs/openapi.json"

[ -x "$VIGIL_BIN" ] || { echo "schemathesis.sh: $VIGIL_BIN is not executable" >&2; exit 2; }
"$PYTHON" -c 'import schemathesis' 2>/dev/null || { echo "schemathesis.sh: $PYTHON cannot import schemathesis" >&2; exit 2; }
VIGIL_BIN=$(cd "$(dirname "$VIGIL_BIN")" && pwd)/$(basename "$VIGIL_BIN")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vigil-schemathesis.XXXXXX")
DATA="$WORK/data"
SERVER_PID=""
cleanup() {
    local status=$?
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    if [ "${KEEP_SCHEMATHESIS_DIR:-0}" = 1 ] || [ "$status" -ne 0 ]; then
        echo "schemathesis.sh: server log and reports kept in $WORK" >&2
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The server's configuration for fuzzing (every variable is documented in VigilConfig.swift):
export VIGIL_ENV=development
export VIGIL_DATA_DIR="$DATA"
# bcrypt at the minimum cost: the fuzzer logs in and creates users thousands of times.
export VIGIL_BCRYPT_COST=4
# Access tokens must outlive the whole run (the default is 900 s).
export VIGIL_ACCESS_TOKEN_TTL=86400
export VIGIL_LOG_LEVEL=${VIGIL_LOG_LEVEL:-warning}

PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
PASSWORD="correct horse battery"

# Users: names match the examples in docs/openapi.json, so the examples phase reaches real data.
declare -A USERS=([patient]=alice [clinician]=bob-md [admin]=carol-admin [auditor]=dave-audit)
for role in patient clinician admin auditor; do
    echo "$PASSWORD" | "$VIGIL_BIN" users add --username "${USERS[$role]}" --role "$role" --data-dir "$DATA" >/dev/null
done

"$VIGIL_BIN" serve --host 127.0.0.1 --port "$PORT" --data-dir "$DATA" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 300); do
    if curl -fsS "$BASE/health" >/dev/null 2>&1; then break; fi
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "schemathesis.sh: the server exited:" >&2; tail -20 "$WORK/server.log" >&2; exit 1; }
    sleep 0.2
done
curl -fsS "$BASE/health" >/dev/null || { echo "schemathesis.sh: the server did not become healthy" >&2; exit 1; }

# request METHOD PATH [TOKEN] [BODY-FILE]: prints the body, fails unless the status is 2xx.
request() {
    local args=(-sS -X "$1" "$BASE$2" -o "$WORK/response" -w '%{http_code}')
    [ -n "${3:-}" ] && args+=(-H "Authorization: Bearer $3")
    [ -n "${4:-}" ] && args+=(-H 'Content-Type: application/json' --data-binary "@$4")
    local status
    status=$(curl "${args[@]}")
    if [ "${status:0:1}" != 2 ]; then
        echo "schemathesis.sh: $1 $2 answered $status: $(cat "$WORK/response")" >&2
        return 1
    fi
    cat "$WORK/response"
}
json_field() { "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

declare -A TOKENS
for role in patient clinician admin auditor; do
    printf '{"username": "%s", "password": "%s"}' "${USERS[$role]}" "$PASSWORD" >"$WORK/login.json"
    TOKENS[$role]=$(request POST /v1/auth/token "" "$WORK/login.json" | json_field access_token)
done

# The clinician may read and write the patient's data.
printf '{"grantee": "%s", "scope": "read_write"}' "${USERS[clinician]}" >"$WORK/grant.json"
request POST "/v1/subjects/${USERS[patient]}/grants" "${TOKENS[patient]}" "$WORK/grant.json" >/dev/null

# A few samples of each kind, and 26 hours of 1-minute activity_count epochs (a report needs 24 h).
"$PYTHON" - "$WORK/samples.json" <<'EOF'
import datetime, json, math, sys, uuid
start = datetime.datetime(2026, 11, 16, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
samples = [
    {"uuid": "6F9619FF-8B86-D011-B42D-00C04FC964FF", "type": "heart_rate", "start": "2026-11-20T07:15:00+01:00",
     "value": 64, "unit": "count/min", "source": {"name": "Apple Watch", "bundle_id": "com.apple.health"},
     "metadata": {"HKMetadataKeyHeartRateMotionContext": 1}},
    {"uuid": str(uuid.uuid4()), "type": "body_temperature", "start": "2026-11-20T07:20:00+01:00", "value": 98.6, "unit": "degF"},
    {"uuid": str(uuid.uuid4()), "type": "sleep_analysis", "start": "2026-11-19T23:30:00+01:00",
     "end": "2026-11-20T06:45:00+01:00", "category": "asleep_core"},
]
for minute in range(26 * 60):
    at = start + datetime.timedelta(minutes=minute)
    hour = at.hour + at.minute / 60
    active = 7 <= hour < 23
    value = int(200 + 150 * math.sin(minute / 37.0) ** 2) if active else (minute * 7919) % 5
    samples.append({"uuid": str(uuid.UUID(int=minute + 1)), "type": "activity_count", "start": at.isoformat(),
                    "end": (at + datetime.timedelta(minutes=1)).isoformat(), "value": value, "unit": "count"})
json.dump({"samples": samples}, open(sys.argv[1], "w"))
EOF
request POST "/v1/subjects/${USERS[patient]}/samples" "${TOKENS[patient]}" "$WORK/samples.json" >/dev/null

# The schema: the server's own when it serves one, else the checked-in file.
if curl -fsS "$BASE/openapi.json" -o "$WORK/served-openapi.json" 2>/dev/null; then
    LOCATION=("$BASE/openapi.json")
else
    echo "schemathesis.sh: WARNING: $BASE/openapi.json is not served; testing against $DOC" >&2
    LOCATION=("$DOC" --url "$BASE")
fi

# Check settings (schemathesis.toml). Every check stays on; two expectations are widened where the
# contract cannot be written as a schema:
# - positive_data_acceptance: schema-valid requests that the server rightly refuses because of a
#   constraint between fields or on stored state, which JSON Schema cannot express:
#   400 for `to` before `from` and opaque cursors (samples, audit events), `to` not after `from` or more
#   than 731 days after it (actigraphy), a plain GET of the WebSocket endpoint (no client here upgrades);
#   422 for `end` before `start` and metadata over 4 KiB (samples), grantees and care-team members that
#   must be existing clinicians/admins and `expires_at` in the future, passwords of 8-72 *bytes*,
#   `to` after `from` / a 7-day PAT window (analyses), and windows with too little data (actigraphy).
# - negative_data_rejection: a batch over 10,000 samples is rejected with 413 `batch_too_large`.
cat >"$WORK/schemathesis.toml" <<'EOF'
[[operations]]
include-operation-id = ["querySamples", "listAuditEvents", "openStream"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]

[[operations]]
include-operation-id = ["getActigraphyReport", "getActogram"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "422", "429", "5xx"]

[[operations]]
include-operation-id = ["ingestSamples"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
checks.negative_data_rejection.expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]

[[operations]]
include-operation-id = ["createGrant", "createUser", "createCareTeam", "replaceCareTeamMembers", "submitAnalysis"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
EOF

# `--generation-allow-x00 false`: the server refuses NUL in every string of a request (a `\u0000` in a body,
# a `%00` in the path or query: 400), a rule the document states once in its description instead of as a
# pattern on every string.
SEED_ARGS=()
[ -n "${SCHEMATHESIS_SEED:-}" ] && SEED_ARGS=(--seed "$SCHEMATHESIS_SEED")
# shellcheck disable=SC2206
EXTRA_ARGS=(${SCHEMATHESIS_ARGS:-})

# One run per role. The admin's run leaves out `DELETE /v1/users/{username}`: Schemathesis feeds it the
# usernames it has seen (GET /v1/users, /v1/me), so it disables the other roles' users and the fuzzing admin
# itself, after which every request of the run is a 401 and nothing else gets tested. That operation gets
# a run of its own, last, when nothing else needs the users any more (without the stateful phase: none of
# its links stays inside that selection). Nothing else is excluded: `/v1/stream` is tested as plain HTTP
# (400 `upgrade_required`, 401), and `/v1/auth/logout` can only end logins whose refresh token the fuzzer
# has seen (its own logins), never the sessions of the tokens above.
RUNS=()
for role in $ROLES; do
    if [ "$role" = admin ]; then
        RUNS+=("admin:--exclude-operation-id=disableUser" "admin:--include-operation-id=disableUser --phases=examples,coverage,fuzzing")
    else
        RUNS+=("$role:")
    fi
done

# The wall-clock bound: SIGINT makes Schemathesis stop and still print its summary.
if command -v timeout >/dev/null; then
    BOUND=(timeout --signal=INT --kill-after=30 "$RUN_TIMEOUT")
else
    echo "schemathesis.sh: WARNING: no \`timeout\` command; runs are not time-bounded" >&2
    BOUND=(env)
fi

failed=()
number=0
cd "$WORK"  # Schemathesis keeps its example database and reports in the working directory.
for run in "${RUNS[@]}"; do
    role=${run%%:*}
    number=$((number + 1))
    filter=${run#*:}
    label=$role${filter:+ ($filter)}
    token=${TOKENS[$role]:?unknown role $role}
    # shellcheck disable=SC2206
    FILTER_ARGS=($filter)
    echo "=== schemathesis as $label, user ${USERS[$role]}: max $MAX_EXAMPLES examples per operation, at most ${RUN_TIMEOUT}s"
    set +e
    "${BOUND[@]}" \
        "$PYTHON" -m schemathesis.cli --config-file "$WORK/schemathesis.toml" run "${LOCATION[@]}" \
        -H "Authorization: Bearer $token" \
        --checks all \
        --max-examples "$MAX_EXAMPLES" \
        --workers 1 \
        --request-timeout 60 \
        --generation-allow-x00 false \
        --no-color \
        --report junit,ndjson --report-dir "$WORK/reports/$number-$role" \
        "${FILTER_ARGS[@]}" "${SEED_ARGS[@]}" "${EXTRA_ARGS[@]}"
    status=$?
    set -e
    if [ "$status" -eq 124 ] || [ "$status" -eq 130 ] || [ "$status" -eq 137 ]; then
        echo "=== $label: stopped at the time bound (${RUN_TIMEOUT}s)" >&2
        failed+=("$label(timeout)")
    elif [ "$status" -ne 0 ]; then
        failed+=("$label")
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "schemathesis.sh: the server died:" >&2; tail -40 "$WORK/server.log" >&2; exit 1; }
done

if [ "${#failed[@]}" -gt 0 ]; then
    printf 'schemathesis.sh: failures in: %s\n' "${failed[@]}" >&2
    echo "schemathesis.sh: reports in $WORK/reports" >&2
    exit 1
fi
echo "schemathesis.sh: every role passed"
