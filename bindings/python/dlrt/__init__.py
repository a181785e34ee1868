"""dlrt — Python binding of libdlrt.so, an embeddable deep-learning inference runtime.

    import numpy as np, dlrt
    with dlrt.Model("model.dlrt", threads=1) as m:
        print(m.inputs, m.outputs, m.metadata)
        out = m.run({"input": np.zeros((1, 1, 8, 8), np.float32)})

Threading: a ``Model`` owns one loaded model and ONE execution context. It is not thread safe:
create one ``Model`` per thread (concurrent calls to ``run`` on the same object raise
``dlrt.Error``). Different ``Model`` objects run concurrently; the GIL is released while the
runtime computes.

Memory: ``run`` returns fresh numpy arrays owned by the caller (copied out of runtime memory).
The input arrays are kept referenced by the Model while they are bound to the runtime.
"""
from __future__ import annotations

import ctypes
import threading
from ctypes import POINTER, byref, c_char_p, c_int64, c_size_t, c_uint32, c_void_p
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from . import _ffi
from .convert import CLINotFoundError, convert, find_cli

__all__ = ["Model", "TensorInfo", "Error", "version", "format_version", "isa", "library_path", "convert", "find_cli",
           "CLINotFoundError"]


class Error(Exception):
    """A failure reported by the runtime (or detected by the binding before calling it).

    ``message`` is the runtime's text, ``status`` the status name (e.g. ``"DLRT_ERROR_IO"``) and
    ``code`` the numeric dlrt_status.
    """

    def __init__(self, message: str, status: str = "DLRT_ERROR_INVALID_ARGUMENT", code: Optional[int] = None):
        super().__init__(f"{status}: {message}" if status else message)
        self.message = message
        self.status = status
        if code is None:
            code = next((k for k, v in _ffi.STATUS_NAMES.items() if v == status), -1)
        self.code = code


class TensorInfo(NamedTuple):
    """A graph input or output. ``shape`` holds ints for fixed dimensions and the dimension's name
    (a str, e.g. ``"batch"``) for symbolic ones (None if the symbolic dim has no name)."""
    name: str
    dtype: np.dtype
    shape: Tuple[Union[int, str, None], ...]


def _check(lib, status: int, what: str = "") -> None:
    if status != _ffi.DLRT_OK:
        msg = _ffi.decode(lib.dlrt_last_error())
        name = _ffi.decode(lib.dlrt_status_name(status)) or _ffi.STATUS_NAMES.get(status, f"status {status}")
        if not msg:
            msg = what or "(no message)"
        raise Error(msg, name, status)


def version() -> str:
    """The library version, "MAJOR.MINOR.PATCH"."""
    return _ffi.decode(_ffi.lib().dlrt_version())


def isa() -> str:
    """The instruction set of the float32 kernels in use: "avx512", "avx2" or "baseline" (chosen
    once from the CPU; the environment variable DLRT_ISA=avx512|avx2|baseline lowers it)."""
    return _ffi.decode(_ffi.lib().dlrt_isa())


def format_version() -> Tuple[int, int]:
    """The newest .dlrt format version the library reads and writes, as (major, minor)."""
    v = int(_ffi.lib().dlrt_format_version())
    return (v >> 16, v & 0xFFFF)


def library_path() -> str:
    """Path of the libdlrt.so the binding loads."""
    return str(_ffi.find_library())


def _info(lib, model, index: int, fn) -> Tuple[TensorInfo, int]:
    ci = _ffi.TensorInfoC()
    _check(lib, fn(model, index, byref(ci)))
    dims: List[Union[int, str, None]] = []
    for i in range(ci.rank):
        d = int(ci.shape[i])
        if d < 0:
            n = ci.dim_names[i] if ci.dim_names else None
            dims.append(_ffi.decode(n) if n is not None else None)
        else:
            dims.append(d)
    code = int(ci.dtype)
    dt = _ffi.DTYPE_TO_NUMPY.get(code)
    if dt is None:
        raise Error(f"tensor {_ffi.decode(ci.name)!r} has an unknown dtype tag {code}", "DLRT_ERROR_UNSUPPORTED")
    return TensorInfo(_ffi.decode(ci.name), dt, tuple(dims)), code


