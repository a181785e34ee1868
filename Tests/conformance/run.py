#!/usr/bin/env python3
"""ONNX conformance: runs ONNX's node test cases (written by generate.py) through dlrt.

Scope: a case is in scope when every op of its graph is in docs/SUPPORTED_OPS.md's table "ONNX ops
the converter accepts" (default domain). Each in-scope case is converted with the CLI
(`dlrt convert`), loaded and run through the Python binding, and every output is compared with
the expected one: same dtype and shape, NaN at the same positions, |got - want| <= atol + rtol·|want|
(rtol 1e-3, atol 1e-5) for floats, exact equality otherwise.

Every case ends in one class:
  pass            all outputs of all data sets match
  refused         `dlrt convert` exited with an error message (an unsupported op, attribute or
                  dtype: acceptable behaviour, but a gap, so it is listed in expected_failures.txt)
  runtime-error   the model did not load or `run` raised dlrt.Error
  mismatch        an output differs (value, shape or dtype) or is missing
  crash           the converter or the process running the binding died (signal, abort)
  timeout         the case took longer than --timeout seconds

Cases run in worker processes (--jobs of them), so a crash is recorded and the worker replaced.
Failures (anything but pass) must be listed in Tests/conformance/expected_failures.txt, one
`case  # kind: reason` per line; a failure not listed there, or listed with another kind, is a
regression and makes the runner exit 1. Listed cases that now pass are reported (delete them).

    .venv/bin/python Tests/conformance/run.py [--jobs 2] [--timeout 60] [-k REGEX] [-v]
    .venv/bin/python Tests/conformance/run.py --backend ort     # the same cases through onnxruntime
    .venv/bin/python Tests/conformance/run.py --write-expected  # rewrite the list from this run

Environment: DLRT_CLI (default .build/release/dlrt), DLRT_LIBRARY (default: what the binding finds).
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
EXPECTED = HERE / "expected_failures.txt"
SUPPORTED = REPO / "docs" / "SUPPORTED_OPS.md"
RTOL, ATOL = 1e-3, 1e-5
KINDS = ("pass", "refused", "runtime-error", "mismatch", "crash", "timeout")
FAIL_KINDS = ("runtime-error", "mismatch", "crash", "timeout")


# ---------------------------------------------------------------------------------------------
# scope


def supported_ops(path: Path = SUPPORTED) -> set[str]:
    """The ONNX op names of the table under the heading "ONNX ops the converter accepts"."""
    ops: set[str] = set()
    in_section = False
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            in_section = "ONNX ops the converter accepts" in line
            continue
        if in_section and line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not cells or cells[0] in ("ONNX op", "") or set(cells[0]) <= set("-: "):
                continue
            ops.add(cells[0].strip("`*"))
    if not ops:
        raise SystemExit(f"no ops found under 'ONNX ops the converter accepts' in {path}")
    return ops


def graph_ops(graph) -> list[str]:
    """Every op of the graph and of its subgraphs, as 'Op' (default domain) or 'domain:Op'."""
    out = []
    for n in graph.node:
        out.append(n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}:{n.op_type}")
        for a in n.attribute:
            if a.g is not None and a.HasField("g"):
                out += graph_ops(a.g)
            for g in a.graphs:
                out += graph_ops(g)
    return out


# ---------------------------------------------------------------------------------------------
# worker side: one case at a time, results as JSON lines on the protocol pipe


def _short(msg: str, case_dir: str | None = None, limit: int = 400) -> str:
    msg = msg.strip()
    lines = [l for l in msg.splitlines() if l.strip() and not l.startswith("warning:")]
    msg = " ".join(lines) if lines else msg
    if case_dir:
        msg = msg.replace(str(Path(case_dir) / "model.onnx") + ": ", "").replace(str(case_dir) + "/", "")
    msg = re.sub(r"^dlrt: ", "", msg)
    msg = re.sub(r"^(?:DLRT_ERROR_\w+: )", lambda m: m.group(0), msg)
    msg = re.sub(r" \(supported: [^)]*\)", "", msg)
    return msg if len(msg) <= limit else msg[: limit - 1] + "…"


def compare(got, want) -> str | None:
    """None if got matches want, else a description of the first problem."""
    import numpy as np
    if got.dtype != want.dtype:
        return f"dtype {got.dtype} != expected {want.dtype}"
    if got.shape != want.shape:
        return f"shape {list(got.shape)} != expected {list(want.shape)}"
    if got.size == 0:
        return None
    if want.dtype.kind in "fc":
        gn, wn = np.isnan(got), np.isnan(want)
        if (gn != wn).any():
            idx = np.unravel_index(np.argmax(gn != wn), got.shape)
            return (f"NaN positions differ at {int((gn != wn).sum())}/{got.size} elements, "
                    f"e.g. {tuple(int(i) for i in idx)}: got {got[idx]!r}, expected {want[idx]!r}")
        with np.errstate(all="ignore"):
            bad = ~np.isclose(got, want, rtol=RTOL, atol=ATOL, equal_nan=True)
            if not bad.any():
                return None
            err = np.where(bad, np.abs(got.astype(np.float64) - want.astype(np.float64)), 0)
            err = np.where(np.isnan(err), np.inf, err)
        idx = np.unravel_index(np.argmax(err), got.shape)
        return (f"max abs err {err[idx]:.3g} at {tuple(int(i) for i in idx)} (got {got[idx]!r}, "
                f"expected {want[idx]!r}); {int(bad.sum())}/{bad.size} elements off")
    if not np.array_equal(got, want):
        bad = got != want
        idx = np.unravel_index(np.argmax(bad), got.shape)
        return (f"{int(bad.sum())}/{bad.size} elements differ, e.g. {tuple(int(i) for i in idx)}: "
                f"got {got[idx]!r}, expected {want[idx]!r}")
    return None


def load_data_sets(case_dir: Path, graph):
    """[(feeds {name: ndarray}, expected {name: ndarray})] for each test_data_set_k."""
    import onnx
    from onnx import numpy_helper
    sets = []
    for ds in sorted(case_dir.glob("test_data_set_*"), key=lambda p: int(p.name.rsplit("_", 1)[1])):
        feeds, want = {}, {}
        for i, vi in enumerate(graph.input):
            p = ds / f"input_{i}.pb"
            if p.is_file():
                t = onnx.TensorProto()
                t.ParseFromString(p.read_bytes())
                feeds[vi.name] = numpy_helper.to_array(t)
        for i, vi in enumerate(graph.output):
            p = ds / f"output_{i}.pb"
            if p.is_file():
                t = onnx.TensorProto()
                t.ParseFromString(p.read_bytes())
                want[vi.name] = numpy_helper.to_array(t)
        sets.append((feeds, want))
    return sets


def check_outputs(got: dict, want: dict, ds: int, multi: bool) -> str | None:
    where = f"data set {ds}: " if multi else ""
    for name, w in want.items():
        if name not in got:
            return f"{where}output {name!r} missing (dlrt outputs: {sorted(got)})"
        problem = compare(got[name], w)
        if problem:
            return f"{where}output {name!r}: {problem}"
    return None


CONST_VARIANT = "@const"
NEEDS_CONSTANT = re.compile(r"not a constant|must be a constant|only accepted when the converter can compute it ahead|is computed in the graph")


def convert(cli: str, src: Path, dst: Path, timeout: float, case_dir: Path) -> dict | None:
    """Runs `dlrt convert`; None on success, else the case's result."""
    if dst.exists():
        dst.unlink()
    try:
        r = subprocess.run([cli, "convert", str(src), "-o", str(dst)], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"kind": "timeout", "msg": f"dlrt convert took more than {timeout:g}s"}
    if r.returncode < 0 or r.returncode > 128:
        sig = -r.returncode if r.returncode < 0 else r.returncode - 128
        return {"kind": "crash", "msg": f"dlrt convert died with signal {_signame(sig)}: "
                                        f"{_short(r.stderr[-2000:], str(case_dir))}"}
    if r.returncode != 0:
        return {"kind": "refused", "msg": _short((r.stderr or r.stdout).replace(str(src), str(case_dir / "model.onnx")),
                                                 str(case_dir))}
    if not dst.is_file():
        return {"kind": "runtime-error", "msg": "dlrt convert exited 0 but wrote no file"}
    return None


