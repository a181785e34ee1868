"""Low-level ctypes declarations for libdlrt.so (mirrors include/dlrt.h).

Every C function of the header is declared exactly once, in ``_FUNCTIONS`` below. The rest of the
binding calls ``lib().<name>`` and never sets argtypes/restype itself.

Library lookup order:
  1. the ``DLRT_LIBRARY`` environment variable (a path to libdlrt.so),
  2. ``libdlrt.so`` next to this package (an installed wheel ships it there),
  3. ``.build/release/libdlrt.so`` in the nearest enclosing directory that has one (a source checkout),
  4. a system-installed ``libdlrt.so.0`` (``make install``; found through the loader's cache,
     ``ctypes.util.find_library("dlrt")``).
"""
from __future__ import annotations

import ctypes
import os
import threading
from ctypes import (POINTER, Structure, c_char_p, c_int, c_int64, c_size_t, c_uint32, c_uint64,
                    c_void_p)
from pathlib import Path

import numpy as np

# ---- Enums (values frozen by dlrt.h) -------------------------------------------------------------

DLRT_OK = 0
STATUS_NAMES = {
    0: "DLRT_OK",
    1: "DLRT_ERROR_INVALID_ARGUMENT",
    2: "DLRT_ERROR_IO",
    3: "DLRT_ERROR_INVALID_MODEL",
    4: "DLRT_ERROR_UNSUPPORTED",
    5: "DLRT_ERROR_SHAPE",
    6: "DLRT_ERROR_OUT_OF_MEMORY",
    7: "DLRT_ERROR_STATE",
    8: "DLRT_ERROR_INTERNAL",
}

DLRT_LOAD_COPY = 0
DLRT_LOAD_BORROW = 1

# dlrt_dtype <-> numpy dtype
DTYPE_TO_NUMPY = {
    1: np.dtype(np.float32),
    2: np.dtype(np.float16),
    3: np.dtype(np.int8),
    4: np.dtype(np.uint8),
    5: np.dtype(np.int32),
    6: np.dtype(np.int64),
    7: np.dtype(np.bool_),
}
NUMPY_TO_DTYPE = {v: k for k, v in DTYPE_TO_NUMPY.items()}

# ---- Structs -------------------------------------------------------------------------------------

dlrt_status = c_int
dlrt_dtype = c_int
dlrt_model_p = c_void_p    # opaque dlrt_model *
dlrt_context_p = c_void_p  # opaque dlrt_context *


class TensorInfoC(Structure):
    """struct dlrt_tensor_info"""
    _fields_ = [
        ("name", c_char_p),
        ("dtype", dlrt_dtype),
        ("rank", c_size_t),
        ("shape", POINTER(c_int64)),
        ("dim_names", POINTER(c_char_p)),
    ]


class ContextOptionsC(Structure):
    """struct dlrt_context_options"""
    _fields_ = [
        ("struct_size", c_uint32),
        ("num_threads", c_uint32),
        ("max_arena_bytes", c_uint64),
        ("idle", c_uint32),
        ("spin_microseconds", c_uint32),
        ("worker_cpus", POINTER(c_uint32)),
        ("worker_cpu_count", c_uint32),
        ("reserved", c_uint32),
    ]


IDLE_POLICIES = {"spin-then-sleep": 0, "spin": 1, "sleep": 2}   # enum dlrt_idle


# ---- The one table: name -> (restype, argtypes) --------------------------------------------------

