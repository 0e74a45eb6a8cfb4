"""framesink.render / join / write(dask array): frames drawn and encoded on other
processes (fresh local workers, a Dask cluster, a ProcessPoolExecutor), joined
without re-encoding, and checked against a one-process write with ffmpeg's
framemd5 (the decoded pictures, exactly).
"""

from __future__ import annotations

import inspect
import io
import multiprocessing
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Callable

import framesink
import matplotlib
import matplotlib.animation as animation
import matplotlib.pyplot as plt
import numpy as np
import pytest
from _media import frame_times, framemd5, probe, smooth_frames
from framesink import (
    FrameFunctionError,
    FramesinkWarning,
    InvalidConfigError,
    InvalidPartError,
    UnsupportedError,
)

matplotlib.use("Agg")

FPS = 30
H, W = 64, 96
KEY = 10  # keyframe interval of most movies here: many small segments, many joins

FrameFn = Callable[[int], np.ndarray]


def noise_frames(seed: int = 0) -> FrameFn:
    """A pure numpy frame function (a closure over an array: travels by value with
    cloudpickle): a noise picture scrolled by the item, so each frame differs."""
    base = np.random.default_rng(seed).random((H, W, 3))

    def frame(i: int) -> np.ndarray:
        out: np.ndarray = np.roll(base, 3 * i, axis=1) * (0.5 + 0.5 * np.cos(i / 7.0))
        return out

    return frame


def serial(path: Path, frame_fn: FrameFn, n: int, **options: Any) -> list[str]:
    """The same frames written in this process, as framemd5 sums."""
    framesink.write(path, [frame_fn(i) for i in range(n)], fps=FPS, **options)
    return framemd5(path)


def assert_continuous(path: Path, n: int, fps: float = FPS) -> None:
    """n frames, one every 1/fps (no gap, no duplicate at a join), n/fps long."""
    info = probe(path)
    assert info.frames == n
    assert info.duration == pytest.approx(n / fps, abs=1e-3)
    times = frame_times(path)
    assert len(times) == n
    assert times[0] == pytest.approx(0.0, abs=1e-6)
    diffs = np.diff(times)
    assert np.allclose(diffs, 1.0 / fps, atol=2e-6), f"frame intervals {sorted(set(diffs))}"


def worker_pids(client: Any) -> set[int]:
    return set(client.run(os.getpid).values())


# ---------------------------------------------------------------- default executor


