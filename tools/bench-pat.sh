#!/usr/bin/env bash
# Times one PAT embedding of a week in Swift (vigil pat embed, 1 thread) next to TensorFlow-CPU on the same
# synthetic weights, on this machine, in one run.
# Usage: tools/bench-pat.sh   (needs a release build and a venv with tensorflow-cpu==2.15.1 h5py numpy:
# created in /tmp/pat-venv when missing; the Keras graph comes from ../shared/reference/pat/build_pat.py)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${PAT_VENV:-/tmp/pat-venv}
ref=${PAT_REFERENCE:-../shared/reference/pat}
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q tensorflow-cpu==2.15.1 h5py numpy
fi
[ -x .build/release/vigil ] || swift build -c release --product vigil
resources=Tests/VigilPATTests/Resources/pat
week=$(mktemp --suffix=.csv)
trap 'rm -f "$week"' EXIT
python3 - "$resources/inputs/week_a_circadian_std.bin" "$week" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
values = struct.unpack("<%df" % (len(data) // 4), data)
open(sys.argv[2], "w").write("minute,value\n" + "\n".join("%d,%r" % (i, v) for i, v in enumerate(values)) + "\n")
PY
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for size in s m l; do
    .build/release/vigil pat embed --model "$resources/pat_${size}_synthetic.safetensors" --input "$week" --standardize none \
        --repeat 30 2>&1 >/dev/null | grep 'vigil pat embed'
done
"$venv/bin/python" tools/pat_bench_tf.py --ref "$ref" --runs 30 --threads 0 1