_FUNCTIONS = {
    # versions
    "dlrt_version": (c_char_p, []),
    "dlrt_format_version": (c_uint32, []),
    "dlrt_isa": (c_char_p, []),
    # status and errors
    "dlrt_last_error": (c_char_p, []),
    "dlrt_status_name": (c_char_p, [dlrt_status]),
    # dtypes
    "dlrt_dtype_size": (c_size_t, [dlrt_dtype]),
    # models
    "dlrt_model_load_file": (dlrt_status, [c_char_p, POINTER(dlrt_model_p)]),
    "dlrt_model_load_buffer": (dlrt_status, [c_void_p, c_size_t, c_uint32, POINTER(dlrt_model_p)]),
    "dlrt_model_destroy": (None, [dlrt_model_p]),
    "dlrt_model_input_count": (c_size_t, [dlrt_model_p]),
    "dlrt_model_output_count": (c_size_t, [dlrt_model_p]),
    "dlrt_model_input_info": (dlrt_status, [dlrt_model_p, c_size_t, POINTER(TensorInfoC)]),
    "dlrt_model_output_info": (dlrt_status, [dlrt_model_p, c_size_t, POINTER(TensorInfoC)]),
    "dlrt_model_input_index": (dlrt_status, [dlrt_model_p, c_char_p, POINTER(c_size_t)]),
    "dlrt_model_output_index": (dlrt_status, [dlrt_model_p, c_char_p, POINTER(c_size_t)]),
    "dlrt_model_metadata_count": (c_size_t, [dlrt_model_p]),
    "dlrt_model_metadata_at": (dlrt_status, [dlrt_model_p, c_size_t, POINTER(c_char_p), POINTER(c_char_p)]),
    "dlrt_model_metadata_get": (dlrt_status, [dlrt_model_p, c_char_p, POINTER(c_char_p)]),
    # contexts
    "dlrt_context_options_init": (None, [POINTER(ContextOptionsC)]),
    "dlrt_context_create": (dlrt_status, [dlrt_model_p, POINTER(ContextOptionsC), POINTER(dlrt_context_p)]),
    "dlrt_context_destroy": (None, [dlrt_context_p]),
    "dlrt_context_set_input": (dlrt_status, [dlrt_context_p, c_size_t, dlrt_dtype, POINTER(c_int64), c_size_t,
                                             c_void_p, c_size_t]),
    "dlrt_context_set_output": (dlrt_status, [dlrt_context_p, c_size_t, c_void_p, c_size_t]),
    "dlrt_context_run": (dlrt_status, [dlrt_context_p]),
    "dlrt_context_get_output": (dlrt_status, [dlrt_context_p, c_size_t, POINTER(c_void_p), POINTER(c_size_t),
                                              POINTER(POINTER(c_int64)), POINTER(c_size_t)]),
    "dlrt_context_arena_bytes": (c_size_t, [dlrt_context_p]),
}

# ---- Loading -------------------------------------------------------------------------------------

_LIB_NAME = "libdlrt.so"
_lib = None
_lib_lock = threading.Lock()


def find_library() -> Path:
    """Path of the libdlrt.so this binding will load (see the module docstring for the order)."""
    env = os.environ.get("DLRT_LIBRARY")
    if env:
        p = Path(env)
        if not p.is_file():
            raise OSError(f"DLRT_LIBRARY={env!r} does not name a file")
        return p
    here = Path(__file__).resolve().parent
    beside = here / _LIB_NAME
    if beside.is_file():
        return beside
    for d in [here, *here.parents]:
        cand = d / ".build" / "release" / _LIB_NAME
        if cand.is_file():
            return cand
    import ctypes.util
    system = ctypes.util.find_library("dlrt")
    if system:
        return Path(system)
    raise OSError(
        f"cannot find {_LIB_NAME}: set DLRT_LIBRARY, put {_LIB_NAME} beside {here}, or build the "
        f"repository with `swift build -c release`")


def _declare(cdll: ctypes.CDLL) -> ctypes.CDLL:
    for name, (restype, argtypes) in _FUNCTIONS.items():
        fn = getattr(cdll, name)  # AttributeError names the missing symbol
        fn.restype = restype
        fn.argtypes = argtypes
    return cdll


def lib() -> ctypes.CDLL:
    """The loaded, declared library (loaded once, on first use)."""
    global _lib
    if _lib is None:
        with _lib_lock:
            if _lib is None:
                _lib = _declare(ctypes.CDLL(str(find_library())))
    return _lib


def raw_function(name: str, restype=c_int):
    """A second, undeclared handle on a library function, for hot paths: no argtypes, so ctypes
    skips argument conversion. Callers must pass ctypes objects of the exact C types
    (c_void_p, c_size_t, byref(...)), never bare Python ints."""
    cdll = lib()
    fn = cdll._FuncPtr((name, cdll))
    fn.restype = restype
    return fn


def decode(b) -> str:
    return "" if b is None else b.decode("utf-8", errors="replace")