def test_render_local_processes_equals_write(tmp_path: Path) -> None:
    n = 120
    frame = noise_frames(1)
    seen: list[tuple[int, int | None]] = []
    summary = framesink.render(
        tmp_path / "render.mp4",
        lambda i: frame(i),  # a lambda defined here: travels with cloudpickle
        range(n),
        fps=FPS,
        workers=2,
        keyframe_interval=KEY,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert summary.frames == n
    assert summary.duration == pytest.approx(n / FPS)
    assert (summary.width, summary.height, summary.codec) == (W, H, "h264")
    # the default segments are single GOPs here (12 of them for 2 workers): many joins
    assert seen[-1] == (n, n)
    assert len(seen) >= 2
    assert_continuous(tmp_path / "render.mp4", n)
    expected = serial(tmp_path / "serial.mp4", frame, n, keyframe_interval=KEY)
    assert len(expected) == n
    assert framemd5(tmp_path / "render.mp4") == expected


def test_render_default_segments_and_keyframes(tmp_path: Path) -> None:
    """No keyframe_interval: segments of whole default GOPs (2 s), still the serial pixels."""
    n = 150  # 2.5 default GOPs: the last segment is a partial one
    frame = noise_frames(2)
    framesink.render(tmp_path / "render.mp4", frame, list(range(n)), fps=FPS, workers=2)
    assert_continuous(tmp_path / "render.mp4", n)
    assert framemd5(tmp_path / "render.mp4") == serial(tmp_path / "serial.mp4", frame, n)


def test_setup_once_per_task_and_figures(tmp_path: Path) -> None:
    n, seg = 60, 20
    logs = tmp_path / "logs"
    logs.mkdir()

    def make_figure() -> dict[str, Any]:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(2, 1.5), dpi=48)  # 96 x 72 pixels
        ax = fig.add_axes((0.1, 0.1, 0.85, 0.8))
        x = np.linspace(0, 2 * np.pi, 50)
        (line,) = ax.plot(x, np.sin(x), color="tab:red")
        ax.set_ylim(-1.1, 1.1)
        ax.set_xticks([])
        ax.set_yticks([])
        return {"fig": fig, "line": line, "x": x}

    def draw(state: dict[str, Any], i: int) -> Any:
        state["line"].set_ydata(np.sin(state["x"] + 0.25 * i))
        state["fig"].set_facecolor((1.0, 1.0 - i / (2 * n), 1.0))
        return state["fig"]

    def setup() -> dict[str, Any]:
        state = make_figure()
        state["log"] = logs / f"setup-{os.getpid()}-{uuid.uuid4().hex}"
        state["log"].touch()
        return state

    def frame_fn(state: dict[str, Any], i: int) -> Any:
        with open(state["log"], "a") as f:
            f.write(f"{i}\n")
        return draw(state, i)  # a Figure: rasterised on the worker

    summary = framesink.render(
        tmp_path / "render.mp4",
        frame_fn,
        range(n),
        fps=FPS,
        setup=setup,
        workers=2,
        segment_frames=seg,
        keyframe_interval=KEY,
    )
    assert (summary.frames, summary.width, summary.height) == (n, 96, 72)
    # setup ran once per task (3 tasks), and each task's frames got its own state
    runs = sorted([int(v) for v in p.read_text().split()] for p in logs.iterdir() if p.is_file())
    assert runs == [list(range(s, s + seg)) for s in range(0, n, seg)]

    # the serial loop: the same figure, drawn here, its canvas written with Writer
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    state = make_figure()
    canvas: Any = FigureCanvasAgg(state["fig"])  # draw, buffer_rgba: untyped
    with framesink.Writer(tmp_path / "serial.mp4", fps=FPS, keyframe_interval=KEY) as w:
        for i in range(n):
            draw(state, i)
            canvas.draw()
            w.write(np.asarray(canvas.buffer_rgba()))
    expected = framemd5(tmp_path / "serial.mp4")
    assert len(expected) == n
    assert len(set(expected)) == n  # every frame differs: the comparison means something
    assert framemd5(tmp_path / "render.mp4") == expected
    assert_continuous(tmp_path / "render.mp4", n)


# ---------------------------------------------------------------- worker died, frame_fn raised


def killer(frame: FrameFn, marker: Path, at: int) -> FrameFn:
    """frame, except that at item `at`, the first time only, the worker kills itself."""

    def frame_fn(i: int) -> np.ndarray:
        if i == at and not marker.exists():
            marker.write_text(str(os.getpid()))
            # Windows has no SIGKILL; its SIGTERM is TerminateProcess, as abrupt.
            os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
        return frame(i)

    return frame_fn


def test_worker_killed_default_pool(tmp_path: Path) -> None:
    n = 80
    frame = noise_frames(3)
    marker = tmp_path / "killed"
    framesink.render(
        tmp_path / "render.mp4",
        killer(frame, marker, 45),
        range(n),
        fps=FPS,
        workers=2,
        segment_frames=20,
        keyframe_interval=KEY,
    )
    dead = int(marker.read_text())
    assert dead != os.getpid()
    with pytest.raises(ProcessLookupError):
        os.kill(dead, 0)  # that worker is gone: its task ran again on a new one
    assert_continuous(tmp_path / "render.mp4", n)
    expected = serial(tmp_path / "serial.mp4", frame, n, keyframe_interval=KEY)
    assert framemd5(tmp_path / "render.mp4") == expected


def recording(frame: FrameFn, where: Path) -> FrameFn:
    """frame, noting in ``where`` which process drew it and in which directory."""

    def frame_fn(i: int) -> np.ndarray:
        (where / f"{os.getpid()}").write_text(os.getcwd())
        return frame(i)

    return frame_fn


def drawn_by(where: Path) -> dict[int, str]:
    return {int(p.name): p.read_text() for p in where.iterdir()}


