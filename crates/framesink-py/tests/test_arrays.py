"""Array types beyond native numpy: other byte orders, xarray, PIL images, the
``__array__`` and ``__dlpack__`` protocols, and the integer dtypes framesink refuses.

Exactness is checked on lossless paths: an APNG decoded by ffmpeg in its own
pixel format (gray16le, rgb48le, ...) must hold the values written, and a movie
from another array type must be byte for byte the movie of the same values as
a native numpy array.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tracemalloc
import warnings
from pathlib import Path
from typing import Any, ClassVar

import framesink
import numpy as np
import pytest
from _media import FFMPEG, decode_rgb, framemd5, probe, psnr, smooth_frames
from framesink import InvalidFrameError

xr = pytest.importorskip("xarray")
PIL_Image = pytest.importorskip("PIL.Image")
from PIL import ImageSequence  # noqa: E402

RNG = np.random.default_rng(11)
GRAY16 = RNG.integers(0, 65536, (3, 16, 24), dtype=np.uint16)
RGB16 = RNG.integers(0, 65536, (3, 16, 24, 3), dtype=np.uint16)
RGBA16 = RNG.integers(0, 65536, (3, 16, 24, 4), dtype=np.uint16)
RGB8 = RNG.integers(0, 256, (3, 16, 24, 3), dtype=np.uint8)
FLOATS = RNG.random((3, 16, 24, 3))


def png(frames: Any, **options: Any) -> bytes:
    """The APNG framesink writes of ``frames`` (lossless, deterministic)."""
    buf = io.BytesIO()
    framesink.write(buf, frames, format="png", **options)
    return buf.getvalue()


def png_frames(frames: list[Any], **options: Any) -> bytes:
    """The APNG of ``frames`` given one by one to Writer.write."""
    buf = io.BytesIO()
    with framesink.Writer(buf, format="png", **options) as w:
        for frame in frames:
            w.write(frame)
    return buf.getvalue()


def decode_raw(data: bytes, tmp_path: Path, pix_fmt: str, dtype: str) -> np.ndarray:
    """Every frame of an APNG decoded by ffmpeg to ``pix_fmt``: (N, H, W, C) values."""
    path = tmp_path / "decode.png"
    path.write_bytes(data)
    info = probe(path)
    args = ["-v", "error", "-i", str(path), "-fps_mode", "passthrough", "-f", "rawvideo"]
    raw = subprocess.run(
        [FFMPEG, *args, "-pix_fmt", pix_fmt, "-"],
        capture_output=True,
        check=True,
    ).stdout
    values = np.frombuffer(raw, dtype)
    return values.reshape(info.frames, info.height, info.width, -1)


# ---------------------------------------------------------------- byte order


@pytest.mark.parametrize(
    ("native", "pix_fmt"),
    [(GRAY16, "gray16le"), (RGB16, "rgb48le"), (RGBA16, "rgba64le")],
    ids=["gray", "rgb", "rgba"],
)
def test_big_endian_uint16_movie_decodes_to_its_own_values(
    native: np.ndarray, pix_fmt: str, tmp_path: Path
) -> None:
    big = native.astype(">u2")
    assert big.dtype.byteorder == ">" and np.array_equal(big, native)
    data = png(big)
    assert data == png(native)
    decoded = decode_raw(data, tmp_path, pix_fmt, "<u2")
    np.testing.assert_array_equal(decoded, native.reshape(decoded.shape))
    np.testing.assert_array_equal(big, native)  # the caller's array is left alone


def test_big_endian_uint16_frames_via_writer_equal_native(tmp_path: Path) -> None:
    big = RGB16.astype(">u2")
    data = png_frames(list(big))
    assert data == png_frames(list(RGB16))
    assert framemd5(data) == framemd5(png(RGB16))


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: RGB16, id="rgb-bgr"),
        pytest.param(lambda: RGB16[..., :2], id="gray-alpha"),
    ],
)
def test_big_endian_uint16_rounded_to_8_bits_equals_native(make: Any) -> None:
    """BGR and gray+alpha 16-bit frames are rounded to 8 bits in Python: the same
    rounding from either byte order."""
    native = make()
    order = "bgr" if native.shape[-1] == 3 else "rgb"
    assert png(native.astype(">u2"), channel_order=order) == png(native, channel_order=order)


@pytest.mark.parametrize("dtype", [">f2", ">f4", ">f8"])
def test_big_endian_floats_equal_native(dtype: str) -> None:
    native = FLOATS.astype(dtype.replace(">", "="))
    assert png(FLOATS.astype(dtype)) == png(native)


def test_byte_order_of_uint8_and_bool_is_moot() -> None:
    assert png(RGB8.astype(">u1")) == png(RGB8)
    bools = RGB8[..., 0] > 127
    assert png(bools.astype(">?")) == png(bools)


def test_big_endian_in_h264_decodes_as_native() -> None:
    big = encode_h264(GRAY16.astype(">u2"))
    assert framemd5(big) == framemd5(encode_h264(GRAY16))


def encode_h264(frames: Any) -> bytes:
    return framesink.encode(frames, quality=100)


def test_a_big_endian_movie_is_swapped_one_frame_at_a_time(tmp_path: Path) -> None:
    """A (N, H, W) '>u2' array is never swapped whole: the memory numpy allocates
    while writing stays near one frame, far below the movie's size."""
    movie = np.zeros((48, 128, 128), ">u2")
    movie[:, 32:96, 32:96] = 40000
    frame_bytes = movie[0].nbytes
    tracemalloc.start()
    try:
        framesink.write(tmp_path / "big.mp4", movie)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * frame_bytes < movie.nbytes / 4, (peak, movie.nbytes)
    assert probe(tmp_path / "big.mp4").frames == 48


