#!/usr/bin/env python3
"""Convert a PAT encoder Keras .h5 file into the PAT safetensors layout read by VigilPAT.

Inputs (Keras 2 HDF5, as written by TF 2.15 / Keras 2.15, which PAT used):
  * `model.save_weights("x.h5")` -- the layout of the released PAT-{S,M,L}_*_weights.h5:
        /dense/dense/kernel:0                                                         (P, 96)
        /encoder_layer_<i>_transformer/encoder_layer_<i>_attention/query/kernel:0     (96, H, 96)
        ...
  * `model.save("x.h5")` -- the same tree under /model_weights/.
  Dataset names with or without the ":0" suffix are accepted (Keras 3 legacy .h5 drops it).

Output: standard safetensors (u64 LE header length, JSON header padded with spaces to a multiple of 8,
then little-endian float32 data), tensors sorted by name, Keras-native layouts:
  patch_embed.kernel (P, 96), patch_embed.bias (96)
  blocks.{b}.attn.{query,key,value}.kernel (96, H, 96) / .bias (H, 96)     b = i - 1 (0-based)
  blocks.{b}.attn.output.kernel (H, 96, 96) / .bias (96)
  blocks.{b}.norm{1,2}.gamma / .beta (96)
  blocks.{b}.ff1.kernel (96, 256) / .bias (256), blocks.{b}.ff2.kernel (256, 96) / .bias (96)
`__metadata__` (all strings): format, patch_size, num_heads, num_layers, embed_dim, key_dim, ff_dim,
layer_norm_epsilon, positional_encoding, source_file, source_names (JSON: tensor -> HDF5 path).
The output is byte-deterministic: the same .h5 always gives the same bytes.

Mapping is by Keras layer name only (no guessing by order); any missing or misshaped tensor, a gap in
the block numbering, or an unknown dataset inside an encoder block is a hard error.

Usage: python pat_convert_h5.py IN.h5 OUT.safetensors [-v]      (needs numpy and h5py only)
"""
import argparse
import json
import os
import re
import struct
import sys

import h5py
import numpy as np

FORMAT = "pat-encoder-safetensors-v1"
D, FF, LN_EPS = 96, 256, 1e-6
VARIANTS = {(18, 6, 1): "PAT-S", (18, 12, 2): "PAT-M", (9, 12, 4): "PAT-L"}
BLOCK_GROUP = re.compile(r"^encoder_layer_(\d+)_transformer$")


class ConversionError(Exception):
    pass


def weights_root(f):
    """Full-model saves keep the weights under /model_weights; save_weights files at the root."""
    return f["model_weights"] if isinstance(f.get("model_weights"), h5py.Group) else f


def find(root, path):
    """Returns (path actually used, float32 array) for `path` with or without Keras' ':0' suffix."""
    for candidate in (path + ":0", path):
        obj = root.get(candidate)
        if isinstance(obj, h5py.Dataset):
            return candidate, np.asarray(obj[()], dtype=np.float32)
    raise ConversionError(f"missing dataset {path}[:0]")


def block_numbers(root):
    numbers = sorted(int(m.group(1)) for name in root.keys() if (m := BLOCK_GROUP.match(name)))
    if not numbers:
        raise ConversionError("no encoder_layer_<i>_transformer group found; is this a PAT encoder file?")
    if numbers != list(range(1, len(numbers) + 1)):
        raise ConversionError(f"encoder blocks must be numbered 1..L without gaps, found {numbers}")
    return numbers


def source_paths(layers):
    """Output tensor name -> HDF5 path (without ':0') for an encoder with `layers` blocks."""
    paths = {"patch_embed.kernel": "dense/dense/kernel", "patch_embed.bias": "dense/dense/bias"}
    for i in range(1, layers + 1):
        block, prefix = f"blocks.{i - 1}", f"encoder_layer_{i}_transformer/encoder_layer_{i}"
        for role, keras in (("query", "query"), ("key", "key"), ("value", "value"), ("output", "attention_output")):
            for leaf in ("kernel", "bias"):
                paths[f"{block}.attn.{role}.{leaf}"] = f"{prefix}_attention/{keras}/{leaf}"
        for norm in ("norm1", "norm2"):
            for leaf in ("gamma", "beta"):
                paths[f"{block}.{norm}.{leaf}"] = f"{prefix}_{norm}/{leaf}"
        for ff in ("ff1", "ff2"):
            for leaf in ("kernel", "bias"):
                paths[f"{block}.{ff}.{leaf}"] = f"{prefix}_{ff}/{leaf}"
    return paths