def test_workers_stay_up_for_the_next_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = noise_frames(5)
    expected = serial(tmp_path / "serial.mp4", frame, 40, keyframe_interval=KEY)
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    options: dict[str, Any] = {"fps": FPS, "workers": 2, "keyframe_interval": KEY}
    framesink.render(tmp_path / "a.mp4", recording(frame, first), range(40), **options)
    # The next render runs in another directory: the same workers follow it.
    monkeypatch.chdir(second)
    framesink.render(tmp_path / "b.mp4", recording(frame, second), range(40), **options)
    assert framemd5(tmp_path / "a.mp4") == framemd5(tmp_path / "b.mp4") == expected
    assert set(drawn_by(second)) <= set(drawn_by(first)) | {os.getpid()}
    assert os.getpid() not in drawn_by(first)
    assert set(drawn_by(second).values()) == {str(second)}


def test_a_kept_worker_imports_from_a_path_added_after_it_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A module-level function submitted to a Pool travels by reference: the worker
    # imports its module, here only on a path this process added after the worker
    # started. The worker takes the path before it unpickles the task, so it does
    # not die over the import and get replaced.
    name = f"late_{uuid.uuid4().hex}"
    (tmp_path / f"{name}.py").write_text("def triple(x):\n    return 3 * x\n")
    with framesink.Pool(1) as pool:
        started = list(pool.pids)
        monkeypatch.syspath_prepend(str(tmp_path))
        late = __import__(name)
        assert pool.submit(late.triple, 14).result() == 42
        assert pool.pids == started  # no worker started anew


def test_a_pool_starts_ahead_and_stops_with_its_block(tmp_path: Path) -> None:
    frame = noise_frames(6)
    where = tmp_path / "drawn"
    where.mkdir()
    with framesink.Pool(2) as pool:
        started = list(pool.pids)
        assert len(started) == 2  # before any render
        for pid in started:
            os.kill(pid, 0)  # alive
        framesink.render(
            tmp_path / "pool.mp4",
            recording(frame, where),
            range(40),
            fps=FPS,
            keyframe_interval=KEY,
        )
        assert set(drawn_by(where)) <= set(started)
        assert repr(pool) == "<framesink.Pool workers=2 running>"
    assert repr(pool) == "<framesink.Pool workers=2 shut down>"
    for pid in started:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # stopped and reaped when the block ended
    expected = serial(tmp_path / "serial.mp4", frame, 40, keyframe_interval=KEY)
    assert framemd5(tmp_path / "pool.mp4") == expected
    with pytest.raises(TypeError, match="workers"):
        framesink.Pool("2")  # type: ignore[arg-type]
    with pytest.raises(InvalidConfigError, match="workers 0"):
        framesink.Pool(0)


RAISE_LINE = 'raise ZeroDivisionError(f"no picture for item {i}, sorry")'


def raising(frame: FrameFn, at: int) -> FrameFn:
    """A closure: cloudpickle sends it by value, and (cloudpickle >= 3.1) names its
    file "<dynamic-code>", so its traceback has the line number but no source."""

    def frame_fn(i: int) -> np.ndarray:
        if i == at:
            raise ZeroDivisionError(f"no picture for item {i}, sorry")
        return frame(i)

    return frame_fn


RAISE_FRAME = noise_frames(4)


def raise_at_17(i: int) -> np.ndarray:
    """A module-level function: sent by reference (the worker imports this module),
    so its traceback shows this file and the source line."""
    if i == 17:
        raise ZeroDivisionError(f"no picture for item {i}, sorry")
    return RAISE_FRAME(i)


def line_of(fn: Callable[..., Any], text: str) -> int:
    lines, first = inspect.getsourcelines(fn)
    return first + next(k for k, line in enumerate(lines) if text in line)