def test_big_endian_integers_through_cmap() -> None:
    field = RNG.integers(-1000, 1000, (3, 16, 24)).astype(np.int16)
    expected = png(field.astype(np.float64), cmap="viridis", vmin=-1000, vmax=1000)
    assert png(field.astype(">i2"), cmap="viridis", vmin=-1000, vmax=1000) == expected


# ---------------------------------------------------------------- xarray


def test_a_3d_dataarray_is_a_movie_along_its_first_dimension(tmp_path: Path) -> None:
    da = xr.DataArray(GRAY16, dims=("time", "y", "x"), coords={"time": [0.0, 0.5, 1.0]})
    data = png(da)
    assert data == png(GRAY16)
    np.testing.assert_array_equal(decode_raw(data, tmp_path, "gray16le", "<u2")[..., 0], GRAY16)


def test_a_4d_dataarray_of_big_endian_values_is_a_movie() -> None:
    da = xr.DataArray(RGB16.astype(">u2"), dims=("t", "y", "x", "band"))
    assert png(da) == png(RGB16)


def test_dataarray_frames_go_to_writer_write() -> None:
    gray = xr.DataArray(GRAY16[0], dims=("y", "x"))
    rgb = xr.DataArray(RGB8[0], dims=("y", "x", "c"))
    assert png_frames([gray, gray]) == png_frames([GRAY16[0], GRAY16[0]])
    assert png_frames([rgb]) == png_frames([RGB8[0]])
    assert png([xr.DataArray(f) for f in FLOATS]) == png(FLOATS)  # a list of DataArrays


def test_a_dataarray_with_cmap() -> None:
    field = RNG.random((3, 16, 24)) * 50
    da = xr.DataArray(field, dims=("t", "y", "x"))
    assert png(da, cmap="magma", vmin=0, vmax=50) == png(field, cmap="magma", vmin=0, vmax=50)


