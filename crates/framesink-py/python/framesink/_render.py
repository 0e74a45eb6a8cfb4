"""Many cores, many machines: frames are drawn and encoded in segments (runs of
whole GOPs, each starting with a keyframe) on worker processes, a Dask cluster
or any ``concurrent.futures.Executor``, and the client joins the compressed
segments in order, as they complete, without re-encoding.

Scheduling is plain Python here; encoding and joining are native
(``Writer`` on the workers, ``NativeJoiner`` on the client).
"""

from __future__ import annotations

import io
import math
import os
import sys
import traceback
import warnings
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor
from concurrent.futures import wait as futures_wait
from typing import Any, Callable

import numpy as np

from . import _args, _framesink
from ._colormap import auto_range, checked_range
from ._errors import (
    FrameFunctionError,
    FramesinkError,
    InvalidConfigError,
    UnsupportedError,
    unexpected_keyword,
    warn,
)
from ._metadata import metadata_pairs
from ._progress import make_progress

# write()'s options that a segment takes (threads: per worker).
_OPTIONS = frozenset(
    {
        "codec",
        "quality",
        "bitrate",
        "keyframe_interval",
        "threads",
        "speed",
        "dither",
        "loops",
        "bit_depth",
        "lossless",
        "format",
        "cmap",
        "vmin",
        "vmax",
        "channel_order",
    }
)
# render()'s own keyword arguments, listed with _OPTIONS for an unknown one.
_RENDER_KEYWORDS = frozenset(
    {"fps", "setup", "executor", "workers", "segment_frames", "progress", "dpi", "savefig_kwargs"}
)
# render(target, anim)'s own writer options.
_ANIMATION_OPTIONS = frozenset(
    {"codec", "quality", "bitrate", "keyframe_interval", "speed", "format", "bit_depth", "lossless"}
)
# What render(target, anim) takes.
_ANIMATION_KEYWORDS = _ANIMATION_OPTIONS | (_RENDER_KEYWORDS - {"setup", "executor"})
# Tasks per worker the default segment length aims at, so that a slow
# segment does not leave the other workers idle at the end.
_TASKS_PER_WORKER = 4


def _container(target: Any, fmt: str | None, codec: str | None) -> str:
    """'mp4' or 'gif': what render can join; anything else is refused here."""
    if codec is not None and (codec.startswith("ffmpeg") or codec in ("png", "apng")):
        raise UnsupportedError(
            f"codec {codec!r} cannot be rendered in segments; render joins h264 or av1 "
            "(MP4) and gif segments"
        )
    name = fmt
    if name is None and isinstance(target, (str, os.PathLike)):
        ext = os.path.splitext(os.fspath(target))[1].lower().lstrip(".")
        name = ext or None
    name = (name or "mp4").lower()
    if name in ("mp4", "m4v", "mov"):
        return "mp4"
    if name == "gif":
        return "gif"
    if name in ("png", "apng"):
        raise UnsupportedError(
            "APNG cannot be rendered in segments (its chunks are numbered through the whole "
            "file); render to .mp4 or .gif, or use framesink.write for APNG"
        )
    raise UnsupportedError(
        f"render writes .mp4, .m4v, .mov or .gif, not {name!r} (format= names the container)"
    )


def _rgba_of_figure(fig: Any) -> np.ndarray:
    """A matplotlib Figure, drawn once, as its RGBA buffer."""
    canvas = fig.canvas
    if not hasattr(canvas, "buffer_rgba"):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())


def _is_figure(obj: Any) -> bool:
    mpl = sys.modules.get("matplotlib.figure")
    return mpl is not None and isinstance(obj, mpl.Figure)


def _failure(index: int | None, item: Any, where: str, e: BaseException) -> dict[str, Any]:
    """What a worker sends back when frame_fn (or setup) raised."""
    try:
        import cloudpickle

        original: bytes | None = cloudpickle.dumps(e)
    except Exception:
        original = None
    return {
        "status": "error",
        "where": where,
        "index": index,
        "item": repr(item)[:200],
        "type": type(e).__qualname__,
        "module": type(e).__module__,
        "message": str(e),
        "traceback": "".join(traceback.format_exception(type(e), e, e.__traceback__)),
        "original": original,
    }


def _encode_segment(
    frames: Any, start: int, fps: Any, container: str, options: dict[str, Any]
) -> dict[str, Any]:
    """Encodes an iterable of (item, frame-maker) pairs into one compressed part."""
    from . import Writer

    buf = io.BytesIO()
    opts = dict(options)
    opts.setdefault("threads", 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        w = Writer(buf, fps=fps, format=container, **opts)
        try:
            for k, (item, make) in enumerate(frames):
                try:
                    frame = make()
                    if _is_figure(frame):
                        frame = _rgba_of_figure(frame)
                except Exception as e:
                    w.abandon()
                    return _failure(start + k, item, "frame_fn", e)
                try:
                    w.write(frame)
                except FramesinkError as e:
                    w.abandon()
                    failure = _failure(start + k, item, "write", e)
                    failure["message"] = str(e).replace(f"frame {k}", f"frame {start + k}", 1)
                    return failure
            summary = w.close()
        except BaseException:
            w.abandon()
            raise
    return {
        "status": "ok",
        "data": buf.getvalue(),
        "frames": summary.frames,
        "warnings": sorted({str(c.message) for c in caught}),
    }


def segment_task(payload: bytes, items: Sequence[Any], start: int) -> dict[str, Any]:
    """One task: setup() once, frame_fn per item, encode, return the part's bytes."""
    import cloudpickle

    spec = cloudpickle.loads(payload)
    frame_fn, setup = spec["frame_fn"], spec["setup"]
    state = None
    if setup is not None:
        try:
            state = setup()
        except Exception as e:
            return _failure(None, None, "setup", e)

    def frames() -> Any:
        for item in items:
            if setup is not None:
                yield item, lambda item=item: frame_fn(state, item)
            else:
                yield item, lambda item=item: frame_fn(item)

    return _encode_segment(frames(), start, spec["fps"], spec["container"], spec["options"])


def dask_block_task(block: Any, payload: bytes, start: int) -> dict[str, Any]:
    """One task of a Dask array: its block of frames (computed where it lives), encoded."""
    import cloudpickle

    spec = cloudpickle.loads(payload)
    arr = np.asarray(block)
    pairs = ((start + i, lambda f=f: f) for i, f in enumerate(arr))
    return _encode_segment(pairs, start, spec["fps"], spec["container"], spec["options"])


# The animation a forked worker draws: set before the pool forks.
_ANIMATION: Any = None


def animation_task(
    items: Sequence[Any], start: int, fps: Any, container: str, config: dict[str, Any]
) -> dict[str, Any]:
    """One task of a FuncAnimation in a forked worker: the same calls as
    ``anim.save(writer="framesink")`` for the frames of one segment."""
    from .matplotlib import FramesinkWriter

    anim = _ANIMATION
    fig = anim._fig
    buf = io.BytesIO()
    writer = FramesinkWriter(fps=fps, **config["writer"])
    writer._options.update(threads=1, format=container)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from matplotlib import cbook

        writer.fig, writer.dpi, writer.outfile = fig, config["dpi"], "<segment>"
        writer._open(buf)
        # As Animation.save: _is_saving makes the animation's first-draw
        # callback (which would draw its first frame again) a no-op.
        with cbook._setattr_cm(fig.canvas, _is_saving=True, manager=None):
            anim._init_draw()
            for k, item in enumerate(items):
                try:
                    anim._draw_next_frame(item, blit=False)
                except Exception as e:
                    writer._failed = True
                    writer.finish()
                    return _failure(start + k, item, "the animation's update function", e)
                writer.grab_frame(**config["savefig_kwargs"])
            frames = writer._writer.frames if writer._writer is not None else 0
            writer.finish()
    return {
        "status": "ok",
        "data": buf.getvalue(),
        "frames": frames,
        "warnings": sorted({str(c.message) for c in caught}),
    }


class _Engine:
    """What render needs of an executor: submit, wait for the first done, stop."""

    def __init__(
        self, executor: Any, workers: int | None, owned: bool, shared: bool = False
    ) -> None:
        self.executor = executor
        self.owned = owned
        self.shared = shared
        self.dask = _is_dask_client(executor)
        self.workers = workers or self._count()

    def _count(self) -> int:
        if self.dask:
            info = self.executor.scheduler_info()
            n = sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values())
            return max(1, n)
        m: Any = getattr(self.executor, "_max_workers", None)
        return int(m) if m else (os.cpu_count() or 1)

    def submit(self, fn: Callable[..., Any], *args: Any, key: str) -> Any:
        if self.dask:
            return self.executor.submit(fn, *args, pure=False, key=key)
        return self.executor.submit(fn, *args)

    def wait_first(self, pending: set[Any]) -> tuple[set[Any], set[Any]]:
        if self.dask:
            import distributed

            # wait() looks for the default client: make it this one, which
            # need not be the default.
            with self.executor.as_current():
                done, not_done = distributed.wait(  # type: ignore[no-untyped-call]
                    list(pending), return_when="FIRST_COMPLETED"
                )
            return set(done), set(not_done)
        done, not_done = futures_wait(pending, return_when=FIRST_COMPLETED)
        return set(done), set(not_done)

    def cancel(self, futures: set[Any]) -> None:
        for f in futures:
            f.cancel()

    def close(self, failed: bool) -> None:
        if self.shared and failed:
            from ._pool import discard

            discard(self.executor)
        if not self.owned:
            return
        if hasattr(self.executor, "kill"):
            if failed:
                self.executor.kill()
        self.executor.shutdown(wait=not failed, cancel_futures=True)