def check_raised_at_17(
    path: Path, info: pytest.ExceptionInfo[FrameFunctionError], traceback_has: list[str]
) -> None:
    e = info.value
    assert e.index == 17
    assert e.item == "17"
    assert e.exc_type == "ZeroDivisionError"
    assert e.exc_message == "no picture for item 17, sorry"
    assert "item 17" in str(e)
    assert "no picture for item 17, sorry" in str(e)
    assert "ZeroDivisionError: no picture for item 17, sorry" in e.remote_traceback
    for text in traceback_has:
        assert text in e.remote_traceback, e.remote_traceback
    assert isinstance(e.__cause__, ZeroDivisionError)
    assert str(e.__cause__) == "no picture for item 17, sorry"
    # the segment before the failing one (items 0-9) is kept, finished, and decodes
    assert path.exists()
    assert probe(path).frames == 10
    assert_continuous(path, 10)
    expected = serial(path.with_name("serial.mp4"), RAISE_FRAME, 10, keyframe_interval=KEY)
    assert framemd5(path) == expected


def test_frame_fn_raises_default_pool(tmp_path: Path) -> None:
    with pytest.raises(FrameFunctionError) as info:
        framesink.render(
            tmp_path / "render.mp4",
            raise_at_17,
            range(60),
            fps=FPS,
            workers=2,
            segment_frames=10,
            keyframe_interval=KEY,
        )
    line = line_of(raise_at_17, RAISE_LINE)
    check_raised_at_17(
        tmp_path / "render.mp4",
        info,
        [f'File "{__file__}", line {line}, in raise_at_17', RAISE_LINE],
    )


def test_frame_fn_closure_raises_default_pool(tmp_path: Path) -> None:
    fn = raising(RAISE_FRAME, 17)
    with pytest.raises(FrameFunctionError) as info:
        framesink.render(
            tmp_path / "render.mp4",
            fn,
            range(40),
            fps=FPS,
            workers=2,
            segment_frames=10,
            keyframe_interval=KEY,
        )
    check_raised_at_17(
        tmp_path / "render.mp4", info, [f"line {line_of(fn, RAISE_LINE)}, in frame_fn"]
    )


# ---------------------------------------------------------------- join


def parts_of(frames: np.ndarray, size: int, **options: Any) -> list[bytes]:
    return [
        framesink.encode(frames[s : s + size], fps=FPS, keyframe_interval=size, **options)
        for s in range(0, len(frames), size)
    ]


@pytest.fixture(scope="module")
def smooth() -> np.ndarray:
    return smooth_frames(60, H, W, seed=5)


@pytest.mark.parametrize("kind", ["paths", "bytes", "files", "mixed"])
def test_join_equals_one_write(tmp_path: Path, smooth: np.ndarray, kind: str) -> None:
    parts = parts_of(smooth, 20)
    paths = []
    for k, data in enumerate(parts):
        paths.append(tmp_path / f"part{k}.mp4")
        paths[-1].write_bytes(data)
    choices: dict[str, list[Any]] = {
        "paths": paths,
        "bytes": parts,
        "files": [io.BytesIO(p) for p in parts],
        "mixed": [str(paths[0]), bytearray(parts[1]), io.BytesIO(parts[2])],
    }
    given = choices[kind]
    summary = framesink.join(tmp_path / "joined.mp4", given)
    assert (summary.frames, summary.codec) == (60, "h264")
    assert summary.duration == pytest.approx(2.0)
    framesink.write(tmp_path / "one.mp4", smooth, fps=FPS, keyframe_interval=20)
    assert framemd5(tmp_path / "joined.mp4") == framemd5(tmp_path / "one.mp4")
    assert_continuous(tmp_path / "joined.mp4", 60)


def test_join_to_file_object_and_gif(tmp_path: Path, smooth: np.ndarray) -> None:
    buf = io.BytesIO()
    framesink.join(buf, parts_of(smooth, 30))
    framesink.write(tmp_path / "one.mp4", smooth, fps=FPS, keyframe_interval=30)
    assert framemd5(buf.getvalue()) == framemd5(tmp_path / "one.mp4")

    gifs = []
    for k in range(3):
        gifs.append(tmp_path / f"part{k}.gif")
        framesink.write(gifs[-1], smooth[20 * k : 20 * k + 20], fps=FPS)
    summary = framesink.join(tmp_path / "joined.gif", gifs)
    assert (summary.frames, summary.codec) == (60, "gif")
    framesink.write(tmp_path / "one.gif", smooth, fps=FPS)
    assert probe(tmp_path / "joined.gif").frames == 60
    assert framemd5(tmp_path / "joined.gif") == framemd5(tmp_path / "one.gif")
    times = frame_times(tmp_path / "joined.gif")
    assert len(times) == 60
    assert np.all(np.diff(times) > 0)


