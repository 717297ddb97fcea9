#!/usr/bin/env python3
"""Time pyActigraphy 1.2.2 computing Vigil's full actigraphy report on one CSV.

The report is what GET /v1/subjects/{subject}/actigraphy returns: IS, IV, RA, L5, M10, ADAT, kRA, kAR,
SRI and the Cole-Kripke, Sadeh, Scripps, Oakley and Roenneberg series, with the settings of
../shared/reference/actigraphy. Prints the median and minimum of --repeat runs (after one warm-up run,
which also pays numba's compilation) in milliseconds, as one JSON line.
"""
import argparse
import json
import statistics
import sys
import time
import warnings

import numpy as np
import pandas as pd
from pyActigraphy.io import BaseRaw

warnings.filterwarnings("ignore")


def load(path):
    frame = pd.read_csv(path, dtype={"timestamp": str, "activity": float}, keep_default_na=False, na_values=[""],
                        float_precision="round_trip")
    stamps = pd.DatetimeIndex(pd.to_datetime(frame["timestamp"]))
    step = pd.Timedelta(int(np.diff(stamps.asi8)[0]), unit="ns")
    index = pd.date_range(start=stamps[0], periods=len(stamps), freq=step)
    series = pd.Series(frame["activity"].values.astype(float), index=index, name="Activity")
    return BaseRaw(name=path, uuid=None, format="CSV", axial_mode="mono-axial", start_time=index[0],
                   period=index[-1] - index[0], frequency=step, data=series, light=None, fpath=path)


def report(raw):
    return {
        "is": raw.IS(freq="1H", binarize=True, threshold=4),
        "iv": raw.IV(freq="1H", binarize=True, threshold=4),
        "ra": raw.RA(binarize=True, threshold=4),
        "l5": raw.L5(binarize=True, threshold=4),
        "m10": raw.M10(binarize=True, threshold=4),
        "adat": raw.ADAT(binarize=True, threshold=4, rescale=True, exclude_ends=False),
        "kra": raw.kRA(threshold=4, start=None, period=None, frac=0.3, it=0, logit=False),
        "kar": raw.kAR(threshold=4, start=None, period=None, frac=0.3, it=0, logit=False),
        "sri": raw.SleepRegularityIndex(freq="15min", bin_threshold=None, algo="Roenneberg"),
        "cole_kripke": raw.CK(settings="mean", threshold=1.0, rescoring=True),
        "sadeh": raw.Sadeh(),
        "scripps": raw.Scripps(),
        "oakley": raw.Oakley(threshold=40),
        "roenneberg": raw.Roenneberg(),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("csv")
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    raw = load(args.csv)
    report(raw)
    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        report(raw)
        times.append((time.perf_counter() - started) * 1000)
    print(json.dumps({"tool": "pyActigraphy", "epochs": len(raw.data), "median_ms": statistics.median(times),
                      "min_ms": min(times), "runs": args.repeat}))


if __name__ == "__main__":
    sys.exit(main())
