"""A minimal, independent writer of .dlrt 1.0 files (docs/FORMAT.md), used to test the binding and
the reader without the converter, and to craft files the converter would never write."""
from __future__ import annotations

import struct
import zlib
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

MAGIC = b"\x89DLRT\r\n\x1a"
DTYPES = {np.dtype(np.float32): 1, np.dtype(np.float16): 2, np.dtype(np.int8): 3, np.dtype(np.uint8): 4,
          np.dtype(np.int32): 5, np.dtype(np.int64): 6, np.dtype(np.bool_): 7}
OPS = {"Gemm": 1, "MatMul": 2, "Conv": 3, "MaxPool": 4, "AveragePool": 5, "GlobalAveragePool": 6,
       "BatchNormalization": 7, "Relu": 8, "LeakyRelu": 9, "Elu": 10, "Sigmoid": 11, "Tanh": 12, "Clip": 13,
       "Softmax": 14, "Add": 15, "Sub": 16, "Mul": 17, "Div": 18, "Flatten": 19, "Reshape": 20, "Concat": 21,
       "Transpose": 22, "Identity": 23, "GlobalMaxPool": 24}
SECTION = {"tensors": 1, "nodes": 2, "io": 3, "metadata": 4, "weights": 5}


def _str(s: str) -> bytes:
    b = s.encode("utf-8")
    return struct.pack("<I", len(b)) + b


def _pad(n: int) -> int:
    return (n + 63) // 64 * 64


class Writer:
    def __init__(self):
        self.tensors: List[Tuple[str, np.dtype, Sequence[Union[int, str]], Optional[np.ndarray]]] = []
        self.ids: Dict[str, int] = {}
        self.nodes: List[Tuple[str, int, List[int], List[int], dict]] = []
        self.inputs: List[int] = []
        self.outputs: List[int] = []
        self.metadata: List[Tuple[str, str]] = []

    def tensor(self, name: str, dtype=np.float32, shape: Sequence[Union[int, str]] = (), data=None) -> int:
        if data is not None:
            data = np.ascontiguousarray(data, dtype=dtype)
            shape = data.shape
        self.ids[name] = len(self.tensors)
        self.tensors.append((name, np.dtype(dtype), tuple(shape), data))
        return self.ids[name]

    def const(self, name: str, value, dtype=np.float32) -> int:
        return self.tensor(name, dtype, data=np.asarray(value, dtype=dtype))

    def node(self, op: str, inputs: Sequence[str], outputs: Sequence[str], name: str = "", **attrs) -> None:
        self.nodes.append((name, OPS[op], [self.ids[i] if i else -1 for i in inputs],
                           [self.ids[o] for o in outputs], attrs))

    def _attr(self, key: str, v) -> bytes:
        if isinstance(v, bool) or isinstance(v, (int, np.integer)):
            return _str(key) + struct.pack("<Bq", 1, int(v))
        if isinstance(v, float):
            return _str(key) + struct.pack("<Bf", 2, v)
        if isinstance(v, str):
            return _str(key) + b"\x05" + _str(v)
        v = list(v)
        if all(isinstance(e, (int, np.integer)) for e in v):
            return _str(key) + struct.pack("<BI", 3, len(v)) + struct.pack(f"<{len(v)}q", *v)
        return _str(key) + struct.pack("<BI", 4, len(v)) + struct.pack(f"<{len(v)}f", *v)

    def tobytes(self) -> bytes:
        sec_order = ["weights", "tensors", "nodes", "io", "metadata"]
        n_sec = len(sec_order)
        table_size = n_sec * 32
        first = _pad(64 + table_size)
        # weights: lay out constants first (absolute offsets are needed in the tensor table)
        weights = bytearray()
        offsets = {}
        for i, (_, _, _, data) in enumerate(self.tensors):
            if data is not None:
                offsets[i] = first + len(weights)
                weights += data.tobytes()
                weights += b"\0" * (_pad(len(weights)) - len(weights))
        tens = bytearray(struct.pack("<I", len(self.tensors)))
        for i, (name, dt, shape, data) in enumerate(self.tensors):
            rec = bytearray(_str(name) + struct.pack("<BBHI", DTYPES[dt], 1 if data is not None else 0, 0, len(shape)))
            for d in shape:
                rec += struct.pack("<Bq", 0, d) if isinstance(d, (int, np.integer)) else b"\x01" + _str(d)
            if data is not None:
                rec += struct.pack("<QQ", offsets[i], data.nbytes)
            tens += struct.pack("<I", len(rec)) + rec
        nodes = bytearray(struct.pack("<I", len(self.nodes)))
        for name, op, ins, outs, attrs in self.nodes:
            rec = bytearray(_str(name) + struct.pack("<HH", op, 1))
            rec += struct.pack(f"<I{len(ins)}i", len(ins), *ins) + struct.pack(f"<I{len(outs)}i", len(outs), *outs)
            rec += struct.pack("<I", len(attrs))
            for k in sorted(attrs, key=lambda k: k.encode()):
                rec += self._attr(k, attrs[k])
            nodes += struct.pack("<I", len(rec)) + rec
        io = struct.pack(f"<I{len(self.inputs)}i", len(self.inputs), *self.inputs) + \
            struct.pack(f"<I{len(self.outputs)}i", len(self.outputs), *self.outputs)
        meta = bytearray(struct.pack("<I", len(self.metadata)))
        for k, v in self.metadata:
            meta += _str(k) + _str(v)
        bodies = {"weights": bytes(weights), "tensors": bytes(tens), "nodes": bytes(nodes), "io": io,
                  "metadata": bytes(meta)}
        out = bytearray(first)
        table = bytearray()
        for s in sec_order:
            off = len(out)
            assert off % 64 == 0
            body = bodies[s]
            if s == "weights":
                assert off == first
            table += struct.pack("<IIQQII", SECTION[s], 0 if s == "metadata" else 1, off, len(body),
                                 zlib.crc32(body), 0)
            out += body
            if s != sec_order[-1]:
                out += b"\0" * (_pad(len(out)) - len(out))
        out[64:64 + table_size] = table
        header = MAGIC + struct.pack("<HHIQQIII", 1, 0, 64, len(out), 64, n_sec, zlib.crc32(bytes(table)), 0)
        header += b"\0" * 16
        header += struct.pack("<I", zlib.crc32(header))
        assert len(header) == 64
        out[0:64] = header
        return bytes(out)


def mlp_file(seed: int = 0) -> Tuple[bytes, Dict[str, np.ndarray]]:
    """x [batch, 4] -> Gemm(transB) -> Relu -> y [batch, 3]; returns the file bytes and weights."""
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    f = Writer()
    f.inputs.append(f.tensor("x", np.float32, ("batch", 4)))
    f.const("w", w)
    f.const("b", b)
    f.tensor("h", np.float32, ("batch", 3))
    f.tensor("y", np.float32, ("batch", 3))
    f.node("Gemm", ["x", "w", "b"], ["h"], name="fc", transB=1)
    f.node("Relu", ["h"], ["y"], name="relu")
    f.outputs.append(f.ids["y"])
    f.metadata += [("producer", "dlrt_writer.py"), ("labels", "a,b,c")]
    return f.tobytes(), {"w": w, "b": b}