def test_join_gif_times_continue(tmp_path: Path) -> None:
    # Each 20-frame part's delays round 66.67 cs to 67 on their own; the joined GIF
    # still has one write's times (framesink keeps the exact ones in the parts).
    frames = np.random.default_rng(13).random((300, 16, 16)) > 0.5
    gifs = []
    for k in range(0, 300, 20):
        gifs.append(io.BytesIO())
        framesink.write(gifs[-1], frames[k : k + 20], fps=FPS, format="gif")
        gifs[-1].seek(0)
    summary = framesink.join(tmp_path / "joined.gif", gifs)
    one = framesink.write(tmp_path / "one.gif", frames, fps=FPS)
    assert one.duration == pytest.approx(10.0)
    assert frame_times(tmp_path / "joined.gif") == frame_times(tmp_path / "one.gif")
    assert summary.duration == pytest.approx(10.0)


@pytest.mark.parametrize(
    ("field", "options", "words"),
    [
        ("size", {"width": 80}, ["coded size", "80x64", "96x64"]),
        ("fps", {"fps": 25}, ["frame rate", "25", "30"]),
        ("codec", {"codec": "av1", "speed": 10}, ["codec", "av1", "h264"]),
        ("quality", {"quality": 70}, ["quality", "q70", "q58"]),
    ],
)
def test_join_refuses_a_different_part(
    tmp_path: Path, smooth: np.ndarray, field: str, options: dict[str, Any], words: list[str]
) -> None:
    good = parts_of(smooth[:40], 20)
    opts = dict(options)
    width = opts.pop("width", W)
    fps = opts.pop("fps", FPS)
    odd = tmp_path / f"odd-{field}.mp4"
    framesink.write(odd, smooth[40:, :, :width], fps=fps, keyframe_interval=20, **opts)
    target = tmp_path / "joined.mp4"
    with pytest.raises(InvalidPartError) as info:
        framesink.join(target, [good[0], good[1], odd])
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    assert "part 2" in message and str(odd) in message, message
    for word in words:
        assert word in message, message
    # the parts before the bad one are kept, as a finished movie
    assert_continuous(target, 40)
    framesink.write(tmp_path / "one.mp4", smooth[:40], fps=FPS, keyframe_interval=20)
    assert framemd5(target) == framemd5(tmp_path / "one.mp4")


