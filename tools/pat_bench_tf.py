#!/usr/bin/env python3
"""Time the PAT encoder embedding with TensorFlow-CPU on the synthetic reference weights.

The Keras graph comes from the reference build_pat.py (same layers and names as PAT); weights are
loaded from pat_{s,m}_synthetic.h5, and PAT-L (whose .h5 is not shipped) gets the identical seeded
weights via build_pat.set_synthetic_weights(seed 1003). Each model's embedding is checked against the
reference expected/ JSON before timing, so the timed graph is proven to be the tested one.

Timed call: a tf.function wrapping `GlobalAveragePooling1D(encoder(x))` on one (1, 10080) input,
after warm-up; also model.predict for comparison. Prints median and min over --runs.

TF's thread pools can only be set before the first op, so each thread setting runs in a child process:
  python pat_bench_tf.py [--ref DIR] [--runs 20] [--threads 0 1]     (0 = TF default = all cores)
Requires tensorflow-cpu (2.15.1 used for the reference outputs), h5py, numpy.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

DEFAULT_REF = "/work/shared/reference/pat"
MODELS = [("s", 1001), ("m", 1002), ("l", 1003)]


def run_child(ref, threads, runs, sizes):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    sys.path.insert(0, ref)
    import build_pat

    x = np.fromfile(os.path.join(ref, "inputs", "week_a_circadian_std.bin"), dtype="<f4")[None]
    xt = tf.constant(x)
    rows = []
    for size, seed in MODELS:
        if size not in sizes:
            continue
        encoder = build_pat.build_encoder(size)
        h5 = os.path.join(ref, f"pat_{size}_synthetic.h5")
        if os.path.exists(h5):
            encoder.load_weights(h5)
            source = os.path.basename(h5)
        else:
            build_pat.set_synthetic_weights(encoder, size, seed)
            source = f"build_pat seed {seed}"
        pooled = tf.keras.layers.GlobalAveragePooling1D()(encoder.outputs[0])
        model = tf.keras.Model(encoder.inputs, pooled)
        expected = json.load(open(os.path.join(ref, "expected", f"pat_{size}_synthetic",
                                               "week_a_circadian_std.embedding.json")))["embedding"]
        fn = tf.function(lambda t: model(t, training=False))
        got = fn(xt).numpy()[0]
        err = float(np.abs(got - np.array(expected)).max())
        assert err < 1e-4, (size, err)

        def timed(call):
            for _ in range(3):
                call()
            ts = []
            for _ in range(runs):
                t0 = time.perf_counter()
                call()
                ts.append((time.perf_counter() - t0) * 1e3)
            return statistics.median(ts), min(ts)

        fmed, fmin = timed(lambda: fn(xt).numpy())
        pmed, pmin = timed(lambda: model.predict(x, verbose=0))
        rows.append(dict(model=f"PAT-{size.upper()}", threads=threads or "default", weights=source,
                         max_abs_err=err, tf_function_median_ms=fmed, tf_function_min_ms=fmin,
                         predict_median_ms=pmed, predict_min_ms=pmin))
    print(json.dumps({"tensorflow": tf.__version__, "rows": rows}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ref", default=DEFAULT_REF, help="reference folder with build_pat.py, .h5, inputs/, expected/")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--threads", type=int, nargs="+", default=[0, 1], help="0 = TF default (all cores)")
    ap.add_argument("--sizes", default="sml", help="subset of s, m, l")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        run_child(args.ref, args.child, args.runs, args.sizes)
        return
    print(f"cpu cores: {os.cpu_count()}; input week_a_circadian_std; {args.runs} runs after 3 warm-ups")
    print(f"{'model':6} {'threads':>7} {'tf.function med/min ms':>24} {'predict med/min ms':>20}  max|err|")
    for threads in args.threads:
        out = subprocess.run([sys.executable, __file__, "--ref", args.ref, "--runs", str(args.runs),
                              "--sizes", args.sizes, "--child", str(threads)],
                             check=True, capture_output=True, text=True).stdout
        doc = json.loads(out.strip().splitlines()[-1])
        for r in doc["rows"]:
            print(f"{r['model']:6} {str(r['threads']):>7} {r['tf_function_median_ms']:12.2f} / {r['tf_function_min_ms']:7.2f}"
                  f" {r['predict_median_ms']:10.2f} / {r['predict_min_ms']:7.2f}  {r['max_abs_err']:.1e}")
    print(f"tensorflow {doc['tensorflow']}")


if __name__ == "__main__":
    main()