def _fmt_shape(shape) -> str:
    return "[" + ", ".join(str(d) if d is not None else "?" for d in shape) + "]"


class Model:
    """A loaded .dlrt model with one execution context. Not thread safe: one Model per thread."""

    _lib = None
    _model = None
    _ctx = None

    def __init__(self, path: Union[str, "os.PathLike[str]"], threads: int = 1, idle: str = "spin-then-sleep",
                 spin_microseconds: int = 0, worker_cpus: Optional[Sequence[int]] = None):
        """Loads a .dlrt file. ``threads``: threads taking part in a run, the caller included.
        Real-time options for ``threads >= 2`` (dlrt_context_options in dlrt.h): ``idle`` is what
        idle worker threads do between parallel loops, "spin-then-sleep" (spin for
        ``spin_microseconds``, 0 = 100 µs), "spin" (never sleep: lowest latency, keeps a CPU busy)
        or "sleep"; ``worker_cpus`` pins worker k to CPU ``worker_cpus[k % len]`` (the calling
        thread is left alone: ``os.sched_setaffinity(0, ...)`` pins it)."""
        lib = _ffi.lib()
        self._lib = lib
        handle = c_void_p()
        _check(lib, lib.dlrt_model_load_file(str(path).encode("utf-8"), byref(handle)))
        self._setup(handle, threads, idle, spin_microseconds, worker_cpus)

    @classmethod
    def from_bytes(cls, data: Union[bytes, bytearray, memoryview], threads: int = 1, idle: str = "spin-then-sleep",
                   spin_microseconds: int = 0, worker_cpus: Optional[Sequence[int]] = None) -> "Model":
        """Loads a model from the bytes of a .dlrt file (the bytes are copied by the runtime).
        Options as for ``Model(path, ...)``."""
        self = cls.__new__(cls)
        lib = _ffi.lib()
        self._lib = lib
        buf = np.frombuffer(data, dtype=np.uint8)
        handle = c_void_p()
        _check(lib, lib.dlrt_model_load_buffer(c_void_p(buf.ctypes.data if buf.size else None), buf.size,
                                               _ffi.DLRT_LOAD_COPY, byref(handle)))
        self._setup(handle, threads, idle, spin_microseconds, worker_cpus)
        return self

    def _setup(self, handle: c_void_p, threads: int, idle: str = "spin-then-sleep", spin_microseconds: int = 0,
               worker_cpus: Optional[Sequence[int]] = None) -> None:
        lib = self._lib
        self._model = handle
        self._lock = threading.Lock()
        self._bound: Dict[int, tuple] = {}
        self._shape_cache: Dict[tuple, Any] = {}
        self._out_data = c_void_p()
        self._out_nbytes = c_size_t()
        self._out_shape = POINTER(c_int64)()
        self._out_rank = c_size_t()
        self._out_refs = (byref(self._out_data), byref(self._out_nbytes), byref(self._out_shape),
                          byref(self._out_rank))
        # Hot-path caches (see run): the C functions, and per output the numpy view over the
        # runtime's output buffer, keyed on (address, size, shape bytes).
        self._fn_set_input = lib.dlrt_context_set_input
        self._fn_run = lib.dlrt_context_run
        self._fn_get_output = _ffi.raw_function("dlrt_context_get_output")
        self._shape_views: Dict[tuple, np.ndarray] = {}
        self._out_views: Dict[int, tuple] = {}
        # Fast path: once a run has shown the output shapes for the bound input shapes, the
        # outputs are bound to arrays of ours (dlrt_context_set_output), so later runs with the
        # same input shapes need one C call and a copy per output. Unbound on any shape change.
        self._fast: Optional[List[tuple]] = None
        self._fn_set_output = lib.dlrt_context_set_output
        try:
            threads = int(threads)
            if threads < 1:
                raise Error(f"threads must be >= 1, got {threads}")
            opts = _ffi.ContextOptionsC()
            lib.dlrt_context_options_init(byref(opts))
            opts.num_threads = threads
            if idle not in _ffi.IDLE_POLICIES:
                raise Error(f"idle must be one of {list(_ffi.IDLE_POLICIES)}, got {idle!r}")
            opts.idle = _ffi.IDLE_POLICIES[idle]
            spin = int(spin_microseconds)
            if not 0 <= spin <= 1_000_000:
                raise Error(f"spin_microseconds must be in 0...1000000, got {spin}")
            opts.spin_microseconds = spin
            if worker_cpus:
                cpus = [int(c) for c in worker_cpus]
                if any(not 0 <= c < 2**32 for c in cpus):
                    raise Error(f"worker_cpus must be CPU numbers >= 0, got {cpus}")
                cpu_array = (c_uint32 * len(cpus))(*cpus)
                opts.worker_cpus = ctypes.cast(cpu_array, POINTER(c_uint32))
                opts.worker_cpu_count = len(cpus)
            ctx = c_void_p()
            _check(lib, lib.dlrt_context_create(handle, byref(opts), byref(ctx)))
            self._ctx = ctx
            ins = [_info(lib, handle, i, lib.dlrt_model_input_info) for i in range(lib.dlrt_model_input_count(handle))]
            outs = [_info(lib, handle, i, lib.dlrt_model_output_info) for i in range(lib.dlrt_model_output_count(handle))]
            self._inputs = [t for t, _ in ins]
            self._input_codes = [c for _, c in ins]
            self._outputs = [t for t, _ in outs]
            self._input_index = {t.name: i for i, t in enumerate(self._inputs)}
            # Inputs that may be value inputs (fixed shape, rank <= 1, <= 64 elements: a Reshape
            # shape, Reduce axes...): the runtime re-plans when their VALUES change, so the output
            # shapes may change without an input shape changing. Their last bytes, per input.
            self._small_inputs = {i: None for i, t in enumerate(self._inputs)
                                  if len(t.shape) <= 1 and all(type(d) is int for d in t.shape)
                                  and (t.shape[0] if t.shape else 1) <= 64}
            self._output_index = {t.name: i for i, t in enumerate(self._outputs)}
            self._all_outputs = [(j, c_size_t(j), t.name, t.dtype) for j, t in enumerate(self._outputs)]
            meta: Dict[str, str] = {}
            k, v = c_char_p(), c_char_p()
            for i in range(lib.dlrt_model_metadata_count(handle)):
                _check(lib, lib.dlrt_model_metadata_at(handle, i, byref(k), byref(v)))
                meta[_ffi.decode(k.value)] = _ffi.decode(v.value)
            self._metadata = meta
        except BaseException:
            self.close()
            raise

    # ---- introspection --------------------------------------------------------------------------

    @property
    def inputs(self) -> List[TensorInfo]:
        return list(self._inputs)

    @property
    def outputs(self) -> List[TensorInfo]:
        return list(self._outputs)

    @property
    def metadata(self) -> Dict[str, str]:
        return dict(self._metadata)

    @property
    def arena_bytes(self) -> int:
        """Bytes of the activation arena for the current plan (0 before planning)."""
        self._require_open()
        return int(self._lib.dlrt_context_arena_bytes(self._ctx))

    @property
    def closed(self) -> bool:
        return self._model is None

    def __repr__(self) -> str:
        if self.closed:
            return "<dlrt.Model (closed)>"
        ins = ", ".join(f"{t.name}: {t.dtype}{_fmt_shape(t.shape)}" for t in self._inputs)
        outs = ", ".join(f"{t.name}: {t.dtype}{_fmt_shape(t.shape)}" for t in self._outputs)
        return f"<dlrt.Model ({ins}) -> ({outs})>"

    # ---- running --------------------------------------------------------------------------------

    def _require_open(self) -> None:
        if self._model is None or self._ctx is None:
            raise Error("the model is closed", "DLRT_ERROR_STATE")

    def run(self, feeds: Mapping[str, Any], output_names: Optional[Sequence[str]] = None) -> Dict[str, np.ndarray]:
        """Runs the model. ``feeds`` maps every input name to a numpy array of the input's dtype
        (non-contiguous arrays are copied to contiguous ones; other dtypes raise Error).
        Returns {output name: fresh ndarray} for all outputs (or for ``output_names``)."""
        # The hot path: a few dict lookups and three kinds of C calls. Re-passing the very array
        # that is already bound (same object, same shape) skips the rebind; outputs are copied
        # out of a cached numpy view of the runtime's buffer.
        lock = self._lock if self._ctx is not None else None
        if lock is None:
            self._require_open()
        if not lock.acquire(False):
            raise Error("Model.run called from two threads at once; a Model is not thread safe, "
                        "create one Model per thread", "DLRT_ERROR_STATE")
        try:
            ctx = self._ctx
            index = self._input_index
            if type(feeds) is not dict:
                self._check_feeds_type(feeds)
            if len(feeds) != len(index):
                self._feeds_error(feeds)
            bound = self._bound
            small = self._small_inputs
            reshaped = False
            for name, value in feeds.items():
                i = index.get(name)
                if i is None:
                    self._feeds_error(feeds)
                if i in small:
                    b = np.asarray(value).tobytes()
                    if small[i] != b:
                        small[i] = b
                        reshaped = True
                prev = bound.get(i)
                if prev is not None and prev[0] is value and value is not None and prev[1] == value.shape:
                    continue
                if self._bind(i, name, value):
                    reshaped = True
            fast = self._fast
            if reshaped and fast is not None:
                self._unbind_outputs()
                fast = None
            st = self._fn_run(ctx)
            if st:
                _check(self._lib, st)
            if fast is not None:
                if output_names is None:
                    return {name: arr.copy() for name, arr in fast}
                sel = self._select_outputs(output_names)
                return {fast[j][0]: fast[j][1].copy() for j, _, _, _ in sel}
            outs = self._all_outputs if output_names is None else self._select_outputs(output_names)
            get_output = self._fn_get_output
            refs = self._out_refs
            views = self._out_views
            result: Dict[str, np.ndarray] = {}
            for j, cj, name, dtype in outs:
                st = get_output(ctx, cj, *refs)
                if st:
                    _check(self._lib, st)
                data = self._out_data.value
                nbytes = self._out_nbytes.value
                rank = self._out_rank.value
                key = (data, nbytes, ctypes.addressof(self._out_shape.contents) if rank else 0, rank)
                sview = self._shape_views.get(key[2:])
                if sview is None:
                    sview = self._shape_view(key[2], rank)
                sbytes = sview.tobytes()
                cached = views.get(j)
                if cached is not None and cached[0] == key and cached[1] == sbytes:
                    result[name] = cached[2].copy()
                else:
                    result[name] = self._output_view(j, name, dtype, key, sview, sbytes).copy()
            if output_names is None:
                self._bind_outputs(result)
            return result
        finally:
            lock.release()

    def _bind_outputs(self, result: Dict[str, np.ndarray]) -> None:
        """Binds every output to an array of ours shaped like this run's result (see _fast)."""
        arrays = []
        for j, cj, name, dtype in self._all_outputs:
            arr = np.empty_like(result[name])
            if arr.nbytes == 0:
                self._unbind_outputs()
                return
            st = self._fn_set_output(self._ctx, cj, arr.ctypes.data, arr.nbytes)
            arrays.append((name, arr))
            if st != _ffi.DLRT_OK:
                self._unbind_outputs()
                return
        self._fast = arrays

    def _unbind_outputs(self) -> None:
        self._fast = None
        for j, cj, _, _ in self._all_outputs:
            self._fn_set_output(self._ctx, cj, None, 0)

    # ---- run's slow paths -----------------------------------------------------------------------

    def _check_feeds_type(self, feeds) -> None:
        if not isinstance(feeds, Mapping):
            raise Error(f"run() takes a dict {{input name: ndarray}}; got {type(feeds).__name__}. "
                        f"The model's inputs are {list(self._input_index)}")

    def _feeds_error(self, feeds) -> None:
        index = self._input_index
        unknown = [n for n in feeds if n not in index]
        missing = [n for n in index if n not in feeds]
        parts = []
        if unknown:
            parts.append(f"unknown input name(s) {unknown}")
        if missing:
            parts.append(f"missing input(s) {missing}")
        raise Error("; ".join(parts) + f". The model's inputs are {list(index)}")

    def _select_outputs(self, output_names):
        bad = [n for n in output_names if n not in self._output_index]
        if bad:
            raise Error(f"unknown output name(s) {bad}. The model's outputs are "
                        f"{[t.name for t in self._outputs]}")
        return [self._all_outputs[self._output_index[n]] for n in output_names]

    def _bind(self, i: int, name: str, value) -> bool:
        """Binds input i; returns whether its shape differs from the previous binding's. The
        array stays referenced in self._bound for as long as the runtime holds the binding
        (until rebound or the Model is closed)."""
        bound = self._bound
        prev = bound.get(i)
        arr = value if type(value) is np.ndarray else np.asarray(value)
        info = self._inputs[i]
        if arr.dtype != info.dtype:
            raise Error(f"input {name!r}: expected dtype {info.dtype}, found {arr.dtype}"
                        f" (expected shape {_fmt_shape(info.shape)}, found {list(arr.shape)})")
        src = arr
        if not arr.flags.c_contiguous:
            arr = np.ascontiguousarray(arr)
        shape = arr.shape
        c_shape = self._shape_cache.get(shape)
        if c_shape is None:
            if len(self._shape_cache) > 64:
                self._shape_cache.clear()
            c_shape = self._shape_cache[shape] = (c_int64 * len(shape))(*shape)
        bound.pop(i, None)
        st = self._fn_set_input(self._ctx, i, self._input_codes[i], c_shape, len(shape),
                                arr.ctypes.data if arr.size else None, arr.nbytes)
        if st != _ffi.DLRT_OK:
            _check(self._lib, st)
        # Keep the bound buffer alive. Only an array bound in place (the very object the caller
        # passed) may skip the next rebind: a contiguous copy of a strided array, or an array
        # made from a list, would go stale if the caller mutated the original.
        bound[i] = (value if (src is arr and value is arr) else None, shape, arr)
        return prev is None or prev[1] != shape

    def _shape_view(self, addr: int, rank: int) -> np.ndarray:
        if len(self._shape_views) > 64:
            self._shape_views.clear()
        if rank:
            v = np.ctypeslib.as_array((c_int64 * rank).from_address(addr))
        else:
            v = np.empty(0, np.int64)
        self._shape_views[(addr, rank)] = v
        return v

    def _output_view(self, j: int, name: str, dtype: np.dtype, key: tuple, sview: np.ndarray,
                     sbytes: bytes) -> np.ndarray:
        """A numpy view of output j in runtime memory (cached until its address, size or shape
        change); run returns copies of it."""
        shape = tuple(int(d) for d in sview)
        count = 1
        for d in shape:
            count *= d
        nbytes = key[1]
        need = count * dtype.itemsize
        if need > nbytes:
            raise Error(f"output {name!r}: runtime reported {nbytes} bytes for shape "
                        f"{list(shape)} of {dtype} ({need} needed)", "DLRT_ERROR_INTERNAL")
        if need:
            raw = (ctypes.c_char * need).from_address(key[0])
            view = np.frombuffer(raw, dtype=dtype).reshape(shape)
        else:
            view = np.empty(shape, dtype=dtype)
        self._out_views[j] = (key, sbytes, view)
        return view

    __call__ = run

    # ---- lifetime -------------------------------------------------------------------------------

    def close(self) -> None:
        """Frees the context and the model. Safe to call more than once."""
        lib = self._lib
        ctx, model = self._ctx, self._model
        self._ctx = None
        self._model = None
        if lib is not None:
            if ctx is not None:
                lib.dlrt_context_destroy(ctx)
            if model is not None:
                lib.dlrt_model_destroy(model)
        bound = getattr(self, "_bound", None)
        if bound:
            bound.clear()
        self._fast = None
        for cache in ("_out_views", "_shape_views"):
            c = getattr(self, cache, None)
            if c:
                c.clear()

    def __enter__(self) -> "Model":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass
