#!/usr/bin/env python3
"""Writes ONNX's node conformance tests (shipped in the onnx wheel as Python generators) to disk:

    <out>/cases/<name>/model.onnx
    <out>/cases/<name>/test_data_set_<k>/input_<i>.pb, output_<i>.pb   (TensorProto)

The layout is the one onnx's own backend test runner reads. Runs once: when <out>/cases/STAMP
names the installed onnx version the cases are already there and nothing is written.

    .venv/bin/python Tests/conformance/generate.py [--out out/conformance] [--force]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GENERATOR_VERSION = 2  # bump when the written layout changes: the stamp then forces a rewrite


def write_value(path: Path, value, vi) -> bool:
    """Writes one input/output as onnx's backend test runner does (TensorProto for tensors,
    SequenceProto/MapProto/OptionalProto for the others). Returns False for non-tensor values."""
    from onnx import TensorProto, numpy_helper
    t = vi.type
    if t.HasField("map_type"):
        data, ok = numpy_helper.from_dict(value, vi.name), False
    elif t.HasField("sequence_type"):
        data, ok = numpy_helper.from_list(value, vi.name), False
    elif t.HasField("optional_type"):
        data, ok = numpy_helper.from_optional(value, vi.name), False
    elif isinstance(value, TensorProto):
        data, ok = value, True
    else:
        data, ok = numpy_helper.from_array(value, vi.name), True
    path.write_bytes(data.SerializeToString())
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(REPO / "out" / "conformance"))
    ap.add_argument("--force", action="store_true", help="rewrite even if the stamp matches")
    args = ap.parse_args()

    import onnx
    root = Path(args.out) / "cases"
    stamp = root / "STAMP"
    want = f"onnx {onnx.__version__}\ngenerator {GENERATOR_VERSION}\n"
    if not args.force and stamp.is_file() and stamp.read_text() == want:
        n = sum(1 for p in root.iterdir() if p.is_dir())
        print(f"conformance cases: {n} in {root} (onnx {onnx.__version__}, already generated)")
        return 0

    t0 = time.time()
    if root.exists():
        shutil.rmtree(root)
    tmp = root.with_name("cases.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)

    from onnx.backend.test.case import node
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = node.collect_testcases(None)
    written = skipped = 0
    for case in cases:
        d = tmp / case.name
        if d.exists():  # duplicate names never happen in practice; keep the first
            continue
        d.mkdir()
        (d / "model.onnx").write_bytes(case.model.SerializeToString())
        ok = True
        for k, (inputs, outputs) in enumerate(case.data_sets):
            ds = d / f"test_data_set_{k}"
            ds.mkdir()
            g = case.model.graph
            for i, v in enumerate(inputs):
                ok &= write_value(ds / f"input_{i}.pb", v, g.input[i])
            for i, v in enumerate(outputs):
                ok &= write_value(ds / f"output_{i}.pb", v, g.output[i])
        if not ok:
            (d / "NOT_TENSORS").write_text("an input or output is not a plain tensor\n")
            skipped += 1
        written += 1
    tmp.rename(root)
    stamp.write_text(want)
    print(f"conformance cases: wrote {written} to {root} ({skipped} with non-tensor values) "
          f"from onnx {onnx.__version__} in {time.time() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