@pytest.mark.parametrize("damage", ["not-mp4", "truncated", "cut-short"])
def test_join_refuses_a_damaged_part(tmp_path: Path, smooth: np.ndarray, damage: str) -> None:
    good = parts_of(smooth, 20)
    bad = {
        "not-mp4": b"this is not a movie, only some text\n" * 20,
        "truncated": good[2][: len(good[2]) // 2],
        "cut-short": good[2][:-100],
    }[damage]
    target = tmp_path / "joined.mp4"
    with pytest.raises(InvalidPartError) as info:
        framesink.join(target, [good[0], io.BytesIO(good[1]), bad])
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    assert "part 2 (bytes[2])" in message, message
    assert ("not an MP4" if damage == "not-mp4" else "truncated") in message, message
    assert_continuous(target, 40)


def test_join_bad_first_part_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "joined.mp4"
    with pytest.raises(InvalidPartError, match="part 0"):
        framesink.join(target, [b"GIF87a nope"])
    assert not target.exists()
    with pytest.raises(InvalidConfigError, match="empty"):
        framesink.join(target, [])


# ---------------------------------------------------------------- FuncAnimation


def test_render_func_animation_equals_save(tmp_path: Path) -> None:
    fig = plt.figure(figsize=(1.2, 1.2), dpi=50)  # 60 x 60 pixels
    try:
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        im = ax.imshow(np.random.default_rng(0).random((40, 40)), vmin=0, vmax=1)

        def update(n: int) -> list[Any]:
            im.set_data(np.random.default_rng(n).random((40, 40)))
            return [im]

        anim = animation.FuncAnimation(fig, update, frames=60, interval=50, cache_frame_data=False)
        summary = framesink.render(tmp_path / "render.mp4", anim, workers=2)
        assert (summary.frames, summary.width, summary.height) == (60, 60, 60)
        anim.save(tmp_path / "saved.mp4", writer="framesink", fps=20)
    finally:
        plt.close(fig)
    expected = framemd5(tmp_path / "saved.mp4")
    assert len(expected) == 60
    assert len(set(expected)) == 60
    assert framemd5(tmp_path / "render.mp4") == expected
    assert_continuous(tmp_path / "render.mp4", 60, fps=20)


# ---------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"items": []}, InvalidConfigError, ["items is empty"]),
        ({"items": (i for i in range(5))}, InvalidConfigError, ["generator", "list(...)"]),
        (
            {"segment_frames": 15, "keyframe_interval": 10},
            InvalidConfigError,
            ["segment_frames 15", "keyframe interval 10"],
        ),
        ({"segment_frames": 0}, InvalidConfigError, ["segment_frames 0"]),
        ({"colour": "red"}, TypeError, ["'colour'"]),
        ({"target": "movie.png"}, UnsupportedError, ["APNG", ".mp4"]),
        ({"target": "movie.avi"}, UnsupportedError, ["'avi'"]),
        ({"codec": "ffmpeg:libx264"}, UnsupportedError, ["'ffmpeg:libx264'"]),
        ({"executor": "dask"}, InvalidConfigError, ["executor 'dask'", "Executor"]),
        ({"workers": 0}, InvalidConfigError, ["workers 0"]),
        ({"workers": 1.5}, InvalidConfigError, ["workers 1.5"]),
        ({"frame_fn": 42}, InvalidConfigError, ["frame_fn 42"]),
    ],
)
def test_render_bad_inputs(
    tmp_path: Path, kwargs: dict[str, Any], error: type[Exception], words: list[str]
) -> None:
    args: dict[str, Any] = {"frame_fn": noise_frames(0), "items": range(20), **kwargs}
    target = tmp_path / args.pop("target", "movie.mp4")
    with pytest.raises(error) as info:
        framesink.render(target, fps=FPS, **args)
    if error is not TypeError:
        assert isinstance(info.value, ValueError)
    for word in words:
        assert word in str(info.value), str(info.value)
    assert not target.exists()


@pytest.mark.parametrize("kwargs", [{"segment_frames": 10}, {"client": object()}])
def test_write_parallel_options_need_a_dask_array(tmp_path: Path, kwargs: dict[str, Any]) -> None:
    frame = noise_frames(0)
    with pytest.raises(InvalidConfigError, match=r"client= and segment_frames= are for Dask"):
        framesink.write(tmp_path / "a.mp4", np.stack([frame(0), frame(1)]), **kwargs)
    assert not (tmp_path / "a.mp4").exists()


# ---------------------------------------------------------------- unaligned, big-endian


def test_cmap_unaligned_big_endian(tmp_path: Path) -> None:
    n = 12
    native = np.random.default_rng(9).random((n, H, W))
    odd = np.frombuffer(b"\x00" + native.astype(">f8").tobytes(), dtype=">f8", offset=1)
    odd = odd.reshape(n, H, W)
    assert not odd.flags.aligned and odd.dtype.byteorder == ">"
    assert np.array_equal(odd, native)
    options: dict[str, Any] = {"fps": FPS, "cmap": "viridis", "vmin": 0, "vmax": 1}
    framesink.write(tmp_path / "odd.mp4", odd, **options)
    framesink.write(tmp_path / "native.mp4", native, **options)
    assert probe(tmp_path / "odd.mp4").frames == n
    assert framemd5(tmp_path / "odd.mp4") == framemd5(tmp_path / "native.mp4")


