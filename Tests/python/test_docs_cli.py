"""The generated supported-ops table is current, and `dlrt inspect --json/--graph` work."""
import json
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_supported_ops_table_is_current(cli):
    out = subprocess.run([cli, "ops", "--markdown"], capture_output=True, text=True, check=True).stdout
    committed = (REPO / "docs" / "SUPPORTED_OPS.md").read_text()
    assert out == committed, "docs/SUPPORTED_OPS.md is stale: run `dlrt ops --markdown > docs/SUPPORTED_OPS.md`"


def test_inspect_json_and_graph(cli, convert, tmp_path):
    path = convert(REPO / "examples" / "digits" / "digits_cnn.onnx", "digits_cnn")
    r = subprocess.run([cli, "inspect", path, "--json"], capture_output=True, text=True, check=True)
    info = json.loads(r.stdout)
    assert info["inputs"] == [{"name": "input", "dtype": "float32", "shape": ["batch", 1, 8, 8]}]
    assert info["metadata"]["labels"] == "0,1,2,3,4,5,6,7,8,9"
    assert info["op_counts"]["Conv"] == 2
    conv = next(n for n in info["nodes"] if n["op"] == "Conv")
    assert conv["attributes"]["kernel_shape"] == [3, 3]
    dot = tmp_path / "g.dot"
    subprocess.run([cli, "inspect", path, "--graph", str(dot)], check=True, capture_output=True)
    text = dot.read_text()
    assert text.startswith("digraph dlrt {") and "Conv" in text and "probabilities" in text
    bad = subprocess.run([cli, "inspect", path, "--graph", str(tmp_path / "g.txt")], capture_output=True, text=True)
    assert bad.returncode != 0 and "unknown file type" in bad.stderr
