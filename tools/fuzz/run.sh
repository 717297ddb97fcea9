#!/usr/bin/env bash
# Runs every libFuzzer target built by tools/fuzz/build.sh for FUZZ_SECONDS each (default 30), starting
# from the committed seed corpus (copied, so the repository is not changed). Any crash, leak, hang
# (an input taking over 5 s) or memory blow-up fails the run; the input is saved in .build/fuzz/findings.
#   FUZZ_SECONDS=600 bash tools/fuzz/run.sh          # the long version
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${FUZZ_SECONDS:-30}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p .build/fuzz/findings
status=0
for target in json realtime timestamp actigraphy safetensors; do
    cp -r "tools/fuzz/corpus/$target" "$work/$target"
    log="$work/$target.log"
    if .build/fuzz/$target -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix=.build/fuzz/findings/$target- "$work/$target" >"$log" 2>&1; then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
        echo "fuzz $target: $runs inputs in ${seconds} s, 0 crashes"
    else
        echo "fuzz $target: FAILED (see below; the input is in .build/fuzz/findings/)"
        grep -E "ERROR|Fatal|SUMMARY|Test unit written" "$log" | head -20
        status=1
    fi
done
exit $status