# ---------------------------------------------------------------- Dask


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """A local cluster of 2 worker processes and its Client (the default client, as
    a user's would be)."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


def run_python(code: str, *args: str) -> str:
    """Runs code in a fresh Python (no Dask client of this process can leak into it)."""
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.parametrize("kind", ["client", "client-executor", "process-pool"])
def test_render_executors(tmp_path: Path, client: Any, kind: str) -> None:
    n = 60
    frame = noise_frames(6)
    pool = None
    if kind == "client":
        executor: Any = client
    elif kind == "client-executor":
        executor = client.get_executor()
    else:
        # spawn: no fork of this process (the cluster's threads run in it)
        pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"))
        executor = pool
    try:
        summary = framesink.render(
            tmp_path / "render.mp4",
            lambda i: frame(i),
            range(n),
            fps=FPS,
            executor=executor,
            segment_frames=20,
            keyframe_interval=KEY,
        )
    finally:
        if pool is not None:
            pool.shutdown()
    assert summary.frames == n
    assert_continuous(tmp_path / "render.mp4", n)
    expected = serial(tmp_path / "serial.mp4", frame, n, keyframe_interval=KEY)
    assert framemd5(tmp_path / "render.mp4") == expected


def test_worker_killed_dask(tmp_path: Path, client: Any) -> None:
    n = 80
    frame = noise_frames(7)
    marker = tmp_path / "killed"
    before = worker_pids(client)
    framesink.render(
        tmp_path / "render.mp4",
        killer(frame, marker, 45),
        range(n),
        fps=FPS,
        executor=client,
        segment_frames=20,
        keyframe_interval=KEY,
    )
    dead = int(marker.read_text())
    assert dead in before  # a worker of the cluster killed itself mid-task
    assert_continuous(tmp_path / "render.mp4", n)
    expected = serial(tmp_path / "serial.mp4", frame, n, keyframe_interval=KEY)
    assert framemd5(tmp_path / "render.mp4") == expected
    client.wait_for_workers(2, timeout=60)  # the nanny restarts it, for the next tests
    assert dead not in worker_pids(client)


def test_frame_fn_raises_dask(tmp_path: Path, client: Any) -> None:
    fn = raising(RAISE_FRAME, 17)
    with pytest.raises(FrameFunctionError) as info:
        framesink.render(
            tmp_path / "render.mp4",
            fn,
            range(60),
            fps=FPS,
            executor=client,
            segment_frames=10,
            keyframe_interval=KEY,
        )
    check_raised_at_17(
        tmp_path / "render.mp4", info, [f"line {line_of(fn, RAISE_LINE)}, in frame_fn"]
    )


def marked_dask_array(values: np.ndarray, marks: Path) -> Any:
    """values as a Dask array of 1-frame chunks; computing block k leaves a file
    'k_<pid>_...' in marks: where each block was computed."""
    da = pytest.importorskip("dask.array")

    def mark(block: np.ndarray, block_info: Any = None) -> np.ndarray:
        if block_info:  # not when Dask calls it on an empty array, for its meta
            k = block_info[0]["chunk-location"][0]
            (marks / f"{k}_{os.getpid()}_{uuid.uuid4().hex}").touch()
        return block

    arr = da.from_array(values, chunks=(1, *values.shape[1:]))
    return arr.map_blocks(mark, dtype=values.dtype)


def computed_where(marks: Path) -> dict[int, set[int]]:
    where: dict[int, set[int]] = {}
    for p in marks.iterdir():
        k, pid, _ = p.name.split("_")
        where.setdefault(int(k), set()).add(int(pid))
    return where


def test_write_dask_array_with_client(tmp_path: Path, client: Any) -> None:
    n = 60
    values = np.random.default_rng(10).random((n, H, W))
    marks = tmp_path / "marks"
    marks.mkdir()
    arr = marked_dask_array(values, marks)
    with pytest.warns(FramesinkWarning, match="taken from frame 0"):
        summary = framesink.write(
            tmp_path / "dask.mp4",
            arr,
            fps=FPS,
            cmap="viridis",
            client=client,
            keyframe_interval=KEY,
        )
    assert summary.frames == n
    assert_continuous(tmp_path / "dask.mp4", n)
    # every block was computed on a worker (frame 0 also here, for vmin/vmax)
    where = computed_where(marks)
    assert sorted(where) == list(range(n))
    workers = worker_pids(client)
    for k in range(1, n):
        assert where[k] <= workers, (k, where[k], workers)
    with pytest.warns(FramesinkWarning, match="taken from frame 0"):
        framesink.write(
            tmp_path / "numpy.mp4", arr.compute(), fps=FPS, cmap="viridis", keyframe_interval=KEY
        )
    assert framemd5(tmp_path / "dask.mp4") == framemd5(tmp_path / "numpy.mp4")


NO_CLIENT = """
import os, sys, uuid
import dask.array as da, distributed, framesink, numpy as np
out = sys.argv[1]
try:
    distributed.get_client()
