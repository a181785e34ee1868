"""Writes raw seed inputs for the fuzzers: every ONNX model of Tests/python/models.py, the
converter's fixtures and the digits CNN (as .onnx), and their conversions to .dlrt (with the CLI).
`make fuzz-corpus` then minimises them with libFuzzer's -merge=1 into Tests/fuzz/corpus/.

usage: make_seeds.py CLI OUTDIR   (writes OUTDIR/onnx/* and OUTDIR/dlrt/*)"""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "python"))


def main() -> None:
    cli, out = Path(sys.argv[1]), Path(sys.argv[2])
    (out / "onnx").mkdir(parents=True, exist_ok=True)
    (out / "dlrt").mkdir(parents=True, exist_ok=True)
    onnx_files = []
    import models  # noqa: E402  (needs onnx; from the venv)
    for case in models.all_cases():
        p = out / "onnx" / f"{case.name}.onnx"
        p.write_bytes(case.model.SerializeToString())
        onnx_files.append(p)
    fixtures = sorted((ROOT / "Tests" / "DLRTONNXTests" / "Fixtures").glob("*.onnx"))
    for f in fixtures + [ROOT / "examples" / "digits" / "digits_cnn.onnx"]:
        p = out / "onnx" / f.name
        p.write_bytes(f.read_bytes())
        onnx_files.append(p)
    converted = 0
    for p in onnx_files:
        d = out / "dlrt" / (p.stem + ".dlrt")
        r = subprocess.run([str(cli), "convert", str(p), "-o", str(d)], capture_output=True)
        converted += r.returncode == 0
    print(f"seeds: {len(onnx_files)} onnx, {converted} dlrt in {out}")


if __name__ == "__main__":
    main()
