#!/usr/bin/env bash
# Times Vigil's actigraphy report next to pyActigraphy 1.2.2 on the same CSV files, on this machine.
# Usage: tools/bench-actigraphy.sh [CSV ...]   (default: one week and two weeks of the reference recordings)
# Needs: a release build (swift build -c release) and a venv with pyActigraphy (created in /tmp/pyact-venv
# with the recipe of Tests/VigilAnalyticsTests/Resources/actigraphy/README.md when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${PYACT_VENV:-/tmp/pyact-venv}
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --no-deps accelerometer==6.2.3 pyactigraphy==1.2.2
    "$venv/bin/pip" install -q numpy==1.23.5 pandas==1.5.3 joblib lmfit plotly numba pyexcel pyexcel-ods3 pyexcel-xlsx \
        scipy spm1d "statsmodels>=0.10" "stochastic>=0.6.0" matplotlib tqdm scikit-learn==1.5.2 imbalanced-learn==0.12.4 h5py
fi
[ -x .build/release/vigil ] || swift build -c release --product vigil
resources=Tests/VigilAnalyticsTests/Resources/actigraphy
files=("$@")
[ ${#files[@]} -gt 0 ] || files=("$resources/syn02_7d_regular_1min.csv" "$resources/syn03_14d_irregular_1min.csv")
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for file in "${files[@]}"; do
    echo "== $file"
    .build/release/vigil analyze actigraphy "$file" --repeat 500 2>&1 >/dev/null | grep 'vigil actigraphy report'
    "$venv/bin/python" tools/actigraphy_timing.py "$file" --repeat 10
done
