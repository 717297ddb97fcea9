#!/usr/bin/env python3
"""Checks tools/pat_convert_h5.py against the shared reference files (numpy + h5py only).

  * pat_{s,m}_synthetic.h5 (save_weights layout) convert to files byte-identical to the reference
    pat_{s,m}_synthetic.safetensors;
  * pat_s_synthetic_full.h5 (full model, /model_weights/ prefix) gives the same tensors as PAT-S;
  * a copy with one dataset deleted, one reshaped, or a block gap fails with a clear message.

Usage: python test_pat_convert_h5.py [--ref /work/shared/reference/pat]
"""
import argparse
import os
import shutil
import struct
import json
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pat_convert_h5 as conv  # noqa: E402


def read_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    header.pop("__metadata__")
    return {k: np.frombuffer(data[v["data_offsets"][0]:v["data_offsets"][1]], "<f4").reshape(v["shape"])
            for k, v in header.items()}


def expect_failure(tmp, ref, label, edit, needle):
    src = os.path.join(tmp, f"{label}.h5")
    shutil.copy(os.path.join(ref, "pat_s_synthetic.h5"), src)
    with h5py.File(src, "r+") as f:
        edit(f)
    try:
        conv.convert(src, os.path.join(tmp, f"{label}.safetensors"))
    except conv.ConversionError as error:
        assert needle in str(error), (label, str(error))
        print(f"ok   {label}: fails with '{str(error).splitlines()[0]}'")
        return
    raise AssertionError(f"{label}: conversion unexpectedly succeeded")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ref", default="/work/shared/reference/pat")
    ref = ap.parse_args().ref
    with tempfile.TemporaryDirectory() as tmp:
        for size in ("s", "m"):
            out = os.path.join(tmp, f"{size}.safetensors")
            conv.convert(os.path.join(ref, f"pat_{size}_synthetic.h5"), out)
            same = open(out, "rb").read() == open(os.path.join(ref, f"pat_{size}_synthetic.safetensors"), "rb").read()
            assert same, f"pat_{size}_synthetic: bytes differ from the reference"
            print(f"ok   pat_{size}_synthetic.h5 -> byte-identical to pat_{size}_synthetic.safetensors")

        out = os.path.join(tmp, "s_full.safetensors")
        conv.convert(os.path.join(ref, "pat_s_synthetic_full.h5"), out)
        ours, theirs = read_safetensors(out), read_safetensors(os.path.join(ref, "pat_s_synthetic.safetensors"))
        assert ours.keys() == theirs.keys() and all(np.array_equal(ours[k], theirs[k]) for k in ours)
        print(f"ok   pat_s_synthetic_full.h5 (/model_weights) -> {len(ours)} tensors equal to PAT-S")

        q = "encoder_layer_1_transformer/encoder_layer_1_attention/query/kernel:0"
        expect_failure(tmp, ref, "missing", lambda f: f.__delitem__("encoder_layer_1_transformer/encoder_layer_1_ff2/bias:0"),
                       "missing dataset encoder_layer_1_transformer/encoder_layer_1_ff2/bias")

        def reshape(f):
            del f["encoder_layer_1_transformer/encoder_layer_1_norm1/gamma:0"]
            f["encoder_layer_1_transformer/encoder_layer_1_norm1/gamma:0"] = np.ones(95, np.float32)
        expect_failure(tmp, ref, "misshaped", reshape, "blocks.0.norm1.gamma: (95,) != (96,)")
        expect_failure(tmp, ref, "block_gap", lambda f: f.copy(f["encoder_layer_1_transformer"], "encoder_layer_3_transformer"),
                       "numbered 1..L without gaps")
        expect_failure(tmp, ref, "stray", lambda f: f.copy(f[q], "encoder_layer_1_transformer/extra:0"),
                       "unknown datasets inside encoder blocks")
    print("all converter checks passed")


if __name__ == "__main__":
    main()