except ValueError:
    pass
else:
    raise SystemExit("a Dask client was found")
marks = os.path.join(out, "marks")
os.mkdir(marks)
values = np.random.default_rng(11).random((40, 64, 96))
def mark(block, block_info=None):
    if block_info:
        k = block_info[0]["chunk-location"][0]
        open(os.path.join(marks, f"{k}_{os.getpid()}_{uuid.uuid4().hex}"), "w").close()
    return block
arr = da.from_array(values, chunks=(1, 64, 96)).map_blocks(mark, dtype=values.dtype)
opts = dict(fps=30, cmap="viridis", vmin=0, vmax=1, keyframe_interval=10)
summary = framesink.write(os.path.join(out, "dask.mp4"), arr, **opts)
framesink.write(os.path.join(out, "numpy.mp4"), values, **opts)
print(os.getpid(), summary.frames)
"""


def test_write_dask_array_without_client(tmp_path: Path) -> None:
    """No client at all (checked: get_client() raises): the blocks are computed in
    the writing process, in order, into one writer. In a fresh Python, because the
    module's cluster fixture is this process's default client."""
    pytest.importorskip("distributed")
    pid, frames = map(int, run_python(NO_CLIENT, str(tmp_path)).split())
    assert frames == 40
    where = computed_where(tmp_path / "marks")
    assert sorted(where) == list(range(40))
    assert set().union(*where.values()) == {pid}
    assert_continuous(tmp_path / "dask.mp4", 40)
    assert framemd5(tmp_path / "dask.mp4") == framemd5(tmp_path / "numpy.mp4")


NOT_DEFAULT = """
import sys
import dask.array as da, distributed, framesink, numpy as np
cluster = distributed.LocalCluster(
    n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
)
client = distributed.Client(cluster, set_as_default=False)
out = sys.argv[1]
framesink.render(
    out + "/render.mp4", lambda i: np.full((16, 16), i / 20), range(20),
    executor=client, keyframe_interval=10, segment_frames=10,
)
framesink.write(
    out + "/dask.mp4", da.zeros((20, 16, 16), chunks=(10, 16, 16)),
    client=client, keyframe_interval=10,
)
client.close()
cluster.close()
print("ok")
"""


def test_render_with_a_client_that_is_not_the_default(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    assert run_python(NOT_DEFAULT, str(tmp_path)).strip() == "ok"
    assert probe(tmp_path / "render.mp4").frames == 20
    assert probe(tmp_path / "dask.mp4").frames == 20


def test_write_xarray_with_client(tmp_path: Path, client: Any) -> None:
    xr = pytest.importorskip("xarray")
    da = pytest.importorskip("dask.array")
    values = np.random.default_rng(12).random((30, H, W))
    frames = xr.DataArray(da.from_array(values, chunks=(1, H, W)), dims=("time", "y", "x"))
    options: dict[str, Any] = {"fps": FPS, "cmap": "magma", "vmin": 0, "vmax": 1}
    framesink.write(tmp_path / "xr.mp4", frames, client=client, keyframe_interval=KEY, **options)
    framesink.write(tmp_path / "numpy.mp4", values, keyframe_interval=KEY, **options)
    assert framemd5(tmp_path / "xr.mp4") == framemd5(tmp_path / "numpy.mp4")
