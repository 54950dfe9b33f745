#!/usr/bin/env python3
"""Writes the fuzzers' seed corpus (standard library only): small valid and nearly valid
.safetensors files, and pickles of every protocol, including the data.pkl of the CPython-made
test checkpoints in tests/data/io."""
import collections, io, json, os, pickle, struct, zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data", "io")

def safetensors(header, data):
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + data

def seeds_safetensors(out):
    os.makedirs(out, exist_ok=True)
    files = {
        "empty": safetensors({}, b""),
        "meta": safetensors({"__metadata__": {"format": "pt"}}, b""),
        "one": safetensors({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}, bytes(16)),
        "mixed": safetensors({"__metadata__": {"a": "b"},
                              "a": {"dtype": "F16", "shape": [3], "data_offsets": [0, 6]},
                              "b": {"dtype": "I64", "shape": [1], "data_offsets": [6, 14]},
                              "c": {"dtype": "BF16", "shape": [], "data_offsets": [14, 16]},
                              "d": {"dtype": "BOOL", "shape": [0, 5], "data_offsets": [16, 16]}}, bytes(16)),
        "overlap": safetensors({"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},
                                "b": {"dtype": "U8", "shape": [4], "data_offsets": [2, 6]}}, bytes(6)),
        "badtype": safetensors({"a": {"dtype": "F8_E4M3", "shape": [4], "data_offsets": [0, 4]}}, bytes(4)),
    }
    for name, data in files.items():
        open(os.path.join(out, name + ".safetensors"), "wb").write(data)

def seeds_pickle(out):
    os.makedirs(out, exist_ok=True)
    plain = {"state_dict": collections.OrderedDict(a=[1, 2.5, "x", b"y", None, True, (1, 2)]),
             "n": 2 ** 70, "neg": -5, "s": {1, 2}, "f": frozenset([3])}
    for proto in range(0, 5):
        open(os.path.join(out, "plain-p%d.pkl" % proto), "wb").write(pickle.dumps(plain, protocol=proto))
    for name in ("cpython-protocol2.ckpt", "cpython-protocol4.ckpt"):
        with zipfile.ZipFile(os.path.join(DATA, name)) as z:
            pkl = next(n for n in z.namelist() if n.endswith("/data.pkl"))
            open(os.path.join(out, name.replace(".ckpt", ".pkl")), "wb").write(z.read(pkl))
    for name in ("evil-os-system.pkl", "evil-builtins-eval.pkl"):
        open(os.path.join(out, name), "wb").write(open(os.path.join(DATA, name), "rb").read())

def seeds_zip(out):
    os.makedirs(out, exist_ok=True)
    for name in ("cpython-protocol2.ckpt", "cpython-protocol4.ckpt"):
        open(os.path.join(out, name), "wb").write(open(os.path.join(DATA, name), "rb").read())
    # ZIP64 records (forced), a comment, a deflated entry
    for name, kw in (("zip64.ckpt", {"force_zip64": True}), ("deflated.ckpt", {})):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED if name == "deflated.ckpt" else zipfile.ZIP_STORED) as z:
            z.comment = b"qdiffusion seed"
            with z.open("archive/data/0", "w", **kw) as f:
                f.write(bytes(range(64)))
            z.writestr("archive/data.pkl", pickle.dumps({}, protocol=2))
        open(os.path.join(out, name), "wb").write(buf.getvalue())

if __name__ == "__main__":
    seeds_safetensors(os.path.join(HERE, "corpus", "safetensors"))
    seeds_pickle(os.path.join(HERE, "corpus", "pickle"))
    seeds_zip(os.path.join(HERE, "corpus", "zip"))