def frozen(model, feeds: dict, keep: set):
    """A copy of the model with every graph input not in `keep` turned into an initializer
    holding the data set's value (how weights, shapes and axes arrive in real models)."""
    import onnx
    from onnx import numpy_helper
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    drop = [vi for vi in g.input if vi.name not in keep and vi.name in feeds]
    for vi in drop:
        g.initializer.append(numpy_helper.from_array(feeds[vi.name], vi.name))
        g.input.remove(vi)
    return m, [vi.name for vi in drop]


def run_case_dlrt(case_arg: str, cli: str, timeout: float, tmp: Path) -> dict:
    """Converts and runs one case. `case_arg` is a case directory, or a directory followed by
    @const: the case with its inputs turned into initializers (first all but input 0, and if the
    converter still needs constants, all of them), on data set 0."""
    import onnx
    import dlrt
    variant = case_arg.endswith(CONST_VARIANT)
    case_dir = Path(case_arg[: -len(CONST_VARIANT)] if variant else case_arg)
    model = onnx.load(str(case_dir / "model.onnx"), load_external_data=False)
    sets = load_data_sets(case_dir, model.graph)
    dst = tmp / "model.dlrt"
    note = ""
    if not variant:
        res = convert(cli, case_dir / "model.onnx", dst, timeout, case_dir)
        if res is not None:
            return res
    else:
        sets = sets[:1]
        feeds = sets[0][0]
        first = model.graph.input[0].name if len(model.graph.input) else None
        res = None
        for keep in ({first}, set()):
            m, names = frozen(model, feeds, keep)
            if not names:
                continue
            src = tmp / "frozen.onnx"
            src.write_bytes(m.SerializeToString())
            res = convert(cli, src, dst, timeout, case_dir)
            note = f"constant {', '.join(names)}"
            if res is None or res["kind"] != "refused" or not NEEDS_CONSTANT.search(res["msg"]):
                break
        if res is not None:
            res["msg"] = f"({note}) {res['msg']}"
            return res
    try:
        m = dlrt.Model(str(dst), threads=1)
    except dlrt.Error as e:
        return {"kind": "runtime-error", "msg": "load: " + _short(str(e))}
    try:
        names = {t.name for t in m.inputs}
        for k, (feeds, want) in enumerate(sets):
            extra = set(feeds) - names
            feeds = {n: v for n, v in feeds.items() if n in names}
            if names - set(feeds):
                return {"kind": "runtime-error",
                        "msg": f"model inputs {sorted(names)} not all in the case's inputs {sorted(feeds) + sorted(extra)}"}
            try:
                got = m.run(feeds)
            except dlrt.Error as e:
                return {"kind": "runtime-error", "msg": ("" if len(sets) == 1 else f"data set {k}: ") + _short(str(e))}
            problem = check_outputs(got, want, k, len(sets) > 1)
            if problem:
                return {"kind": "mismatch", "msg": (f"({note}) " if note else "") + problem}
    finally:
        m.close()
    return {"kind": "pass", "msg": note}