def _is_dask_client(obj: Any) -> bool:
    mod = type(obj).__module__ or ""
    return mod.startswith("distributed") and hasattr(obj, "scheduler_info")


def _default_segment(n: int, unit: int, workers: int) -> int:
    """About 2 s (one GOP) a segment, more GOPs a task while every worker still
    gets several tasks."""
    gops = math.ceil(n / unit)
    per_task = max(1, gops // (workers * _TASKS_PER_WORKER))
    return per_task * unit


def _raise_failure(r: dict[str, Any]) -> None:
    original = None
    if r.get("original") is not None:
        try:
            import cloudpickle

            original = cloudpickle.loads(r["original"])
        except Exception:
            original = None
    if r["where"] == "write":
        # A frame framesink refused: the same class, numbered in the movie.
        if isinstance(original, FramesinkError):
            raise type(original)(f"item {r['index']}: {r['message']}") from None
    where = r["where"]
    at = "in setup()" if r["index"] is None else f"at item {r['index']} ({r['item']})"
    message = (
        f"{where} raised {r['type']} {at}: {r['message']}\n"
        f"Worker traceback:\n{r['traceback'].rstrip()}"
    )
    error = FrameFunctionError(
        message,
        index=r["index"],
        item=r["item"],
        exc_type=r["type"],
        exc_message=r["message"],
        remote_traceback=r["traceback"],
    )
    if isinstance(original, BaseException):
        raise error from original
    raise error


def _keep_what_was_joined(joiner: Any, target: Any) -> None:
    """After a failure: finish the movie with the parts joined so far, or,
    with none, leave no empty file behind."""
    if joiner.parts() > 0:
        joiner.close()
        return
    joiner.abandon()
    if isinstance(target, (str, os.PathLike)):
        try:
            os.remove(target)
        except OSError:
            pass


def run_segments(
    target: Any,
    submit_all: Callable[[_Engine], dict[Any, tuple[int, int, int]]],
    engine: _Engine,
    total: int,
    progress: Any,
    metadata: list[tuple[str, str]] | None,
) -> Any:
    """Runs the tasks and joins their parts into ``target`` in order, as they
    complete; a failure keeps (and finishes) every segment before it. The
    movie's ``metadata`` goes to the joined file (the segments carry none)."""
    from . import Summary

    joiner = _framesink.NativeJoiner(
        os.fspath(target) if isinstance(target, (str, os.PathLike)) else target,
        metadata=metadata,
    )
    bar = make_progress(progress, total)
    futures = submit_all(engine)
    pending: set[Any] = set(futures)
    ready: dict[int, dict[str, Any]] = {}
    next_seg = 0
    failure: tuple[int, BaseException | dict[str, Any]] | None = None
    done_frames = 0
    seen_warnings: set[str] = set()
    ok = False
    try:
        while pending:
            done, pending = engine.wait_first(pending)
            for f in done:
                seg, first, stop = futures[f]
                if failure is not None and seg > failure[0]:
                    continue
                try:
                    result: Any = f.result()
                except BaseException as e:
                    result = e
                if isinstance(result, BaseException) or result["status"] != "ok":
                    if failure is None or seg < failure[0]:
                        failure = (seg, result)
                    # Later segments are not needed any more; earlier ones are kept.
                    later = {g for g in pending if futures[g][0] > seg}
                    engine.cancel(later)
                    pending -= later
                    continue
                ready[seg] = result
            while next_seg in ready:
                r = ready.pop(next_seg)
                _, first, stop = next(v for v in futures.values() if v[0] == next_seg)
                joiner.append(r["data"], f"segment {next_seg} (items {first} to {stop - 1})")
                for w in r["warnings"]:
                    if w not in seen_warnings:
                        seen_warnings.add(w)
                        warn(w)
                done_frames += r["frames"]
                if bar is not None:
                    bar.update(done_frames)
                next_seg += 1
        ok = failure is None
    finally:
        if bar is not None:
            bar.close()
        engine.close(failed=not ok)
        if not ok:
            _keep_what_was_joined(joiner, target)
    if failure is not None:
        result = failure[1]
        if isinstance(result, BaseException):
            raise FramesinkError(
                f"segment {failure[0]} failed on its worker: {type(result).__name__}: {result}; "
                f"the {joiner.parts()} segment(s) before it were kept"
            ) from result
        _raise_failure(result)
    return Summary(**joiner.close())


EXECUTOR_ALLOWED = (
    "None (fresh local worker processes), a dask.distributed.Client or a "
    "concurrent.futures.Executor (ProcessPoolExecutor, client.get_executor())"
)


def check_executor(executor: Any) -> None:
    if not (executor is None or _is_dask_client(executor) or isinstance(executor, Executor)):
        raise _args.wrong_type("executor", executor, "an executor", EXECUTOR_ALLOWED)


def make_engine(executor: Any, workers: int | None) -> _Engine:
    """The engine of a render; `executor` has passed check_executor."""
    if executor is None:
        from ._pool import pool_for

        pool, shared = pool_for(workers)
        return _Engine(pool, pool._max_workers, owned=False, shared=shared)
    return _Engine(executor, workers, owned=False)


def check_options(options: dict[str, Any], func: str) -> None:
    unknown = [name for name in options if name not in _OPTIONS]
    if unknown:
        raise unexpected_keyword(func, unknown[0], _OPTIONS | _RENDER_KEYWORDS)
    # Here, not first on a worker: a wrong type leaves no file.
    _args.check_writer_options(options)
    if options.get("cmap") is not None:
        options["vmin"], options["vmax"] = checked_range(options.get("vmin"), options.get("vmax"))


def check_bits(container: str, options: dict[str, Any]) -> None:
    """Refuses here, before any worker starts, a ``bit_depth`` or ``lossless`` that
    the segments' container cannot keep (MP4 and GIF keep 8 bits, so joined
    parts all have one depth): the native writer checks them, and says why, when
    it is made (it writes nothing before a frame comes)."""
    if not options.get("lossless") and options.get("bit_depth") in (None, 8):
        return
    _framesink.NativeWriter(
        io.BytesIO(),
        fps_num=30,
        fps_den=1,
        codec=options.get("codec"),
        container=container,
        quality=None,
        bitrate=None,
        keyframe_interval=None,
        threads=None,
        bit_depth=options.get("bit_depth"),
        lossless=bool(options.get("lossless")),
    ).abandon()


def unit_of(container: str, fps: Any, options: dict[str, Any]) -> int:
    """Frames a segment must be a multiple of: the keyframe interval."""
    from . import _rate

    num, den = _rate(fps)
    k = options.get("keyframe_interval")
    if container == "gif" or k is None:
        return int(_framesink.default_keyframe_interval(num, den))
    return int(k)


def plan(n: int, unit: int, segment_frames: int | None, workers: int, container: str) -> int:
    if segment_frames is None:
        return _default_segment(n, unit, workers)
    if segment_frames < 1:
        raise InvalidConfigError(
            f"segment_frames {segment_frames!r} is out of range; allowed: a positive multiple "
            f"of the keyframe interval ({unit})"
        )
    if container == "mp4" and segment_frames % unit:
        raise InvalidConfigError(
            f"segment_frames {segment_frames} is not a multiple of the keyframe interval "
            f"{unit}; segments are whole GOPs: use {unit}, {2 * unit}, ... "
            "(or set keyframe_interval)"
        )
    return segment_frames


def fix_range(options: dict[str, Any], first: Any) -> None:
    """vmin/vmax from the first frame, as write() takes them, once for the
    movie (never per segment)."""
    vmin, vmax = checked_range(options.get("vmin"), options.get("vmax"))
    options["vmin"], options["vmax"] = auto_range(vmin, vmax, first, 0)


def render(
    target: Any,
    frame_fn: Any,
    items: Sequence[Any] | None = None,
    *,
    fps: Any = None,
    setup: Callable[[], Any] | None = None,
    executor: Any = None,
    workers: int | None = None,
    segment_frames: int | None = None,
    progress: Any = False,
    dpi: float | None = None,
    savefig_kwargs: dict[str, Any] | None = None,
    **options: Any,
) -> Any:
    """See :func:`framesink.render`."""
    target = _args.target(target)
    metadata = metadata_pairs(options.pop("metadata", None))
    check_options(options, "render")
    if fps is not None:
        _args.fps(fps)
    _args.whole("workers", workers, 1)
    _args.whole("segment_frames", segment_frames, allowed=_args.SEGMENT_FRAMES_ALLOWED)
    _args.progress(progress)
    _args.dpi(dpi)
    if not (savefig_kwargs is None or isinstance(savefig_kwargs, dict)):
        raise _args.wrong_type(
            "savefig_kwargs", savefig_kwargs, "a dict", "a dict of Figure.savefig keywords, or None"
        )
    check_executor(executor)
    anim_cls = getattr(sys.modules.get("matplotlib.animation"), "Animation", None)
    if anim_cls is not None and isinstance(frame_fn, anim_cls):
        if items is not None or setup is not None:
            raise InvalidConfigError(
                "render(target, anim) takes the frames from the animation; "
                "items= and setup= are for render(target, frame_fn, items)"
            )
        return _render_animation(
            target,
            frame_fn,
            fps,
            workers,
            segment_frames,
            progress,
            dpi,
            savefig_kwargs,
            options,
            metadata,
        )
    if dpi is not None or savefig_kwargs is not None:
        raise InvalidConfigError("dpi= and savefig_kwargs= are for render(target, anim)")
    if not callable(frame_fn):
        raise _args.wrong_type(
            "frame_fn",
            frame_fn,
            "callable",
            "a function frame_fn(item) -> frame (frame_fn(state, item) with setup=), or a "
            "matplotlib Animation",
        )
    if setup is not None and not callable(setup):
        raise _args.wrong_type(
            "setup", setup, "callable", "a function setup() -> state, run once per task, or None"
        )
    if items is None:
        raise InvalidConfigError("render(target, frame_fn, items) needs items (a range, a list)")
    try:
        n = len(items)
    except TypeError:
        raise _args.wrong_type(
            "items",
            items,
            "a sequence with a length",
            "a range, a list or an array (its first axis); list(...) for an iterator",
        ) from None
    if n == 0:
        raise InvalidConfigError("items is empty; a movie needs at least one frame")
    fps = 30 if fps is None else fps
    container = _container(target, options.get("format"), options.get("codec"))
    check_bits(container, options)
    options.pop("format", None)
    if options.get("cmap") is not None and (
        options.get("vmin") is None or options.get("vmax") is None
    ):
        # One range for the movie, from the first frame as write() takes it.
        state = setup() if setup is not None else None
        fix_range(options, frame_fn(state, items[0]) if setup is not None else frame_fn(items[0]))
    unit = unit_of(container, fps, options)
    engine = make_engine(executor, workers)
    try:
        seg = plan(n, unit, segment_frames, engine.workers, container)
        import cloudpickle

        payload = cloudpickle.dumps(
            {
                "frame_fn": frame_fn,
                "setup": setup,
                "fps": fps,
                "container": container,
                "options": options,
            }
        )
    except BaseException:
        engine.close(failed=True)
        raise
    token = os.urandom(6).hex()

    def submit_all(engine: _Engine) -> dict[Any, tuple[int, int, int]]:
        futures = {}
        for i, start in enumerate(range(0, n, seg)):
            stop = min(n, start + seg)
            f = engine.submit(
                segment_task, payload, items[start:stop], start, key=f"framesink-{token}-{i}"
            )
            futures[f] = (i, start, stop)
        return futures

    return run_segments(target, submit_all, engine, n, progress, metadata)


def _render_animation(
    target: Any,
    anim: Any,
    fps: Any,
    workers: int | None,
    segment_frames: int | None,
    progress: Any,
    dpi: float | None,
    savefig_kwargs: dict[str, Any] | None,
    options: dict[str, Any],
    metadata: list[tuple[str, str]] | None,
) -> Any:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _ANIMATION
    if "fork" not in multiprocessing.get_all_start_methods():
        raise UnsupportedError(
            "render(target, anim) draws the animation in forked copies of this process, and "
            f"{sys.platform} cannot fork; use render(target, frame_fn, items, setup=...) with "
            "a setup() that makes the figure and a frame_fn(state, item) that draws one frame"
        )
    unknown = sorted(set(options) - _ANIMATION_OPTIONS)
    if unknown:
        raise unexpected_keyword("render", unknown[0], _ANIMATION_KEYWORDS)
    container = _container(target, options.pop("format", None), options.get("codec"))
    check_bits(container, options)
    fig = anim._fig
    if fps is None:
        fps = 1000.0 / anim._interval
    items = list(anim.new_saved_frame_seq())
    n = len(items)
    if n == 0:
        raise InvalidConfigError("the animation has no frames")
    unit = unit_of(container, fps, options)
    n_workers = workers or os.cpu_count() or 1
    seg = plan(n, unit, segment_frames, n_workers, container)
    # What anim.save passes its writer (matplotlib's Animation.save).
    import matplotlib as mpl
    from matplotlib.colors import to_rgba

    kwargs = dict(savefig_kwargs or {})
    kwargs.pop("bbox_inches", None)
    facecolor = kwargs.get("facecolor", mpl.rcParams["savefig.facecolor"])
    if isinstance(facecolor, str) and facecolor == "auto":
        facecolor = fig.get_facecolor()
    r, g, b, a = to_rgba(facecolor)
    kwargs["facecolor"] = a * np.array([r, g, b]) + 1 - a
    kwargs["transparent"] = False
    codec = options.pop("codec", None)
    config = {
        "writer": {"codec": codec, "bitrate": options.pop("bitrate", None), **options},
        "dpi": fig.dpi if dpi is None else dpi,
        "savefig_kwargs": kwargs,
    }
    _ANIMATION = anim
    # As Animation.save: the animation was rendered, so matplotlib does not
    # warn that it was deleted unused.
    anim._draw_was_started = True
    pool = ProcessPoolExecutor(n_workers, mp_context=multiprocessing.get_context("fork"))
    engine = _Engine(pool, n_workers, owned=True)

    def submit_all(engine: _Engine) -> dict[Any, tuple[int, int, int]]:
        futures = {}
        for i, start in enumerate(range(0, n, seg)):
            stop = min(n, start + seg)
            f = engine.submit(
                animation_task, items[start:stop], start, fps, container, config, key=str(i)
            )
            futures[f] = (i, start, stop)
        return futures

    try:
        return run_segments(target, submit_all, engine, n, progress, metadata)
    finally:
        _ANIMATION = None


_PART_ALLOWED = (
    "paths (str or os.PathLike), bytes, or binary file objects that can seek (read() and seek())"
)


def join(target: Any, parts: Iterable[Any], metadata: Any = None) -> Any:
    """See :func:`framesink.join`."""
    from . import Summary

    target = _args.target(target)
    pairs = metadata_pairs(metadata)
    if isinstance(parts, (str, bytes, os.PathLike)):
        raise InvalidConfigError(
            "parts is one path or bytes; give a list of parts: join(target, [part0, part1])"
        )
    if not hasattr(type(parts), "__iter__"):
        raise _args.wrong_type("parts", parts, "a list of parts", f"a list of {_PART_ALLOWED}")
    parts = list(parts)
    if not parts:
        raise InvalidConfigError("parts is empty; join needs at least one part")
    for i, p in enumerate(parts):
        if not isinstance(p, (str, os.PathLike, bytes, bytearray, memoryview)) and not (
            callable(getattr(p, "read", None)) and callable(getattr(p, "seek", None))
        ):
            raise _args.wrong_type(f"parts[{i}]", p, "a part", _PART_ALLOWED)
    for p in parts:
        if isinstance(p, (str, os.PathLike)) and isinstance(target, (str, os.PathLike)):
            t, q = os.fspath(target), os.fspath(p)
            exists = os.path.exists(t) and os.path.exists(q)
            if os.path.samefile(t, q) if exists else os.path.abspath(t) == os.path.abspath(q):
                raise InvalidConfigError(
                    f"the target {os.fspath(target)!r} is also a part; join into a new file"
                )
    joiner = _framesink.NativeJoiner(
        os.fspath(target) if isinstance(target, (str, os.PathLike)) else target,
        metadata=pairs,
    )
    for i, p in enumerate(parts):
        if isinstance(p, (str, os.PathLike)):
            part: Any = os.fspath(p)
            name = part
        elif isinstance(p, (bytes, bytearray, memoryview)):
            part, name = bytes(p), f"bytes[{i}]"
        else:
            part, name = p, getattr(p, "name", None) or f"file object {i}"
        try:
            joiner.append(part, str(name))
        except BaseException:
            _keep_what_was_joined(joiner, target)
            raise
    return Summary(**joiner.close())


def is_dask_collection(frames: Any) -> bool:
    """A Dask array, or an xarray.DataArray backed by one. A DataArray's
    ``.data`` is never touched to tell (on a lazy backend, netCDF or Zarr opened
    without Dask, that reads the whole array): its ``chunks`` are None unless
    Dask holds it."""
    from ._frames import is_xarray

    if (type(frames).__module__ or "").startswith("dask.array"):
        return True
    return is_xarray(frames) and frames.chunks is not None


def write_dask(
    target: Any,
    frames: Any,
    *,
    fps: Any,
    client: Any,
    progress: Any,
    segment_frames: int | None,
    options: dict[str, Any],
) -> Any:
    """write() of a Dask array (or a Dask-backed xarray.DataArray): each block of
    whole GOPs is computed and encoded on the worker that holds it."""
    arr = frames.data if not (type(frames).__module__ or "").startswith("dask.array") else frames
    if arr.ndim not in (3, 4):
        raise InvalidConfigError(
            f"frames array has shape {arr.shape}; expected (N, H, W) or (N, H, W, C)"
        )
    n = int(arr.shape[0])
    if n == 0:
        raise InvalidConfigError("the array holds no frames")
    given_metadata = options.pop("metadata", None)
    metadata = metadata_pairs(given_metadata)
    container = _container(target, options.pop("format", None), options.get("codec"))
    if client is not None and not _is_dask_client(client):
        raise _args.wrong_type(
            "client",
            client,
            "a dask.distributed.Client",
            "a dask.distributed.Client, or None (the current client, if any)",
        )
    if client is None:
        try:
            import distributed

            client = distributed.get_client()
        except (ImportError, ValueError):
            client = None
    if options.get("cmap") is not None:
        options["vmin"], options["vmax"] = checked_range(options.get("vmin"), options.get("vmax"))
        if options["vmin"] is None or options["vmax"] is None:
            fix_range(options, arr[0].compute())
    if client is None:
        # No cluster: blocks computed one at a time, in order, into one writer.
        from . import write

        def in_order() -> Any:
            step = arr.chunks[0][0] if arr.chunks[0] else n
            for start in range(0, n, step):
                yield from np.asarray(arr[start : start + step].compute())

        return write(
            target,
            in_order(),
            fps=fps,
            progress=progress,
            format=container,
            metadata=given_metadata,
            **options,
        )
    unit = unit_of(container, fps, options)
    engine = _Engine(client, None, owned=False)
    seg = plan(n, unit, segment_frames, engine.workers, container)
    rest = {i: -1 for i in range(1, arr.ndim)}
    arr = arr.rechunk({0: seg, **rest})
    import cloudpickle
    from dask.delayed import delayed

    payload = cloudpickle.dumps({"fps": fps, "container": container, "options": options})
    blocks = arr.to_delayed().ravel()

    def submit_all(engine: _Engine) -> dict[Any, tuple[int, int, int]]:
        tasks = [
            delayed(dask_block_task, pure=False)(b, payload, i * seg) for i, b in enumerate(blocks)
        ]
        futures = client.compute(tasks)
        return {f: (i, i * seg, min(n, (i + 1) * seg)) for i, f in enumerate(futures)}

    return run_segments(target, submit_all, engine, n, progress, metadata)