@pytest.mark.parametrize(
    ("shape", "dims"),
    [((16, 24), "'y', 'x'"), ((2, 2, 16, 24, 3), "'dim_0', 'dim_1', 'dim_2', 'dim_3', 'dim_4'")],
    ids=["2-D", "5-D"],
)
def test_a_dataarray_that_is_not_a_movie_is_refused(
    shape: tuple[int, ...], dims: str, tmp_path: Path
) -> None:
    da = xr.DataArray(np.zeros(shape, np.uint8))
    if len(shape) == 2:
        da = da.rename({"dim_0": "y", "dim_1": "x"})
    path = tmp_path / "x.mp4"
    message = (
        f"frames xarray.DataArray (dims ({dims})) has shape {shape}; "
        "expected (N, H, W) or (N, H, W, C) (a movie along its first dimension)"
    )
    with pytest.raises(InvalidFrameError, match=re.escape(message)):
        framesink.write(path, da)
    assert not path.exists()


def test_an_xarray_dataset_is_refused_naming_a_variable() -> None:
    ds = xr.Dataset({"intensity": (("t", "y", "x"), GRAY16)})
    with pytest.raises(TypeError, match=re.escape("frames is an xarray.Dataset; pass one")):
        framesink.encode(ds)
    assert png(ds["intensity"]) == png(GRAY16)


def test_a_dask_backed_dataarray_still_goes_to_write_dask(monkeypatch: Any) -> None:
    dask_array = pytest.importorskip("dask.array")
    from framesink import _render

    calls = []
    real = _render.write_dask

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(_render, "write_dask", spy)
    values = (FLOATS * 255).astype(np.uint8)
    da = xr.DataArray(dask_array.from_array(values, chunks=(1, 16, 24, 3)))
    data = framesink.encode(da, quality=100)
    assert calls == [1]
    assert framemd5(data) == framemd5(framesink.encode(values, quality=100))


def test_a_lazily_indexed_dataarray_is_read_a_frame_at_a_time() -> None:
    """A DataArray on a lazy backend (netCDF opened without Dask) is read one
    frame at a time, never whole (docs/bad-inputs.md row 159): write()'s Dask
    check looks at ``chunks``, not at ``.data``."""
    from xarray.backends import BackendArray
    from xarray.core import indexing

    class Counting(BackendArray):  # type: ignore[misc]
        def __init__(self, values: np.ndarray) -> None:
            self.values, self.shape, self.dtype = values, values.shape, values.dtype
            self.reads: list[tuple[int, ...]] = []

        def __getitem__(self, key: Any) -> Any:
            support = indexing.IndexingSupport.BASIC
            return indexing.explicit_indexing_adapter(key, self.shape, support, self._read)

        def _read(self, key: Any) -> np.ndarray:
            out = self.values[key]
            self.reads.append(out.shape)
            return out

    backend = Counting(GRAY16)
    da = xr.DataArray(xr.Variable(("t", "y", "x"), indexing.LazilyIndexedArray(backend)))
    assert da.chunks is None and backend.reads == []
    assert png(da) == png(GRAY16)
    assert backend.reads == [GRAY16.shape[1:]] * len(GRAY16)


