#!/usr/bin/env python3
"""Makes small PyTorch-style checkpoints with CPython's own pickler (standard library only, no torch),
so QDiffusion's restricted pickle reader is tested against bytes it did not write itself.

torch.save pickles a tensor as torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride,
requires_grad, backward_hooks) and each storage as the persistent id
('storage', torch.<Type>Storage, key, location, numel) (torch/serialization.py _save); the storages go
to <folder>/data/<key> in a zip archive stored uncompressed. Here stand-in modules named torch,
torch._utils, pytorch_lightning... let CPython's pickler write exactly those globals.

Values (checked by tests/engine/tst_torchcheckpoint.cpp):
  a  float32 [2, 3]  a[i][j] = i * 3 + j + 0.5                      FloatStorage "0"
  b  float16 [3, 2]  the transpose of a 2x3 half tensor h[i][j] = (i*3+j) / 4, i.e. b[j][i] = h[i][j]
                     (stride (1, 3), offset 0)                       HalfStorage "1"
  c  int64   [4]     c[k] = k - 2, a view at offset 2 of storage "2" holding -100, -99, then c   LongStorage
  d  bfloat16 [2]    1.0, -2.0                                       BFloat16Storage "3"
  e  float32 [3]     a view of storage "0" at offset 3 (= a[1])      (shared storage)
  model_ema.x float32 [1]  7.0                                       FloatStorage "4"
"""
import collections, io, os, pickle, struct, sys, types, zipfile

HERE = os.path.dirname(os.path.abspath(__file__))

def module(name):
    m = types.ModuleType(name)
    sys.modules[name] = m
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, m)
    return m

torch = module("torch")
tutils = module("torch._utils")
pl = module("pytorch_lightning")
module("pytorch_lightning.callbacks")
plmc = module("pytorch_lightning.callbacks.model_checkpoint")
np = module("numpy")
module("numpy.core")
npm = module("numpy.core.multiarray")

def _rebuild_tensor_v2(*args):
    raise RuntimeError("never called")
_rebuild_tensor_v2.__module__ = "torch._utils"
tutils._rebuild_tensor_v2 = _rebuild_tensor_v2

def storage_class(name):
    c = type(name, (), {"__module__": "torch"})
    setattr(torch, name, c)
    return c
FloatStorage, HalfStorage, LongStorage, BFloat16Storage = (storage_class(n) for n in
    ("FloatStorage", "HalfStorage", "LongStorage", "BFloat16Storage"))

class ModelCheckpoint:
    pass
ModelCheckpoint.__module__ = "pytorch_lightning.callbacks.model_checkpoint"
plmc.ModelCheckpoint = ModelCheckpoint

def scalar(*args):
    raise RuntimeError("never called")
scalar.__module__ = "numpy.core.multiarray"
npm.scalar = scalar
class dtype:
    def __init__(self, *args):
        self.args = args
    def __reduce__(self):
        return (dtype, self.args, (3, "<", None, None, None, -1, -1, 0))
dtype.__module__ = "numpy"
np.dtype = dtype
class NumpyScalar:
    def __init__(self, value):
        self.value = value
    def __reduce__(self):
        return (scalar, (dtype("f8", False, True), struct.pack("<d", self.value)))

class Storage:
    def __init__(self, cls, key, raw, numel):
        self.cls, self.key, self.raw, self.numel = cls, key, raw, numel

class Tensor:
    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, size, stride, False, collections.OrderedDict())
    def __reduce_ex__(self, proto):
        return (_rebuild_tensor_v2, self.args)

class TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", obj.cls, obj.key, "cpu", obj.numel)
        return None

def f16(x):
    return struct.pack("<e", x)

def bf16(x):
    return struct.pack("<f", x)[2:]

def make(path, folder, protocol, lightning, compression=zipfile.ZIP_STORED):
    s0 = Storage(FloatStorage, "0", b"".join(struct.pack("<f", i + 0.5) for i in range(6)), 6)
    s1 = Storage(HalfStorage, "1", b"".join(f16(i / 4) for i in range(6)), 6)
    s2 = Storage(LongStorage, "2", b"".join(struct.pack("<q", v) for v in [-100, -99, -2, -1, 0, 1]), 6)
    s3 = Storage(BFloat16Storage, "3", bf16(1.0) + bf16(-2.0), 2)
    s4 = Storage(FloatStorage, "4", struct.pack("<f", 7.0), 1)
    sd = collections.OrderedDict()
    sd["a"] = Tensor(s0, 0, (2, 3), (3, 1))
    sd["b"] = Tensor(s1, 0, (3, 2), (1, 3))
    sd["c"] = Tensor(s2, 2, (4,), (1,))
    sd["d"] = Tensor(s3, 0, (2,), (1,))
    sd["e"] = Tensor(s0, 3, (3,), (1,))
    sd["model_ema.x"] = Tensor(s4, 0, (1,), (1,))
    sd["not_a_tensor"] = 42
    obj = {"state_dict": sd}
    if lightning:
        obj.update({"epoch": 6, "global_step": 470000, "pytorch-lightning_version": "1.4.2",
                    "callbacks": {ModelCheckpoint: {"monitor": None, "best_model_score": NumpyScalar(0.25)}},
                    "hparams": {"lr": 1.0e-4, "betas": (0.9, 0.999), "tags": {"a", "b"}, "big": 2 ** 70}})
    buf = io.BytesIO()
    TorchPickler(buf, protocol=protocol).dump(obj)
    with zipfile.ZipFile(path, "w", compression) as z:
        z.writestr(folder + "/data.pkl", buf.getvalue())
        z.writestr(folder + "/byteorder", "little")
        for s in (s0, s1, s2, s3, s4):
            z.writestr(folder + "/data/" + s.key, s.raw)
        z.writestr(folder + "/version", "3\n")

class Evil:
    def __init__(self, fn, arg):
        self.fn, self.arg = fn, arg
    def __reduce__(self):
        return (self.fn, (self.arg,))

if __name__ == "__main__":
    make(os.path.join(HERE, "cpython-protocol2.ckpt"), "archive", 2, True)
    make(os.path.join(HERE, "cpython-protocol4.ckpt"), "v1-5-pruned-emaonly", 4, False)
    # not what torch.save writes, but zip tools may recompress: read through libzip
    make(os.path.join(HERE, "cpython-deflated.ckpt"), "archive", 2, False, zipfile.ZIP_DEFLATED)
    # What a malicious checkpoint looks like: CPython writes os.system as its real module, posix.
    marker = "/tmp/qdiffusion-pickle-marker-must-not-exist"
    for name, fn, arg in (("os-system", os.system, "touch " + marker), ("builtins-eval", eval,
                          "open('" + marker + "', 'w')")):
        with open(os.path.join(HERE, "evil-" + name + ".pkl"), "wb") as f:
            pickle.dump({"state_dict": Evil(fn, arg)}, f, protocol=2)
