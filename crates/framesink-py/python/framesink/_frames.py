"""Numpy frames to the layouts the native writer takes.

The mapping of values to 8 bits is fixed, never rescaled per frame: uint8 as
is, uint16 full range (rounded in Rust), bool to 0/255, floats in [0, 1] to
round(255 * x) with values outside clipped (and counted). Integers in another
byte order (a FITS or netCDF '>u2') are swapped exactly, one frame at a time.

Frames may also be an ``xarray.DataArray`` (its values), a ``PIL.Image.Image``
(by mode, see ``_pil_array``), or any object with ``__array__`` (and the
``__array_interface__`` kin) or ``__dlpack__`` (a CPU torch tensor, a jax
array); arrays in device memory are refused naming the device. Neither
xarray nor PIL is imported here: they are told by their types' modules.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._errors import InvalidFrameError, warn

_LAYOUTS = {
    ("rgb", 1): "gray",
    ("rgb", 2): "grayalpha",
    ("rgb", 3): "rgb",
    ("rgb", 4): "rgba",
    ("bgr", 1): "gray",
    ("bgr", 2): "grayalpha",
    ("bgr", 3): "bgr",
    ("bgr", 4): "bgra",
}
ACCEPTED_DTYPES = "uint8, uint16, bool, float16, float32, float64"


def prepare(
    frame: Any, index: int, channel_order: str, colormap: Any | None = None
) -> tuple[np.ndarray, str, int]:
    """Returns (array, native layout name, clipped value count) for one frame."""
    arr = as_array(frame, f"frame {index}", scalar=colormap is not None)
    if colormap is not None:
        if arr.ndim != 2:
            raise InvalidFrameError(
                f"frame {index}: cmap= needs 2-D frames (H, W); got shape {arr.shape}"
            )
        arr = colormap(arr, index)
    if arr.ndim in (2, 3) and 0 in arr.shape[:2]:
        raise InvalidFrameError(
            f"frame {index}: shape {arr.shape} is empty; width and height must be at least 2"
        )
    if arr.ndim == 2:
        channels = 1
    elif arr.ndim == 3 and arr.shape[2] in (1, 2, 3, 4):
        channels = arr.shape[2]
    else:
        raise InvalidFrameError(
            f"frame {index}: shape {arr.shape} is not a frame; allowed: (H, W) gray, (H, W, 1), "
            "(H, W, 2) gray+alpha, (H, W, 3) RGB, (H, W, 4) RGBA"
        )
    clipped = 0
    kind = arr.dtype.kind
    if kind in "ui" and arr.dtype.byteorder not in "=|":
        # '>u2' (FITS, netCDF): swapped exactly, this frame only. (Floats are
        # swapped by their astype(float32) below.)
        arr = arr.astype(arr.dtype.newbyteorder("="))
    if arr.dtype == np.uint8:
        bits = 8
    elif arr.dtype == np.uint16:
        bits = 16
    elif kind == "b":
        # Any nonzero byte is True: PIL's mode 1 (and some C buffers) hold 0/255.
        arr = (arr.view(np.uint8) != 0).view(np.uint8) * np.uint8(255)
        bits = 8
    elif kind == "f":
        finite = np.isfinite(arr)
        if not finite.all():
            bad = int(arr.size - np.count_nonzero(finite))
            raise InvalidFrameError(
                f"frame {index}: {bad} value(s) are NaN or infinite; float frames must hold "
                "finite values in [0, 1]"
            )
        outside = (arr < 0) | (arr > 1)
        clipped = int(np.count_nonzero(outside))
        work = arr.astype(np.float32, copy=True)
        if clipped:
            np.clip(work, 0.0, 1.0, out=work)
        work *= 255.0
        work += 0.5
        arr = work.astype(np.uint8)
        bits = 8
    elif kind in "ui":
        raise InvalidFrameError(
            f"frame {index}: dtype {arr.dtype} is not supported; allowed: {ACCEPTED_DTYPES}; "
            + integer_advice(arr.dtype)
        )
    else:
        raise InvalidFrameError(
            f"frame {index}: dtype {arr.dtype} is not supported; allowed: {ACCEPTED_DTYPES}"
        )
    if channels == 1 and arr.ndim == 3:
        arr = arr[:, :, 0]
    order = channel_order.lower()
    if order not in ("rgb", "bgr"):
        raise ValueError(f"channel_order {channel_order!r} is not 'rgb' or 'bgr'")
    layout = _LAYOUTS[(order, channels)]
    if bits == 16:
        if channels == 2 or layout.startswith("bgr"):
            # no native 16-bit layout: round to 8 bits here, exactly as Rust does
            arr = ((arr.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
            bits = 8
        elif arr.dtype.byteorder == (">" if np.little_endian else "<"):
            arr = arr.astype(arr.dtype.newbyteorder("="))
    layout += str(bits)
    # Rows must be contiguous; any row stride (positive) is fine.
    item = arr.itemsize
    row_ok = arr.strides[-1] == item and (arr.ndim == 2 or arr.strides[1] == item * arr.shape[2])
    if not row_ok or arr.strides[0] <= 0:
        arr = np.ascontiguousarray(arr)
    return arr, layout, clipped


def warn_clipped(index: int, clipped: int, total: int) -> None:
    warn(
        f"frame {index}: {clipped} of {total} float values were outside [0, 1] and were clipped "
        "(float frames map 0..1 to 0..255, never rescaled per frame); "
        "further clipping is not reported"
    )


def integer_advice(dtype: np.dtype[Any]) -> str:
    """How to turn frames of an integer dtype framesink does not map into ones it does."""
    info = np.iinfo(dtype)
    ways = [f"frame.astype(np.uint8) if its values are 0..{min(255, int(info.max))}"]
    if info.max > 255:
        ways.append(f"frame.astype(np.uint16) if 0..{min(65535, int(info.max))}")
    if dtype.kind == "i" and dtype.itemsize == 1:
        ways.append("(frame.astype(np.int16) + 128).astype(np.uint8) for all of -128..127")
    elif dtype.kind == "i" and dtype.itemsize == 2:
        ways.append("(frame.astype(np.int32) + 32768).astype(np.uint16) for all of -32768..32767")
    return (
        f"{dtype} has no fixed mapping to pixels and frames are never rescaled one by one; "
        f"convert: {', '.join(ways)}, or (frame.astype(np.float64) - lo) / (hi - lo) for floats "
        "in [0, 1] with one lo and hi for the whole movie; or, for 2-D frames, pass "
        f"cmap= (e.g. 'gray') with vmin=lo, vmax=hi, which takes {dtype} frames as they are"
    )


def _has_class(obj: Any, module: str, name: str) -> bool:
    return any(
        c.__name__ == name and (c.__module__ or "").startswith(module) for c in type(obj).__mro__
    )


def is_xarray(obj: Any) -> bool:
    """An ``xarray.DataArray`` (told without importing xarray)."""
    return _has_class(obj, "xarray", "DataArray")


def is_xarray_dataset(obj: Any) -> bool:
    return _has_class(obj, "xarray", "Dataset")


def is_pil(obj: Any) -> bool:
    """A ``PIL.Image.Image`` (told without importing PIL)."""
    return _has_class(obj, "PIL.Image", "Image")


_ARRAY_PROTOCOLS = ("__array__", "__array_interface__", "__array_struct__")


def _has_array_protocol(obj: Any) -> bool:
    return any(hasattr(obj, name) for name in _ARRAY_PROTOCOLS)


def is_array_like(obj: Any) -> bool:
    """An object numpy can read whole: an array protocol, or ``__dlpack__``."""
    return _has_array_protocol(obj) or hasattr(obj, "__dlpack__")


def type_name(obj: Any) -> str:
    kind = type(obj)
    return f"{(kind.__module__ or '').split('.')[0]}.{kind.__name__}"


# DLPack's device types: the ones whose memory the CPU reads (CPU, CUDA
# pinned host, ROCm pinned host, CUDA managed) and names for the others.
_HOST_DEVICES = frozenset({1, 3, 11, 13})
_DEVICE_NAMES = {
    2: "CUDA",
    4: "OpenCL",
    7: "Vulkan",
    8: "Metal",
    9: "VPI",
    10: "ROCm",
    12: "ExtDev",
    14: "oneAPI",
    15: "WebGPU",
    16: "Hexagon",
    17: "MAIA",
}


def _device(obj: Any) -> str | None:
    """The device (e.g. ``CUDA:0``) an array's memory is on, if not the host's
    (as its ``__dlpack_device__`` or ``__cuda_array_interface__`` tells)."""
    get = getattr(type(obj), "__dlpack_device__", None)
    if get is not None:
        try:
            kind, number = get(obj)
            kind = int(kind)
        except Exception:  # a protocol that fails to answer says nothing
            kind, number = 1, 0
        if kind not in _HOST_DEVICES:
            return f"{_DEVICE_NAMES.get(kind, f'DLPack device type {kind}')}:{number}"
        return None
    try:
        interface = obj.__cuda_array_interface__
    except Exception:  # (a CPU torch tensor raises here)
        return None
    return "CUDA" if interface is not None else None


def _on_device(what: str, obj: Any, device: str) -> InvalidFrameError:
    return InvalidFrameError(
        f"{what}: a {type_name(obj)} in {device} device memory cannot be read here; copy it "
        "to the CPU first: tensor.cpu() (PyTorch), cupy.asnumpy(a) or a.get() (CuPy), "
        "jax.device_get(a) (JAX), or its library's own"
    )


_PIL_MODES = (
    "1, L, LA, P, PA, RGB, RGBA, RGBX, I;16 (also I;16L, I;16B, I;16N), F (floats in [0, 1])"
)
_PIL_SCALAR = frozenset({"1", "L", "I", "F", "I;16", "I;16L", "I;16B", "I;16N"})


def _pil_array(image: Any, what: str, scalar: bool) -> np.ndarray:
    """A PIL image's pixels, exactly: 1 as bool, L/LA/RGB/RGBA as uint8, I;16 as
    uint16 (I;16B big-endian, swapped later), F as float32 (in [0, 1] as floats
    are), P/PA through their palette to RGB or RGBA, RGBX without its padding.
    With a colormap, any one-channel mode (also I, 32-bit) is a scalar field."""
    mode = image.mode
    if mode in ("1", "L", "LA", "RGB", "RGBA", "F", "I;16", "I;16L", "I;16B", "I;16N") or (
        scalar and mode in _PIL_SCALAR
    ):
        return np.asarray(image)
    if mode == "RGBX":
        return np.asarray(image)[:, :, :3]
    if mode in ("P", "PA"):
        alpha = mode == "PA" or "transparency" in image.info
        palette = getattr(image, "palette", None)
        alpha = alpha or getattr(palette, "mode", "RGB") == "RGBA"
        return np.asarray(image.convert("RGBA" if alpha else "RGB"))
    if mode.startswith("I"):
        hint = (
            f"mode {mode!r} holds integers with no fixed mapping to pixels: "
            "np.asarray(image).astype(np.uint16) if its values are 0..65535, or pass "
            "cmap= with vmin=, vmax= to map it as a scalar field"
        )
    elif mode in ("La", "RGBa"):
        hint = "its alpha is premultiplied: image.convert('RGBA') first"
    else:
        hint = "convert it first, e.g. image.convert('RGB') (a colour conversion, not exact)"
    raise InvalidFrameError(
        f"{what}: PIL image mode {mode!r} is not supported; allowed modes: {_PIL_MODES}; {hint}"
    )


def as_array(frame: Any, what: str, scalar: bool = False) -> np.ndarray:
    """``frame`` as a numpy array, without a copy where its protocol allows one:
    a DataArray's values, a PIL image by mode, ``__array__`` and kin, then
    ``__dlpack__``; an array in device memory is refused naming the device."""
    if isinstance(frame, np.ndarray):
        return frame
    if is_pil(frame):
        return _pil_array(frame, what, scalar)
    if is_xarray(frame):
        frame = frame.values  # (a Dask-backed one computes this frame only)
        if isinstance(frame, np.ndarray):
            return frame
    if isinstance(frame, (list, tuple)) or not is_array_like(frame):
        return np.asarray(frame)
    device = _device(frame)
    if _has_array_protocol(frame):
        try:
            return np.asarray(frame)
        except (TypeError, ValueError, RuntimeError, BufferError) as exc:
            if device is not None:
                raise _on_device(what, frame, device) from exc
            if not hasattr(frame, "__dlpack__"):
                raise InvalidFrameError(
                    f"{what}: a {type_name(frame)} could not be read as an array: {exc}"
                ) from exc
    if device is not None:
        raise _on_device(what, frame, device)
    try:
        return np.from_dlpack(frame)
    except (TypeError, ValueError, RuntimeError, BufferError) as exc:
        raise InvalidFrameError(
            f"{what}: a {type_name(frame)} could not be read through __dlpack__: {exc}"
        ) from exc


def movie(frames: Any) -> Any:
    """``frames`` as write() iterates them, or an InvalidFrameError when an array
    of frames is not (N, H, W) or (N, H, W, C). Lazy arrays with a length (a
    DataArray, h5py, zarr, a torch tensor) are read one frame at a time; others
    with only a protocol (``__array__``, ``__dlpack__``) are read whole."""
    if isinstance(frames, np.ndarray):
        _check_movie_shape(frames.shape, "frames array")
        return frames
    if isinstance(frames, (list, tuple)) or not (is_xarray(frames) or is_array_like(frames)):
        return frames
    ndim = getattr(frames, "ndim", None)
    iterable = hasattr(type(frames), "__iter__") or hasattr(type(frames), "__getitem__")
    if is_xarray(frames):
        dims = ", ".join(repr(str(d)) for d in frames.dims)
        _check_movie_shape(
            tuple(frames.shape),
            f"frames xarray.DataArray (dims ({dims}))",
            " (a movie along its first dimension)",
        )
        return frames
    if iterable and isinstance(ndim, int):
        device = _device(frames)
        if device is not None and not _has_array_protocol(frames):
            raise _on_device("frames", frames, device)
        _check_movie_shape(tuple(int(n) for n in frames.shape), f"frames {type_name(frames)}")
        return frames
    arr = as_array(frames, "frames")
    _check_movie_shape(arr.shape, f"frames {type_name(frames)}")
    return arr


def _check_movie_shape(shape: tuple[int, ...], what: str, along: str = "") -> None:
    if len(shape) not in (3, 4):
        raise InvalidFrameError(
            f"{what} has shape {shape}; expected (N, H, W) or (N, H, W, C){along}"
        )