def test_xarray_and_pil_are_not_imported_for_numpy_frames() -> None:
    code = (
        "import sys, io, numpy as np, framesink\n"
        "framesink.write(io.BytesIO(), np.zeros((2, 16, 16, 3), np.uint8), format='png')\n"
        "framesink.write(io.BytesIO(), [np.zeros((16, 16), '>u2')], format='png')\n"
        "print(sorted(m for m in ('xarray', 'PIL', 'torch', 'jax') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------- PIL images


def _pil(array: np.ndarray, mode: str) -> Any:
    return PIL_Image.fromarray(array, mode=mode) if mode else PIL_Image.fromarray(array)


@pytest.mark.parametrize(
    ("mode", "array"),
    [
        ("L", RGB8[0, ..., 0]),
        ("LA", RGB8[0, ..., :2]),
        ("RGB", RGB8[0]),
        ("RGBA", np.dstack([RGB8[0], RGB8[1, ..., 0]])),
        ("I;16", GRAY16[0]),
        ("F", FLOATS[0, ..., 0].astype(np.float32)),
        ("1", RGB8[0, ..., 0] > 100),
    ],
)
def test_pil_images_map_exactly_as_their_arrays(mode: str, array: np.ndarray) -> None:
    image = PIL_Image.fromarray(array)
    assert image.mode == mode
    assert png_frames([image, image]) == png_frames([array, array])


def test_a_pil_i16b_image_is_big_endian_and_exact(tmp_path: Path) -> None:
    image = PIL_Image.frombytes("I;16B", (24, 16), GRAY16[0].astype(">u2").tobytes())
    assert image.mode == "I;16B" and np.asarray(image).dtype == np.dtype(">u2")
    data = png_frames([image])
    assert data == png_frames([GRAY16[0]])
    np.testing.assert_array_equal(
        decode_raw(data, tmp_path, "gray16le", "<u2")[0, ..., 0], GRAY16[0]
    )


def test_a_pil_rgbx_image_drops_its_padding() -> None:
    image = PIL_Image.fromarray(RGB8[0]).convert("RGBX")
    assert png_frames([image]) == png_frames([RGB8[0]])


def _palette_image(transparent: bool) -> tuple[Any, np.ndarray]:
    """A P image of 8 colours (its palette exact) and the RGB(A) it stands for."""
    indices = RNG.integers(0, 8, (16, 24)).astype(np.uint8)
    palette = RNG.integers(0, 256, (8, 3), dtype=np.uint8)
    image = PIL_Image.fromarray(indices, mode="P")
    image.putpalette(palette.ravel().tolist())
    rgb = palette[indices]
    if not transparent:
        return image, rgb
    image.info["transparency"] = 3
    alpha = np.where(indices == 3, 0, 255).astype(np.uint8)
    return image, np.dstack([rgb, alpha])


@pytest.mark.parametrize("transparent", [False, True], ids=["opaque", "transparency"])
def test_a_palette_image_goes_through_its_palette(transparent: bool, tmp_path: Path) -> None:
    image, expected = _palette_image(transparent)
    data = png_frames([image])
    assert data == png_frames([expected])
    fmt = "rgba" if transparent else "rgb24"
    decoded = decode_raw(data, tmp_path, fmt, "u1")[0]
    np.testing.assert_array_equal(decoded, expected)


def test_a_pa_image_goes_to_rgba() -> None:
    image, rgb = _palette_image(False)
    alpha = RGB8[0, ..., 1]
    pa = image.convert("PA")
    pa.putalpha(PIL_Image.fromarray(alpha))
    assert pa.mode == "PA"
    assert png_frames([pa]) == png_frames([np.dstack([rgb, alpha])])


def test_a_list_of_pil_images_is_a_movie() -> None:
    images = [PIL_Image.fromarray(f) for f in RGB8]
    assert png(images) == png(RGB8)


def test_an_animated_image_through_imagesequence() -> None:
    buf = io.BytesIO()
    first, *rest = [PIL_Image.fromarray(f) for f in (RGB8 // 128 * 255).astype(np.uint8)]
    first.save(buf, format="GIF", save_all=True, append_images=rest)
    buf.seek(0)
    animated = PIL_Image.open(buf)
    summary = framesink.write(io.BytesIO(), ImageSequence.Iterator(animated), format="png")
    assert summary.frames == 3


def test_one_pil_image_as_the_movie_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.mp4"
    message = (
        "frames is one PIL image (mode 'RGB', 24x16), not a movie; allowed: a list of PIL "
        "images ([image] for a one-frame movie), or PIL.ImageSequence.Iterator(image)"
    )
    with pytest.raises(TypeError, match=re.escape(message)):
        framesink.write(path, PIL_Image.fromarray(RGB8[0]))
    assert not path.exists()


ALLOWED_MODES = (
    "allowed modes: 1, L, LA, P, PA, RGB, RGBA, RGBX, I;16 (also I;16L, I;16B, I;16N), F"
)


@pytest.mark.parametrize(
    ("mode", "hint"),
    [
        ("CMYK", "convert it first, e.g. image.convert('RGB') (a colour conversion, not exact)"),
        ("YCbCr", "image.convert('RGB')"),
        ("HSV", "image.convert('RGB')"),
        ("LAB", "image.convert('RGB')"),
        ("RGBa", "its alpha is premultiplied: image.convert('RGBA') first"),
        ("La", "premultiplied"),
        ("I", "mode 'I' holds integers with no fixed mapping to pixels"),
    ],
    ids=lambda value: value if len(value) < 6 else "hint",
)
def test_pil_modes_that_do_not_map_exactly_are_refused(
    mode: str, hint: str, tmp_path: Path
) -> None:
    image = PIL_Image.new(mode, (24, 16))
    path = tmp_path / "x.mp4"
    with framesink.Writer(path) as w:
        w.write(np.zeros((16, 24), np.uint8))
        with pytest.raises(InvalidFrameError) as info:
            w.write(image)
        message = str(info.value)
        assert message.startswith(f"frame 1: PIL image mode '{mode}' is not supported; ")
        assert ALLOWED_MODES in message and hint in message
        w.write(np.zeros((16, 24), np.uint8))  # the writer goes on
    assert probe(path).frames == 2


def test_a_pil_i_image_with_cmap_is_a_scalar_field() -> None:
    field = RNG.integers(-5000, 5000, (16, 24)).astype(np.int32)
    image = PIL_Image.fromarray(field)
    assert image.mode == "I"
    options = {"cmap": "gray", "vmin": -5000, "vmax": 5000}
    assert png_frames([image], **options) == png_frames([field.astype(np.float64)], **options)


# ---------------------------------------------------------------- __array__ and __dlpack__


class ArrayOnly:
    """Has ``__array__`` and nothing else (not iterable, no shape)."""

    def __init__(self, array: np.ndarray) -> None:
        self._array = array

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self._array if dtype is None else self._array.astype(dtype)


class DlpackOnly:
    """Has ``__dlpack__`` and ``__dlpack_device__`` only, delegating to numpy's."""

    def __init__(self, array: np.ndarray, device: tuple[int, int] = (1, 0)) -> None:
        self._array = array
        self._device = device

    def __dlpack__(self, **kwargs: Any) -> Any:
        return self._array.__dlpack__(**kwargs)

    def __dlpack_device__(self) -> tuple[int, int]:
        return self._device


class LazyFrames:
    """An h5py/zarr-like dataset: a shape, a length, frames by index, and an
    ``__array__`` that would read everything (counted)."""

    def __init__(self, array: np.ndarray) -> None:
        self._array = array
        self.shape = array.shape
        self.ndim = array.ndim
        self.whole_reads = 0

    def __len__(self) -> int:
        return len(self._array)

    def __getitem__(self, index: int) -> np.ndarray:
        return self._array[index].copy()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        self.whole_reads += 1
        return self._array


class OnDevice:
    """A CuPy-like device array: ``__cuda_array_interface__``, and an
    ``__array__`` that refuses the implicit copy."""

    __cuda_array_interface__: ClassVar[dict[str, Any]] = {
        "shape": (16, 24),
        "typestr": "|u1",
        "version": 3,
    }
    shape = (16, 24)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise TypeError("Implicit conversion to a NumPy array is not allowed")


@pytest.mark.parametrize("frames", [RGB8, GRAY16.astype(">u2"), FLOATS], ids=["u1", ">u2", "f8"])
def test_array_protocol_objects_as_frames_and_as_a_movie(frames: np.ndarray) -> None:
    expected = png(frames)
    assert png([ArrayOnly(f) for f in frames]) == expected
    assert png(ArrayOnly(frames)) == expected


@pytest.mark.parametrize(
    "frames", [RGB8, GRAY16, FLOATS.astype(np.float32)], ids=["u1", "u2", "f4"]
)
def test_dlpack_objects_as_frames_and_as_a_movie(frames: np.ndarray) -> None:
    expected = png(frames)
    assert not hasattr(DlpackOnly(frames), "__array__")
    assert png([DlpackOnly(f) for f in frames]) == expected
    assert png(DlpackOnly(frames)) == expected
    bools = frames[..., 0] > frames[..., 0].mean() if frames.ndim == 4 else frames > 30000
    assert png(DlpackOnly(bools)) == png(bools)


def test_a_dlpack_movie_on_a_host_readable_device_is_fine() -> None:
    assert png(DlpackOnly(RGB8, device=(3, 0))) == png(RGB8)  # CUDA pinned host memory


def test_a_lazy_dataset_is_read_one_frame_at_a_time() -> None:
    lazy = LazyFrames(RGB16.astype(">u2"))
    assert png(lazy) == png(RGB16)
    assert lazy.whole_reads == 0


def test_an_array_protocol_movie_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.mp4"
    with pytest.raises(
        InvalidFrameError,
        match=re.escape(
            "frames test_arrays.ArrayOnly has shape (16, 24); expected (N, H, W) or (N, H, W, C)"
        ),
    ):
        framesink.write(path, ArrayOnly(RGB8[0, ..., 0]))
    with pytest.raises(
        InvalidFrameError, match=re.escape("frames test_arrays.LazyFrames has shape")
    ):
        framesink.write(path, LazyFrames(RGB8[0, ..., 0]))
    assert not path.exists()


DEVICE_HINT = (
    "device memory cannot be read here; copy it to the CPU first: tensor.cpu() (PyTorch), "
    "cupy.asnumpy(a) or a.get() (CuPy), jax.device_get(a) (JAX)"
)


@pytest.mark.parametrize(
    ("device", "name"),
    [((2, 0), "CUDA:0"), ((10, 1), "ROCm:1"), ((8, 0), "Metal:0")],
    ids=["CUDA", "ROCm", "Metal"],
)
def test_a_dlpack_movie_in_device_memory_is_refused_before_the_file(
    device: tuple[int, int], name: str, tmp_path: Path
) -> None:
    path = tmp_path / "x.mp4"
    with pytest.raises(InvalidFrameError) as info:
        framesink.write(path, DlpackOnly(RGB8, device=device))
    assert str(info.value) == (
        f"frames: a test_arrays.DlpackOnly in {name} {DEVICE_HINT}, or its library's own"
    )
    assert not path.exists()


@pytest.mark.parametrize(
    ("frame", "what"),
    [
        (DlpackOnly(RGB8[0], device=(2, 0)), "a test_arrays.DlpackOnly in CUDA:0 "),
        (OnDevice(), "a test_arrays.OnDevice in CUDA "),
    ],
    ids=["dlpack CUDA", "cuda_array_interface"],
)
def test_a_device_frame_is_refused_and_the_writer_goes_on(
    frame: Any, what: str, tmp_path: Path
) -> None:
    path = tmp_path / "x.mp4"
    with framesink.Writer(path) as w:
        w.write(RGB8[0])
        with pytest.raises(InvalidFrameError, match=re.escape(f"frame 1: {what}{DEVICE_HINT}")):
            w.write(frame)
        w.write(RGB8[1])
    assert probe(path).frames == 2


def test_an_array_protocol_that_fails_is_named() -> None:
    class Broken:
        def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad")

    with pytest.raises(
        InvalidFrameError,
        match=re.escape(
            "frame 0: a test_arrays.Broken could not be read as an array: "
            "Can't call numpy() on Tensor that requires grad"
        ),
    ):
        framesink.encode([Broken()])


# ---------------------------------------------------------------- integer dtypes


ALLOWED = "allowed: uint8, uint16, bool, float16, float32, float64; "


@pytest.mark.parametrize(
    ("dtype", "ways"),
    [
        (
            "int8",
            "frame.astype(np.uint8) if its values are 0..127, "
            "(frame.astype(np.int16) + 128).astype(np.uint8) for all of -128..127",
        ),
        (
            "int16",
            "frame.astype(np.uint8) if its values are 0..255, frame.astype(np.uint16) if "
            "0..32767, (frame.astype(np.int32) + 32768).astype(np.uint16) for all of "
            "-32768..32767",
        ),
        (
            "int32",
            "frame.astype(np.uint8) if its values are 0..255, frame.astype(np.uint16) if 0..65535",
        ),
        (
            "int64",
            "frame.astype(np.uint8) if its values are 0..255, frame.astype(np.uint16) if 0..65535",
        ),
        (
            "uint32",
            "frame.astype(np.uint8) if its values are 0..255, frame.astype(np.uint16) if 0..65535",
        ),
        (
            "uint64",
            "frame.astype(np.uint8) if its values are 0..255, frame.astype(np.uint16) if 0..65535",
        ),
    ],
    ids=["int8", "int16", "int32", "int64", "uint32", "uint64"],
)
def test_integer_dtypes_are_refused_naming_the_mappings_on_offer(
    dtype: str, ways: str, tmp_path: Path
) -> None:
    path = tmp_path / "x.mp4"
    with framesink.Writer(path) as w:
        w.write(RGB8[0])
        with pytest.raises(InvalidFrameError) as info:
            w.write(np.zeros((16, 24, 3), dtype))
        w.write(RGB8[1])
    assert str(info.value) == (
        f"frame 1: dtype {dtype} is not supported; {ALLOWED}{dtype} has no fixed mapping to "
        f"pixels and frames are never rescaled one by one; convert: {ways}, or "
        "(frame.astype(np.float64) - lo) / (hi - lo) for floats in [0, 1] with one lo and hi "
        "for the whole "
        "movie; or, for 2-D frames, pass cmap= (e.g. 'gray') with vmin=lo, vmax=hi, which "
        f"takes {dtype} frames as they are"
    )
    assert probe(path).frames == 2


def test_a_big_endian_signed_frame_is_refused_as_its_dtype() -> None:
    with pytest.raises(InvalidFrameError, match=re.escape("frame 0: dtype int16 is not supported")):
        framesink.encode([np.zeros((16, 16), ">i2")])


def test_the_suggested_conversions_work() -> None:
    int8 = RNG.integers(-128, 128, (2, 16, 24)).astype(np.int8)
    shifted = (int8.astype(np.int16) + 128).astype(np.uint8)
    assert png(shifted) == png((int8.astype(np.int64) + 128).astype(np.uint8))
    int16 = RNG.integers(-32768, 32768, (2, 16, 24)).astype(np.int16)
    as_u16 = (int16.astype(np.int32) + 32768).astype(np.uint16)
    assert np.array_equal(as_u16.astype(np.int64) - 32768, int16)
    assert png(as_u16) == png(as_u16.astype(">u2"))
    lo, hi = -32768, 32767
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # in [0, 1]: nothing clipped
        scaled = (int16.astype(np.float64) - lo) / (hi - lo)
        assert png(scaled) == png(scaled.astype(">f8"))
    assert scaled.min() >= 0 and scaled.max() <= 1


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "uint32", "uint64"])
def test_cmap_takes_integer_dtypes_as_they_are(dtype: str) -> None:
    field = RNG.integers(0, 100, (2, 16, 24)).astype(dtype)
    options = {"cmap": "viridis", "vmin": 0, "vmax": 99}
    assert png(field, **options) == png(field.astype(np.float64), **options)


def test_a_pil_movie_in_h264_decodes_near_its_pixels() -> None:
    frames = smooth_frames(3, 48, 64, seed=3)
    images = [PIL_Image.fromarray(f) for f in frames]
    data = framesink.encode(images, quality=100)
    assert framemd5(data) == framemd5(framesink.encode(frames, quality=100))
    assert psnr(decode_rgb(data), frames) >= 40.0


def test_pil_mode_1_bytes_of_255_are_white(tmp_path: Path) -> None:
    """PIL's mode 1 arrays are bool holding the bytes 0 and 255: white, not 255 * 255."""
    mask = RGB8[0, ..., 0] > 100
    image = PIL_Image.fromarray(mask)
    assert set(np.unique(np.asarray(image).view(np.uint8))) == {0, 255}
    decoded = decode_raw(png_frames([image]), tmp_path, "gray", "u1")[0, ..., 0]
    np.testing.assert_array_equal(decoded, np.where(mask, 255, 0))