def run_case_ort(case_dir: Path) -> dict:
    import onnx
    import onnxruntime as ort
    model = onnx.load(str(case_dir / "model.onnx"), load_external_data=False)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.log_severity_level = 3
    try:
        sess = ort.InferenceSession(str(case_dir / "model.onnx"), so, providers=["CPUExecutionProvider"])
    except Exception as e:  # NOT_IMPLEMENTED, INVALID_GRAPH, …
        return {"kind": "refused", "msg": _short(str(e), str(case_dir))}
    sets = load_data_sets(case_dir, model.graph)
    for k, (feeds, want) in enumerate(sets):
        names = [o.name for o in sess.get_outputs()]
        try:
            vals = sess.run(names, {i.name: feeds[i.name] for i in sess.get_inputs() if i.name in feeds})
        except Exception as e:
            return {"kind": "runtime-error", "msg": _short(str(e), str(case_dir))}
        got = {n: v for n, v in zip(names, vals) if hasattr(v, "dtype")}
        problem = check_outputs(got, want, k, len(sets) > 1)
        if problem:
            return {"kind": "mismatch", "msg": problem}
    return {"kind": "pass", "msg": ""}


def _signame(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return str(sig)


def worker_main(backend: str, cli: str, timeout: float) -> int:
    """Reads case directories (one per line) on stdin; answers one JSON line each on the
    protocol fd (the original stdout; fd 1 is pointed at stderr so library output cannot
    corrupt the protocol). Writes '== <case>' to stderr before each case."""
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    sys.path.insert(0, str(REPO / "bindings" / "python"))
    import numpy  # noqa: F401  (import cost paid once, before the first case)
    import onnx  # noqa: F401
    if backend == "dlrt":
        import dlrt
        dlrt.version()  # loads the library now: a missing library fails the worker, not a case
    else:
        import onnxruntime  # noqa: F401
    selftest = dict(reversed(x.split(":", 1)) for x in os.environ.get("DLRT_CONFORMANCE_SELFTEST", "").split(",") if ":" in x)
    proto.write(json.dumps({"ready": True}) + "\n")
    with tempfile.TemporaryDirectory(prefix="dlrt-conformance-") as tmp:
        for line in sys.stdin:
            case_arg = line.strip()
            if not case_arg:
                continue
            case_dir = Path(case_arg.split("@")[0])
            print(f"== {Path(case_arg).name}", file=sys.stderr, flush=True)
            t0 = time.time()
            # Self-test of the isolation (make conformance-selftest): crash or stall on purpose.
            if selftest.get(Path(case_arg).name) == "crash":
                os.abort()
            if selftest.get(Path(case_arg).name) == "hang":
                time.sleep(10 ** 6)
            try:
                res = run_case_dlrt(case_arg, cli, timeout, Path(tmp)) if backend == "dlrt" else run_case_ort(case_dir)
            except Exception as e:  # a bug in this script or an unexpected binding error
                res = {"kind": "runtime-error", "msg": f"{type(e).__name__}: {_short(str(e))}"}
            res["seconds"] = round(time.time() - t0, 3)
            proto.write(json.dumps(res) + "\n")
    return 0


# ---------------------------------------------------------------------------------------------
# runner side


class Worker:
    """A `run.py --worker` process. run(case) returns the result dict, or a crash/timeout
    result if the process dies or stalls (the process is then killed and restarted)."""

    def __init__(self, args, log_dir: Path, slot: int):
        self.args, self.log_dir, self.slot, self.n = args, log_dir, slot, 0
        self.proc = None
        self.start()

    def start(self) -> None:
        self.n += 1
        self.log_path = self.log_dir / f"worker{self.slot}.{self.n}.log"
        self.log = open(self.log_path, "w")
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", "--backend", self.args.backend,
               "--cli", self.args.cli, "--timeout", str(self.args.timeout)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                     text=False, start_new_session=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))
        self.buf = b""
        line = self._readline(120)
        if line is None or not json.loads(line).get("ready"):
            self.kill()
            raise SystemExit(f"conformance worker failed to start; see {self.log_path}:\n"
                             + self.log_path.read_text()[-3000:])

    def _readline(self, timeout: float) -> bytes | None:
        fd = self.proc.stdout.fileno()
        deadline = time.time() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.time()
            if left <= 0:
                return None
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return b""  # EOF: the worker died
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc:
            self.proc.wait()
        self.log.close()

    def _death_message(self, case: str) -> str:
        self.log.flush()
        text = self.log_path.read_text(errors="replace")
        tail = text.rsplit(f"== {case}\n", 1)[-1]
        lines = [l for l in tail.splitlines() if l.strip()]
        interesting = [l for l in lines if re.search(r"error|fatal|assert|overflow|abort|segment|trap", l, re.I)]
        return _short(" | ".join((interesting or lines)[:3]), limit=300) if lines else ""

    def run(self, case: str) -> dict:
        try:
            self.proc.stdin.write((case + "\n").encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass
        # The worker enforces the timeout on `convert`; the extra margin covers loading and running.
        line = self._readline(self.args.timeout * 2 + 10)
        if line:
            return json.loads(line)
        if line is None:
            res = {"kind": "timeout", "msg": f"no answer in {self.args.timeout * 2 + 10:g}s"}
            self.kill()
        else:
            self.proc.wait()
            rc = self.proc.returncode
            how = f"signal {_signame(-rc)}" if rc < 0 else f"exit status {rc}"
            detail = self._death_message(Path(case).name)
            res = {"kind": "crash", "msg": f"the process running the binding died ({how})" + (f": {detail}" if detail else "")}
            self.kill()
        self.start()
        return res


def read_expected(path: Path) -> dict[str, tuple[str | None, str]]:
    """{case: (kind or None, reason)} from lines `case  # kind: reason`."""
    out = {}
    if not path.is_file():
        return out
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, _, reason = line.partition("#")
        name, reason = name.strip(), reason.strip()
        kind = None
        m = re.match(r"^([a-z-]+):\s*(.*)$", reason)
        if m and m.group(1) in KINDS:
            kind, reason = m.group(1), m.group(2)
        out[name] = (kind, reason)
    return out


def short_reason(msg: str) -> str:
    """A refusal or failure message shortened for expected_failures.txt."""
    prefix = ""
    m = re.match(r"^(\(constant [^)]*\)) (.*)$", msg)
    if m:
        prefix, msg = m.group(1) + " ", m.group(2)
    m = re.search(r"node '[^']*' \((\w+)\): op not supported by dlrt; \w+ is only accepted when the converter can "
                  r"compute it ahead of time", msg)
    if m:
        msg = (f"{m.group(1)} still not folded (op on a runtime value or unsupported input types)" if prefix else
               f"{m.group(1)} on runtime inputs (only folded when its inputs are constants)")
    msg = re.sub(r"^node '[^']*' \((\w+)\): ", r"\1: ", msg)
    msg = re.sub(r"^load: DLRT_ERROR_\w+: ", "at load: ", msg)
    msg = re.sub(r" \(got np\.\w+\(([^)]*)\), expected np\.\w+\(([^)]*)\)\)", r" (got \1, expected \2)", msg)
    msg = prefix + msg
    return msg if len(msg) <= 160 else msg[:159] + "…"


def write_expected(path: Path, results: dict, case_ops: dict, old: dict) -> None:
    header = [
        "# ONNX node conformance cases (Tests/conformance/run.py) that are in scope but do not pass.",
        "# One case per line: `name  # kind: reason`, kind one of refused, runtime-error, mismatch, crash,",
        "# timeout. A failing case not listed here (or listed with another kind) fails `make conformance`;",
        "# a listed case that passes is reported and should be deleted. Refusals are acceptable behaviour",
        "# (the converter names what it does not support) but are listed so this file documents every gap.",
        "# Regenerate with `Tests/conformance/run.py --write-expected` (keeps hand-written reasons of",
        "# entries whose kind is unchanged), then review the diff. `case@const` is the case rerun with its",
        "# inputs as initializers (for cases refused because an input must be a constant).",
        "",
    ]
    groups: dict[str, list[str]] = collections.defaultdict(list)
    for name in sorted(results):
        r = results[name]
        if r["kind"] == "pass":
            continue
        ok, oreason = old.get(name, (None, ""))
        reason = oreason if ok == r["kind"] and oreason else short_reason(r["msg"])
        reason = reason.replace("\n", " ")
        first = sorted(set(case_ops[name]))
        groups[" ".join(first)].append(f"{name}  # {r['kind']}: {reason}")
    body = []
    for ops in sorted(groups):
        body.append(f"# --- {ops}")
        body += groups[ops]
        body.append("")
    path.write_text("\n".join(header + body))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", default=str(REPO / "out" / "conformance" / "cases"))
    ap.add_argument("--cli", default=os.environ.get("DLRT_CLI", str(REPO / ".build" / "release" / "dlrt")))
    ap.add_argument("--backend", choices=("dlrt", "ort"), default="dlrt")
    ap.add_argument("--jobs", "-j", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=60, help="seconds per case (default 60)")
    ap.add_argument("-k", dest="pattern", help="only cases whose name matches this regex")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every case's result")
    ap.add_argument("--expected", default=str(EXPECTED))
    ap.add_argument("--write-expected", action="store_true", help="rewrite the expected-failures list from this run")
    ap.add_argument("--no-const", action="store_true",
                    help="do not rerun refused cases with their inputs as constants (the @const variants)")
    ap.add_argument("--json", help="also write every case's result to this file")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker_main(args.backend, args.cli, args.timeout)

    import onnx
    t0 = time.time()
    cases_root = Path(args.cases)
    if not cases_root.is_dir():
        print(f"no cases in {cases_root}: run Tests/conformance/generate.py first", file=sys.stderr)
        return 2
    if args.backend == "dlrt" and not (os.path.isfile(args.cli) and os.access(args.cli, os.X_OK)):
        print(f"dlrt CLI not found at {args.cli}: run `make build` or set DLRT_CLI", file=sys.stderr)
        return 2
    scope = supported_ops()
    all_cases = sorted(p for p in cases_root.iterdir() if p.is_dir() and (p / "model.onnx").is_file())
    total = len(all_cases)
    case_ops: dict[str, list[str]] = {}
    in_scope: list[Path] = []
    skipped_non_tensor = 0
    for p in all_cases:
        m = onnx.load(str(p / "model.onnx"), load_external_data=False)
        ops = graph_ops(m.graph)
        if ops and all(o in scope for o in ops):
            if (p / "NOT_TENSORS").exists():
                skipped_non_tensor += 1
                continue
            case_ops[p.name] = ops
            in_scope.append(p)
    n_scope = len(in_scope)
    selected = [p for p in in_scope if not args.pattern or re.search(args.pattern, p.name)]

    log_dir = cases_root.parent / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict] = {}
    jobs = max(1, min(args.jobs, len(selected) or 1))
    print(f"conformance: {total} ONNX node cases, {n_scope} in scope ({len(scope)} ops of {SUPPORTED.relative_to(REPO)}); "
          f"running {len(selected)} with {args.backend}, {jobs} worker(s)", flush=True)

    # A simple scheduler over `jobs` workers: select on whichever answers first.
    import threading
    queue = list(reversed(selected))
    lock = threading.Lock()

    def slot(i: int) -> None:
        w = Worker(args, log_dir, i)
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    p = queue.pop()
                res = w.run(str(p))
                name = Path(p).name
                with lock:
                    results[name] = res
                    if not str(p).endswith(CONST_VARIANT) and res["kind"] == "refused" and not args.no_const \
                            and NEEDS_CONSTANT.search(res["msg"]):
                        case_ops[name + CONST_VARIANT] = case_ops[name]
                        queue.append(str(p) + CONST_VARIANT)
                    if args.verbose or res["kind"] in ("crash", "timeout"):
                        print(f"  {res['kind']:<13} {name}  {res['msg']}", flush=True)
        finally:
            w.kill()

    threads = [threading.Thread(target=slot, args=(i,)) for i in range(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    missing = [p.name for p in selected if p.name not in results]
    variants = sorted(n for n in results if n.endswith(CONST_VARIANT))
    if missing:
        print(f"internal error: no result for {missing[:5]}…", file=sys.stderr)
        return 2

    # ---- report -------------------------------------------------------------------------------
    per_op: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for name, r in results.items():
        for op in sorted(set(case_ops[name])):
            if name.endswith(CONST_VARIANT):
                per_op[op]["const"] += 1
                per_op[op]["const_pass"] += r["kind"] == "pass"
                continue
            per_op[op]["cases"] += 1
            per_op[op]["pass" if r["kind"] == "pass" else "refused" if r["kind"] == "refused" else "fail"] += 1
    print()
    print(f"{'op':<20} {'cases':>6} {'pass':>6} {'refused':>8} {'fail':>6}   {'@const pass/run':>15}")
    for op in sorted(per_op, key=lambda o: (-(per_op[o]["refused"] + per_op[o]["fail"]), o)):
        c = per_op[op]
        cv = f"{c['const_pass']}/{c['const']}" if c["const"] else ""
        print(f"{op:<20} {c['cases']:>6} {c['pass']:>6} {c['refused']:>8} {c['fail']:>6}   {cv:>15}")
    unused = sorted(scope - set(per_op))
    if unused and not args.pattern:
        print(f"(no in-scope case uses: {', '.join(unused)})")
    if variants:
        print(f"(@const: refused for a non-constant input, rerun on data set 0 with the inputs as initializers)")

    kinds = collections.Counter(r["kind"] for n, r in results.items() if not n.endswith(CONST_VARIANT))
    vkinds = collections.Counter(results[n]["kind"] for n in variants)
    print()
    print("results: " + ", ".join(f"{kinds[k]} {k}" for k in KINDS if kinds[k] or k == "pass"))
    if variants:
        print(f"@const variants: " + ", ".join(f"{vkinds[k]} {k}" for k in KINDS if vkinds[k] or k == "pass"))
    if skipped_non_tensor:
        print(f"({skipped_non_tensor} in-scope cases with non-tensor inputs/outputs not run)")

    if args.json:
        Path(args.json).write_text(json.dumps({n: dict(r, ops=sorted(set(case_ops[n]))) for n, r in sorted(results.items())}, indent=1))

    if args.backend != "dlrt":
        print(f"{args.backend}: {kinds['pass']} of {len(results)} in-scope cases pass "
              f"({time.time() - t0:.0f}s)")
        return 0

    expected = read_expected(Path(args.expected))
    if args.write_expected:
        if args.pattern:
            print("--write-expected needs the full run (no -k)", file=sys.stderr)
            return 2
        write_expected(Path(args.expected), results, case_ops, expected)
        print(f"wrote {args.expected}")
        expected = read_expected(Path(args.expected))

    unexpected, changed, now_pass = [], [], []
    for name in sorted(results):
        r = results[name]
        if r["kind"] == "pass":
            if name in expected:
                now_pass.append(name)
            continue
        if name not in expected:
            unexpected.append(name)
        elif expected[name][0] and expected[name][0] != r["kind"]:
            changed.append(name)
    stale = sorted(n for n in expected if n not in results and not args.pattern)

    if unexpected or changed:
        print()
        print("UNEXPECTED FAILURES (not in Tests/conformance/expected_failures.txt, or failing differently):")
        for name in unexpected:
            r = results[name]
            print(f"  {name}  [{', '.join(sorted(set(case_ops[name])))}]  {r['kind']}: {r['msg']}")
        for name in changed:
            r = results[name]
            print(f"  {name}  [{', '.join(sorted(set(case_ops[name])))}]  {r['kind']} (listed as {expected[name][0]}): {r['msg']}")
    if now_pass:
        print()
        print(f"{len(now_pass)} case(s) listed in Tests/conformance/expected_failures.txt now pass: delete them from the list:")
        for name in now_pass:
            print(f"  {name}")
    if stale:
        print()
        print(f"{len(stale)} case(s) in Tests/conformance/expected_failures.txt were not run (renamed, an op left the "
              f"scope, or for case@const: the case itself is no longer refused for a non-constant input): delete them:")
        for name in stale:
            print(f"  {name}")
    failed = len(unexpected) + len(changed)
    n_fail = sum(kinds[k] for k in FAIL_KINDS)
    print()
    print(f"{n_scope} of {total} cases in scope; {kinds['pass']} pass, {kinds['refused']} refused by the converter, "
          f"{n_fail} fail at run time, mismatch or crash; {len(variants)} @const variants: {vkinds['pass']} pass, "
          f"{vkinds['refused']} refused, {sum(vkinds[k] for k in FAIL_KINDS)} fail; "
          f"{len(results) - kinds['pass'] - vkinds['pass'] - failed} non-passing expected; {time.time() - t0:.0f}s")
    print(f"conformance: {kinds['pass'] + vkinds['pass']} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
