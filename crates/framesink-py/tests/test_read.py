"""Reading movies back (framesink.read, framesink.Reader, the imageio plugin, the
CLI's probe and decode), checked against Debian's ffmpeg as the reference:
the YUV planes framesink decodes equal ffmpeg's; RGB is within one level of an
exact conversion of ffmpeg's planes; GIF and APNG equal ffmpeg's RGBA."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import framesink
import imageio.v3 as iio
import numpy as np
import pytest
from _media import FFMPEG, psnr, smooth_frames

CLI = [sys.executable, "-m", "framesink"]

# H.273 matrix code -> (Kr, Kb).
KRKB = {1: (0.2126, 0.0722), 5: (0.299, 0.114), 6: (0.299, 0.114), 2: (0.299, 0.114)}


def ffmpeg(*args: str) -> bytes:
    return subprocess.run(
        [FFMPEG, "-v", "error", "-nostdin", *args], check=True, capture_output=True
    ).stdout


def ffmpeg_planes(path: Path, w: int, h: int, pix_fmt: str = "yuv420p") -> np.ndarray:
    """ffmpeg's decoded planes, untouched (``yuvj420p`` for a full-range stream, which
    ffmpeg would otherwise squeeze into limited range): (N, bytes a frame)."""
    raw = ffmpeg(
        "-i", str(path), "-f", "rawvideo", "-pix_fmt", pix_fmt, "-fps_mode", "passthrough", "-"
    )
    size = w * h + 2 * ((w + 1) // 2) * ((h + 1) // 2)
    assert len(raw) % size == 0
    return np.frombuffer(raw, np.uint8).reshape(-1, size)


def ffmpeg_rgba(path: Path, w: int, h: int) -> np.ndarray:
    raw = ffmpeg(
        "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgba", "-fps_mode", "passthrough", "-"
    )
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 4)


def framesink_planes(path: Path) -> np.ndarray:
    """framesink's decoded planes, through `framesink decode --pix-fmt yuv420p`."""
    props = framesink.Reader(path).props
    w, h = props.size
    raw = subprocess.run(
        [*CLI, "decode", str(path), "--pix-fmt", "yuv420p"], check=True, capture_output=True
    ).stdout
    size = w * h + 2 * ((w + 1) // 2) * ((h + 1) // 2)
    assert len(raw) == size * props.n_frames, (len(raw), size, props.n_frames)
    return np.frombuffer(raw, np.uint8).reshape(-1, size)


def exact_rgb(planes: np.ndarray, w: int, h: int, matrix: int, full: bool) -> np.ndarray:
    """The exact YCbCr -> RGB of planes (each chroma sample for its 2x2 block)."""
    kr, kb = KRKB[matrix]
    cw, ch = (w + 1) // 2, (h + 1) // 2
    y = planes[:, : w * h].reshape(-1, h, w).astype(np.float64)
    u = planes[:, w * h : w * h + cw * ch].reshape(-1, ch, cw).astype(np.float64)
    v = planes[:, w * h + cw * ch :].reshape(-1, ch, cw).astype(np.float64)
    u = u.repeat(2, 1).repeat(2, 2)[:, :h, :w] - 128
    v = v.repeat(2, 1).repeat(2, 2)[:, :h, :w] - 128
    if full:
        yf = y
    else:
        yf, u, v = (y - 16) * 255 / 219, u * 255 / 224, v * 255 / 224
    r = yf + 2 * (1 - kr) * v
    b = yf + 2 * (1 - kb) * u
    g = (yf - kr * r - kb * b) / (1 - kr - kb)
    return np.clip(np.stack([r, g, b], -1), 0, 255)


def check_rgb_against_planes(path: Path, rgb: np.ndarray, matrix: int, full: bool = False) -> float:
    """Asserts framesink's RGB is within one level of the exact conversion of
    ffmpeg's planes on at least 95% of values (all within 2); returns that share."""
    _, h, w, _ = rgb.shape
    planes = ffmpeg_planes(path, w, h, "yuvj420p" if full else "yuv420p")
    exact = exact_rgb(planes, w, h, matrix, full)
    assert exact.shape == rgb.shape
    diff = np.abs(rgb.astype(np.float64) - exact)
    share = float(np.mean(diff <= 1.0))
    assert share >= 0.95, f"{share:.4f} of values within 1 level"
    assert diff.max() <= 2.0, f"max difference {diff.max():.2f}"
    return share


@pytest.fixture(scope="module")
def h264(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    frames = smooth_frames(40, 48, 64)
    path = tmp_path_factory.mktemp("read") / "own.mp4"
    framesink.write(
        path, frames, fps="30000/1001", keyframe_interval=12, metadata={"title": "Run 3"}
    )
    return path, frames


@pytest.fixture(scope="module")
def x264(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An x264 High stream with 3 B-frames and b-pyramid, made by ffmpeg."""
    path = tmp_path_factory.mktemp("read") / "x264.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25", "-frames:v", "60",
        "-c:v", "libx264", "-profile:v", "high", "-x264-params", "bframes=3:b-pyramid=normal",
        "-g", "24", "-pix_fmt", "yuv420p", str(path),
    )  # fmt: skip
    return path


# -- H.264 ---------------------------------------------------------------------


def test_own_h264_planes_equal_ffmpegs(h264: tuple[Path, np.ndarray]) -> None:
    path, _ = h264
    ours = framesink_planes(path)
    ref = ffmpeg_planes(path, 64, 48)
    assert ours.shape == ref.shape == (40, 64 * 48 * 3 // 2)
    assert np.array_equal(ours, ref)


def test_own_h264_rgb_is_an_exact_conversion_and_a_round_trip(
    h264: tuple[Path, np.ndarray],
) -> None:
    path, frames = h264
    rgb = framesink.read(path)
    assert rgb.shape == (40, 48, 64, 3) and rgb.dtype == np.uint8
    check_rgb_against_planes(path, rgb, matrix=1)
    assert psnr(rgb, frames) > 30


def test_x264_b_frames_decode_whole_and_in_order(x264: Path) -> None:
    with framesink.Reader(x264) as r:
        assert len(r) == 60
        assert r.props.profile == "High"
        assert r.props.fps == 25
        assert np.allclose(r.props.timestamps, np.arange(60) / 25)
        rgb = r[:]
    ours = framesink_planes(x264)
    ref = ffmpeg_planes(x264, 96, 64)
    assert ours.shape == ref.shape
    value = psnr(ours[:, None], ref[:, None])
    # OpenH264 and ffmpeg agree on x264's streams to within rounding (reported).
    assert value > 40, f"PSNR {value:.1f} dB against ffmpeg"
    # In order: each frame is closest to ffmpeg's frame of the same index.
    for i in (0, 1, 2, 3, 30, 59):
        errors = [np.mean((ours[i].astype(float) - ref[j]) ** 2) for j in range(60)]
        assert int(np.argmin(errors)) == i
    check_rgb_against_planes(x264, rgb, matrix=2)


def test_props_are_read_without_decoding(h264: tuple[Path, np.ndarray]) -> None:
    p = framesink.Reader(h264[0]).props
    assert p.n_frames == 40
    assert p.fps == Fraction(30000, 1001)
    assert p.duration == pytest.approx(40 * 1001 / 30000)
    assert p.size == (64, 48) and p.shape == (40, 48, 64, 3)
    assert p.codec == "h264" and p.profile == "High" and p.bit_depth == 8
    assert p.color == {"primaries": 1, "transfer": 1, "matrix": 1, "full_range": False}
    assert p.metadata["title"] == "Run 3"
    assert p.truncated is None
    assert np.allclose(p.timestamps, np.arange(40) * 1001 / 30000)


def test_indexing_seeks_to_the_same_pixels_as_reading_in_order(
    h264: tuple[Path, np.ndarray],
) -> None:
    path, _ = h264
    every = framesink.read(path)
    with framesink.Reader(path) as r:
        for i in (39, 0, 13, 12, 11, 25, -1):
            assert np.array_equal(r[i], every[i]), i
        assert np.array_equal(r[5:9], every[5:9])
        assert np.array_equal(r[[3, 30, 3]], every[[3, 30, 3]])
        assert np.array_equal(r[::-7], every[::-7])
        assert np.array_equal(r.at(1.0), every[int(1.0 * 30000 / 1001)])
        assert np.array_equal(r.at(0), every[0])
        assert np.array_equal(np.stack(list(r)), every)
    assert np.array_equal(framesink.read(path, index=7), every[7])
    assert np.array_equal(framesink.read(path, index=slice(2, 5)), every[2:5])


def test_many_frames_come_in_one_writable_array(tmp_path: Path) -> None:
    # 24 frames of 320x240 RGB are 5.5 MB: a stack that large is laid out in
    # pages of its own (not numpy's memory) and must behave as any array.
    path = tmp_path / "big.mp4"
    frames = smooth_frames(24, 240, 320)
    framesink.write(path, frames, fps=24, keyframe_interval=6)
    every = framesink.read(path)
    assert every.shape == (24, 240, 320, 3) and every.nbytes > 1 << 22
    assert every.flags.writeable and every.flags.c_contiguous and every.flags.aligned
    with framesink.Reader(path) as r:
        assert np.array_equal(np.stack(list(r)), every)
        assert np.array_equal(r[3:20], every[3:20])
    check_rgb_against_planes(path, every, matrix=1)
    every[0] = 0
    assert not every[0].any() and every[1].any()


def test_gray_and_other_formats(h264: tuple[Path, np.ndarray]) -> None:
    path, _ = h264
    gray = framesink.read(path, format="gray")
    assert gray.shape == (40, 48, 64)
    luma = ffmpeg_planes(path, 64, 48)[:, : 64 * 48].reshape(-1, 48, 64).astype(float)
    assert np.abs(gray - np.clip(np.round((luma - 16) * 255 / 219), 0, 255)).max() == 0
    rgb = framesink.read(path)
    bgr = framesink.read(path, format="bgr24")
    assert np.array_equal(bgr, rgb[..., ::-1])
    rgba = framesink.read(path, format="rgba")
    assert np.array_equal(rgba[..., :3], rgb) and (rgba[..., 3] == 255).all()


def test_sources_path_bytes_and_file_objects(h264: tuple[Path, np.ndarray]) -> None:
    path, _ = h264
    every = framesink.read(path)
    data = path.read_bytes()
    assert np.array_equal(framesink.read(data), every)
    assert np.array_equal(framesink.read(bytearray(data)), every)
    with open(path, "rb") as f:
        assert np.array_equal(framesink.read(f), every)
    assert np.array_equal(framesink.read(str(path)), every)


def test_odd_sizes_are_cropped_back(tmp_path: Path) -> None:
    # framesink writes an odd size with one repeated last column and row (4:2:0
    # holds even sizes), and reads back what the movie holds.
    frames = smooth_frames(6, 17, 33)
    path = tmp_path / "odd.mp4"
    with pytest.warns(framesink.FramesinkWarning):
        framesink.write(path, frames, fps=10)
    rgb = framesink.read(path)
    assert rgb.shape == (6, 18, 34, 3)
    assert np.array_equal(framesink_planes(path), ffmpeg_planes(path, 34, 18))
    assert psnr(rgb[:, :17, :33], frames) > 28
    # A foreign stream cropped to an odd size keeps it.
    # A foreign stream cropped to a size that is not whole macroblocks keeps it.
    odd = tmp_path / "x264-odd.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=34x18:rate=10", "-frames:v", "4",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", str(odd),
    )  # fmt: skip
    assert framesink.read(odd).shape == (4, 18, 34, 3)
    assert framesink.Reader(odd).props.coded_size == (48, 32)


def test_bt601_movies_decode_with_their_own_matrix(tmp_path: Path) -> None:
    frames = smooth_frames(4, 32, 32)
    path = tmp_path / "601.mp4"
    subprocess.run(
        [*CLI, "encode", str(path), "--size", "32x32", "--pix-fmt", "rgb24", "--fps", "10",
         "--matrix", "bt601", "--quiet"],
        input=frames.tobytes(), check=True, capture_output=True,
    )  # fmt: skip
    p = framesink.Reader(path).props
    assert p.color["matrix"] == 6
    check_rgb_against_planes(path, framesink.read(path), matrix=6)


@pytest.mark.parametrize(
    ("encoder", "matrix"),
    [
        # x264 tagged BT.709, full range.
        (["-c:v", "libx264", "-pix_fmt", "yuvj420p", "-colorspace", "bt709"], 1),
        # AV1 codes the range whether or not it describes the colours: libaom's
        # full range without a description (untagged: BT.601, as ffmpeg takes it).
        (["-c:v", "libaom-av1", "-cpu-used", "8", "-pix_fmt", "yuv420p"], 2),
    ],
    ids=["h264", "av1-undescribed"],
)
def test_full_range_streams_use_full_range(tmp_path: Path, encoder: list[str], matrix: int) -> None:
    path = tmp_path / "full.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10", "-frames:v", "5",
        *encoder, "-color_range", "pc", str(path),
    )  # fmt: skip
    p = framesink.Reader(path).props
    assert p.color["full_range"] is True and p.color["matrix"] == matrix
    check_rgb_against_planes(path, framesink.read(path), matrix=matrix, full=True)


def test_a_movie_with_audio_reads_its_video(tmp_path: Path) -> None:
    path = tmp_path / "av.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10", "-f", "lavfi",
        "-i", "sine=frequency=440:duration=1", "-frames:v", "10", "-c:v", "libx264",
        "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path),
    )  # fmt: skip
    frames = framesink.read(path)
    assert frames.shape == (10, 48, 64, 3)
    assert np.array_equal(framesink_planes(path), ffmpeg_planes(path, 64, 48))


def test_a_truncated_movie_gives_the_frames_before_the_cut(tmp_path: Path) -> None:
    frames = smooth_frames(30, 32, 32)
    whole = tmp_path / "whole.mp4"
    with open(whole, "wb") as f:  # a stream: fragmented, as a crashed writer leaves it
        with framesink.Writer(_Unseekable(f), fps=10, keyframe_interval=5) as w:
            for frame in frames:
                w.write(frame)
    data = whole.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 2 // 3])
    with framesink.Reader(cut) as r:
        assert 0 < len(r) < 30
        assert r.props.truncated is not None and "truncated" in r.props.truncated
        got = r[:]
    assert np.array_equal(got, framesink.read(whole)[: len(got)])


class _Unseekable:
    def __init__(self, f: object) -> None:
        self.f = f

    def write(self, b: bytes) -> int:
        return self.f.write(b)  # type: ignore[attr-defined, no-any-return]

    def flush(self) -> None:
        self.f.flush()  # type: ignore[attr-defined]

    def seekable(self) -> bool:
        return False

    def readable(self) -> bool:
        return False


# -- AV1, GIF, APNG --------------------------------------------------------------


def test_own_av1_planes_equal_ffmpegs(tmp_path: Path) -> None:
    frames = smooth_frames(12, 48, 64)
    path = tmp_path / "av1.mp4"
    framesink.write(path, frames, fps=24, codec="av1", speed=10, keyframe_interval=6)
    p = framesink.Reader(path).props
    assert p.codec == "av1" and p.profile == "Main"
    assert np.array_equal(framesink_planes(path), ffmpeg_planes(path, 64, 48))
    rgb = framesink.read(path)
    check_rgb_against_planes(path, rgb, matrix=1)
    assert psnr(rgb, frames) > 30
    assert np.array_equal(framesink.read(path, index=9), rgb[9])


def test_libaom_av1_planes_equal_ffmpegs(tmp_path: Path) -> None:
    path = tmp_path / "aom.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=10", "-frames:v", "12",
        "-c:v", "libaom-av1", "-cpu-used", "8", "-pix_fmt", "yuv420p", str(path),
    )  # fmt: skip
    assert np.array_equal(framesink_planes(path), ffmpeg_planes(path, 96, 64))


def test_gif_rgba_equals_ffmpegs(tmp_path: Path) -> None:
    frames = smooth_frames(8, 24, 40)
    own = tmp_path / "own.gif"
    framesink.write(own, frames, fps=10)
    foreign = tmp_path / "ffmpeg.gif"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=40x24:rate=10", "-frames:v", "8",
        "-gifflags", "+transdiff", str(foreign),
    )  # fmt: skip
    for path in (own, foreign):
        rgba = framesink.read(path, format="rgba")
        assert np.array_equal(rgba, ffmpeg_rgba(path, 40, 24)), path.name
    assert framesink.Reader(own).props.fps == 10


def test_apng_round_trip_is_exact(tmp_path: Path) -> None:
    frames = smooth_frames(6, 20, 30)
    path = tmp_path / "m.png"
    framesink.write(path, frames, fps=5)
    got = framesink.read(path)
    assert np.array_equal(got, frames)
    assert np.array_equal(
        framesink.read(path, format="rgba")[..., :3], ffmpeg_rgba(path, 30, 20)[..., :3]
    )
    p = framesink.Reader(path).props
    assert p.codec == "png" and p.fps == 5 and p.n_frames == 6


# -- The CLI -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("pix_fmt", "channels", "fmt"),
    [("rgb48le", 3, "rgb48le"), ("rgba64le", 4, "rgba64le"), ("gray16le", 1, "gray16le")],
)
def test_16_bit_apng_reads_back_every_bit(
    tmp_path: Path, pix_fmt: str, channels: int, fmt: str
) -> None:
    # 12-bit camera values and full 16-bit ones, moving, in an APNG made by ffmpeg.
    rng = np.random.default_rng(7)
    shape = (5, 24, 32) if channels == 1 else (5, 24, 32, channels)
    frames = rng.integers(0, 4096, shape).astype("<u2")
    frames[2:] = np.roll(frames[1], 3, axis=1)
    frames[3, 4:10, 5:20] = 65535
    frames[4, :, :6] = 0
    raw = tmp_path / "in.raw"
    frames.tofile(raw)
    path = tmp_path / "wide.apng"
    ffmpeg(
        "-f", "rawvideo", "-pix_fmt", pix_fmt, "-s", "32x24", "-r", "10", "-i", str(raw),
        "-plays", "0", "-f", "apng", str(path),
    )  # fmt: skip
    ours = framesink.read(path)
    assert ours.dtype == np.uint16
    if channels == 1:  # a gray PNG is read as RGB, as its 8-bit kind is
        assert np.array_equal(ours, np.repeat(frames[..., None], 3, axis=-1))
    else:
        assert np.array_equal(ours, frames)
    with framesink.Reader(path, format=fmt) as r:
        assert r.props.bit_depth == 16 and r.props.dtype == np.uint16
        assert np.array_equal(r[1:4], frames[1:4])
        assert np.array_equal(np.stack(list(r)), frames)
    narrowed = framesink.read(path, format="rgb24")
    assert narrowed.dtype == np.uint8
    rgb = ours[..., :3].astype(np.float64)
    assert np.array_equal(narrowed, np.round(rgb * 255 / 65535).astype(np.uint8))
    props = iio.improps(path, plugin="framesink")
    assert props.dtype == np.uint16 and props.shape == ours.shape


def test_16_bit_formats_are_for_16_bit_pictures(h264: tuple[Path, np.ndarray]) -> None:
    path, _ = h264
    with pytest.raises(
        framesink.InvalidConfigError,
        match="holds 8-bit H264 pictures; rgb48le is for 16-bit PNG and APNG",
    ):
        framesink.read(path, format="rgb48le")


def test_probe_prints_the_props_as_json(h264: tuple[Path, np.ndarray]) -> None:
    out = subprocess.run([*CLI, "probe", str(h264[0])], check=True, capture_output=True).stdout
    props = json.loads(out)
    assert props["frames"] == 40 and props["fps"] == "30000/1001"
    assert props["width"] == 64 and props["height"] == 48
    assert props["metadata"]["title"] == "Run 3"
    step = props["timescale"] * 1001 // 30000
    assert props["pts"][:3] == [0, step, 2 * step]


def test_decode_is_the_inverse_of_encode(h264: tuple[Path, np.ndarray], tmp_path: Path) -> None:
    path = h264[0]
    raw = subprocess.run([*CLI, "decode", str(path)], check=True, capture_output=True).stdout
    assert np.array_equal(np.frombuffer(raw, np.uint8).reshape(40, 48, 64, 3), framesink.read(path))
    y4m = tmp_path / "a.y4m"
    subprocess.run([*CLI, "decode", str(path), "--y4m", "-o", str(y4m)], check=True)
    assert y4m.read_bytes().startswith(b"YUV4MPEG2 W64 H48 F30000:1001")
    again = ffmpeg("-i", str(y4m), "-f", "rawvideo", "-pix_fmt", "yuv420p", "-")
    assert again == ffmpeg_planes(path, 64, 48).tobytes()


# -- imageio -------------------------------------------------------------------


def test_imageio_reads_with_the_plugin(h264: tuple[Path, np.ndarray]) -> None:
    iio = pytest.importorskip("imageio.v3")
    v2 = pytest.importorskip("imageio.v2")
    path = h264[0]
    every = framesink.read(path)
    assert np.array_equal(iio.imread(path, plugin="framesink"), every)
    assert np.array_equal(iio.imread(path, plugin="framesink", index=5), every[5])
    assert np.array_equal(np.stack(list(iio.imiter(path, plugin="framesink"))), every)
    props = iio.improps(path, plugin="framesink")
    assert props.shape == (40, 48, 64, 3) and props.n_images == 40
    meta = iio.immeta(path, plugin="framesink")
    assert meta["fps"] == pytest.approx(30000 / 1001) and meta["title"] == "Run 3"
    with v2.get_reader(path, format="framesink") as r:
        assert len(r) == 40
        assert np.array_equal(r.get_data(3), every[3])
    assert np.array_equal(iio.imread(path, plugin="framesink", format="gray").shape, (40, 48, 64))


# -- Bad input -----------------------------------------------------------------


def test_other_codecs_and_containers_are_named(tmp_path: Path) -> None:
    webm = tmp_path / "a.webm"
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=32x32:rate=5",
        "-frames:v",
        "2",
        "-c:v",
        "libvpx-vp9",
        str(webm),
    )
    with pytest.raises(framesink.InvalidMovieError, match=r"Matroska/WebM.*ffmpeg"):
        framesink.Reader(webm)
    hevc = tmp_path / "hevc.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=64x64:rate=5", "-frames:v", "2",
        "-c:v", "libx265", "-tag:v", "hvc1", str(hevc),
    )  # fmt: skip
    with pytest.raises(framesink.InvalidMovieError, match=r"HEVC \(H.265\).*ffmpeg"):
        framesink.Reader(hevc)
    for pix_fmt, profile, words in (
        ("yuv420p10le", "high10", "10"),
        ("yuv444p", "high444", "4:4:4"),
    ):
        path = tmp_path / f"{pix_fmt}.mp4"
        ffmpeg(
            "-f", "lavfi", "-i", "testsrc2=size=64x64:rate=5", "-frames:v", "2",
            "-c:v", "libx264", "-profile:v", profile, "-pix_fmt", pix_fmt, str(path),
        )  # fmt: skip
        with pytest.raises(framesink.InvalidMovieError, match=words):
            framesink.Reader(path)
    text = tmp_path / "notes.mp4"
    text.write_text("not a movie")
    with pytest.raises(framesink.InvalidMovieError, match="not a movie"):
        framesink.Reader(text)
    with pytest.raises(framesink.InvalidMovieError, match="empty"):
        framesink.read(b"")


def test_a_damaged_av1_stream_aborts_the_process_WRONG() -> None:
    """WRONG (docs/bad-inputs.md row 444): rav1d 1.1.0 panics inside dav1d_send_data on
    this damaged AV1 stream (found by the reader fuzz target), and a panic cannot leave
    a C-ABI function: the process aborts. Its catchable Rust API is crate-private. A
    fix (a rav1d release, or decoding in a child process) makes this test fail."""
    movie = Path(__file__).resolve().parents[3] / "fuzz" / "known" / "rav1d-abort.mp4"
    assert framesink.Reader(movie).props.codec == "av1"  # it opens and describes
    run = subprocess.run(
        [*CLI, "decode", str(movie), "-o", "/dev/null"], capture_output=True, check=False
    )
    assert run.returncode == -6, run.returncode  # SIGABRT
    assert b"rav1d" in run.stderr and b"panic in a function that cannot unwind" in run.stderr


def test_bad_arguments_name_the_value(h264: tuple[Path, np.ndarray], tmp_path: Path) -> None:
    path = h264[0]
    with pytest.raises(FileNotFoundError):
        framesink.Reader(tmp_path / "missing.mp4")
    with pytest.raises(framesink.InvalidMovieError, match="directory"):
        framesink.Reader(tmp_path)
    with pytest.raises(framesink.InvalidTypeError, match="src"):
        framesink.Reader(3)  # type: ignore[arg-type]
    with pytest.raises(framesink.InvalidConfigError, match=r"'yuv9'.*rgb24"):
        framesink.Reader(path, format="yuv9")
    with framesink.Reader(path) as r:
        with pytest.raises(IndexError, match="40 frames"):
            r[40]
        with pytest.raises(framesink.InvalidTypeError, match="index"):
            r[1.5]  # type: ignore[index]
        with pytest.raises(framesink.InvalidConfigError, match=r"time 99 s .* lasts"):
            r.at(99.0)
        with pytest.raises(framesink.InvalidConfigError, match="time -1"):
            r.at(-1)
    with pytest.raises(framesink.InvalidConfigError, match="closed"):
        r[0]