def expected_shapes(patch, heads, layers):
    shapes = {"patch_embed.kernel": (patch, D), "patch_embed.bias": (D,)}
    for b in range(layers):
        p = f"blocks.{b}."
        for role in ("query", "key", "value"):
            shapes[p + f"attn.{role}.kernel"] = (D, heads, D)
            shapes[p + f"attn.{role}.bias"] = (heads, D)
        shapes[p + "attn.output.kernel"] = (heads, D, D)
        shapes[p + "attn.output.bias"] = (D,)
        for norm in ("norm1", "norm2"):
            shapes[p + f"{norm}.gamma"] = (D,)
            shapes[p + f"{norm}.beta"] = (D,)
        shapes[p + "ff1.kernel"], shapes[p + "ff1.bias"] = (D, FF), (FF,)
        shapes[p + "ff2.kernel"], shapes[p + "ff2.bias"] = (FF, D), (D,)
    return shapes


def read_encoder(h5_path):
    """Returns (tensors, source names, (P, H, L)) after checking every name and shape."""
    with h5py.File(h5_path, "r") as f:
        root = weights_root(f)
        layers = block_numbers(root)[-1]
        tensors, sources = {}, {}
        for name, path in source_paths(layers).items():
            sources[name], tensors[name] = find(root, path)
        used = set(sources.values())
        stray = []
        for i in range(1, layers + 1):
            group = root[f"encoder_layer_{i}_transformer"]
            group.visititems(lambda n, o: stray.append(f"{group.name.lstrip('/')}/{n}")
                             if isinstance(o, h5py.Dataset) else None)
        stray = [s for s in stray if s.split("model_weights/", 1)[-1] not in used]
        if stray:
            raise ConversionError(f"unknown datasets inside encoder blocks: {stray}")
    patch, heads = tensors["patch_embed.kernel"].shape[0], tensors["blocks.0.attn.query.kernel"].shape[1]
    bad = [f"{n}: {tensors[n].shape} != {s}" for n, s in expected_shapes(patch, heads, layers).items()
           if tensors[n].shape != s]
    if bad:
        raise ConversionError("wrong shapes:\n  " + "\n  ".join(bad))
    if (patch, heads, layers) not in VARIANTS:
        raise ConversionError(f"patch {patch}, heads {heads}, blocks {layers} is none of PAT-S/M/L")
    return tensors, sources, (patch, heads, layers)


def safetensors_bytes(tensors, metadata):
    """Deterministic safetensors: '__metadata__' first, tensors sorted by name, compact JSON, space padding."""
    header, blobs, offset = {"__metadata__": dict(sorted(metadata.items()))}, [], 0
    for name in sorted(tensors):
        blob = np.ascontiguousarray(tensors[name], dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def convert(h5_path, out_path, verbose=False):
    tensors, sources, (patch, heads, layers) = read_encoder(h5_path)
    metadata = {
        "format": FORMAT,
        "patch_size": str(patch),
        "num_heads": str(heads),
        "num_layers": str(layers),
        "embed_dim": str(D),
        "key_dim": str(D),
        "ff_dim": str(FF),
        "layer_norm_epsilon": repr(LN_EPS),
        "positional_encoding": "sincos-concat (sin in dims 0..47, cos in dims 48..95)",
        "source_file": os.path.basename(h5_path),
        "source_names": json.dumps(sources, sort_keys=True),
    }
    data = safetensors_bytes(tensors, metadata)
    with open(out_path, "wb") as out:
        out.write(data)
    count = sum(t.size for t in tensors.values())
    print(f"{os.path.basename(h5_path)} -> {out_path}: {VARIANTS[(patch, heads, layers)]}, "
          f"{len(tensors)} tensors, {count:,} parameters")
    if verbose:
        for name in sorted(tensors):
            print(f"  {name:30s} {str(tensors[name].shape):14s} <- {sources[name]}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("h5")
    ap.add_argument("out")
    ap.add_argument("-v", "--verbose", action="store_true", help="print the tensor name mapping")
    args = ap.parse_args()
    try:
        convert(args.h5, args.out, args.verbose)
    except (ConversionError, OSError) as error:
        sys.exit(f"error: {error}")


if __name__ == "__main__":
    main()
