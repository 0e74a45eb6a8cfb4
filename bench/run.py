"""framesink against the tools people use, on the same frames, in one run.

Every (tool, workload, repetition) runs in a fresh child process; the parent
collects timings, checks every movie (ffprobe, PSNR) and writes a Markdown report.

    python3 bench/run.py                        # everything, 3 reps (tens of minutes)
    python3 bench/run.py --quick                # tiny frame counts: a smoke test
    python3 bench/run.py --workloads smooth720 --tools framesink,imageio_v2 --reps 5
    python3 bench/run.py --child TOOL WORKLOAD OUT.mp4   # one timed run, JSON on stdout
    python3 bench/run.py --workloads gif        # GIF: framesink against Pillow and imageio

See bench/README.md for what each tool and column means.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
FRAMES_DIR = Path("/work/shared/bench")  # frames.py: the shared deterministic generator
CLI = ROOT / "target" / "release" / "framesink"
FFMPEG = "/usr/bin/ffmpeg"
FFPROBE = "/usr/bin/ffprobe"
FPS = 30
MPL_DPI = 100

sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(FRAMES_DIR))


# --------------------------------------------------------------------------
# workloads


@dataclass(frozen=True)
class Workload:
    name: str
    # "frames": an array in memory; "gif": the same, written as GIF; "stream": a generator;
    # "mpl": FuncAnimation
    kind: str
    n: int
    h: int
    w: int
    quick_n: int
    tools: tuple[str, ...]  # run by default
    about: str
    cycle: int = 0  # "stream": the generator repeats this many distinct frames
    gen: str = ""  # frames.py generator (default: frames.WORKLOADS[name])
    ext: str = "mp4"  # the movies' extension, unless the tool has its own


FRAME_TOOLS = (
    "framesink",
    "framesink_1thread",
    "framesink_av1",
    "imageio_v2",
    "pyav",
    "opencv",
    "pipe_raw",
    "limit_copy",
    "limit_encoder_1core",
)
WORKLOADS = {
    w.name: w
    for w in (
        Workload("smooth720", "frames", 300, 720, 1280, 12, FRAME_TOOLS, "frames.smooth"),
        Workload("smooth1080", "frames", 120, 1080, 1920, 6, FRAME_TOOLS, "frames.smooth"),
        Workload("noise300", "frames", 300, 300, 300, 30, FRAME_TOOLS, "frames.noise"),
        Workload(
            "mpl_anim",
            "mpl",
            300,
            500,
            500,
            10,
            ("framesink", "mpl_ffmpeg", "framesink_gif", "mpl_pillow_gif", "limit_render"),
            "the original question's FuncAnimation: 5x5 in at dpi 100, imshow of 300x300 "
            "random gray (frames.noise), cmap gray, nearest, tight_layout, interval 30",
        ),
        Workload(
            "long",
            "stream",
            10_000,
            720,
            1280,
            120,
            ("framesink",),
            "a generator cycling through 30 frames.smooth frames",
            cycle=30,
        ),
        Workload(
            "gif",
            "gif",
            300,
            500,
            500,
            12,
            ("framesink", "framesink_dither", "pillow", "imageio_v2"),
            "frames.smooth, written as GIF (256 colours a frame)",
            gen="smooth",
            ext="gif",
        ),
    )
}


def source_frames(wl: Workload, n: int) -> np.ndarray:
    """The frames a workload starts from (not timed): RGB frames, or mpl's gray images."""
    import frames

    if wl.kind == "mpl":
        return frames.noise(n, 300, 300)[..., 0].copy()
    if wl.kind == "stream":
        return frames.smooth(min(wl.cycle, n), wl.h, wl.w)
    gen = getattr(frames, wl.gen) if wl.gen else frames.WORKLOADS[wl.name][0]
    return gen(n, wl.h, wl.w)


# --------------------------------------------------------------------------
# the child: one timed run


@dataclass
class Ctx:
    wl: Workload
    n: int
    src: np.ndarray
    out: str
    stats: dict[str, Any] = field(default_factory=dict)
    mpl_data: np.ndarray | None = None

    def frames(self) -> Iterable[np.ndarray]:
        if self.wl.kind == "stream":
            src, cycle = self.src, len(self.src)
            return (src[i % cycle] for i in range(self.n))
        return self.src


class _TimedNative:
    """Stands in for framesink.Writer's native writer to time the native part of write()."""

    def __init__(self, native: Any) -> None:
        self._native = native
        self.seconds = 0.0

    def write(self, *args: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return self._native.write(*args)
        finally:
            self.seconds += time.perf_counter() - t0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._native, name)


def _time_framesink_writes(ctx: Ctx) -> None:
    """Times every framesink.Writer.write call (also the ones matplotlib's writer makes).

    Records the mean time per call and the part of it spent in the native
    writer (RGB -> YUV on the caller's thread, enqueue, waiting on a full queue);
    the rest is the Python layer (checks, dtype handling).
    """
    import framesink

    original = framesink.Writer.write
    acc = {"calls": 0, "seconds": 0.0, "natives": []}

    def write(self: Any, frame: Any, timestamp: Any = None) -> None:
        native = getattr(self, "_native", None)
        if native is not None and not isinstance(native, _TimedNative):
            native = self._native = _TimedNative(native)
            acc["natives"].append(native)
        t0 = time.perf_counter()
        try:
            original(self, frame, timestamp)
        finally:
            acc["seconds"] += time.perf_counter() - t0
            acc["calls"] += 1

    framesink.Writer.write = write  # type: ignore[method-assign]

    def report() -> dict[str, Any]:
        calls = acc["calls"]
        if not calls:
            return {}
        native_s = sum(n.seconds for n in acc["natives"])
        return {
            "write_calls": calls,
            "write_us": 1e6 * acc["seconds"] / calls,
            "write_native_us": 1e6 * native_s / calls if acc["natives"] else None,
        }

    ctx.stats["_report"] = report


def setup_framesink(
    ctx: Ctx, threads: int | None = None, dither: bool = False, codec: str | None = None
) -> Callable[[], None]:
    import framesink

    _time_framesink_writes(ctx)
    options: dict[str, Any] = {} if threads is None else {"threads": threads}
    if dither:
        options["dither"] = True
    if codec is not None:
        options["codec"] = codec

    if ctx.wl.kind == "mpl":
        from framesink.matplotlib import FramesinkWriter

        def save_mpl() -> None:
            anim = _mpl_animation(ctx)
            if threads is None:
                anim.save(ctx.out, writer="framesink", fps=FPS, dpi=MPL_DPI)
            else:
                writer = FramesinkWriter(fps=FPS, threads=threads)
                anim.save(ctx.out, writer=writer, dpi=MPL_DPI)

        return save_mpl

    def run() -> None:
        framesink.write(ctx.out, ctx.frames(), fps=FPS, **options)

    return run


def setup_imageio_v2(ctx: Ctx) -> Callable[[], None]:
    import imageio.v2 as iio
    import imageio_ffmpeg

    ctx.stats["ffmpeg"] = imageio_ffmpeg.get_ffmpeg_exe()

    def run() -> None:
        writer = iio.get_writer(ctx.out, fps=FPS)
        for frame in ctx.frames():
            writer.append_data(frame)
        writer.close()

    return run


def setup_imageio_v2_gif(ctx: Ctx) -> Callable[[], None]:
    """imageio.v2.mimsave to .gif: imageio's pillow plugin (duration in ms, imageio >= 2.28)."""
    import imageio.v2 as iio

    def run() -> None:
        # loop=0 (forever), as PillowWriter and framesink write it; duration 1000/30 ms
        iio.mimsave(ctx.out, ctx.frames(), duration=1000 / FPS, loop=0)

    return run


def setup_pillow(ctx: Ctx) -> Callable[[], None]:
    """What matplotlib's PillowWriter.finish does, on frames already in memory."""
    from PIL import Image

    def run() -> None:
        imgs = [Image.fromarray(frame) for frame in ctx.frames()]
        imgs[0].save(
            ctx.out, save_all=True, append_images=imgs[1:], duration=int(1000 / FPS), loop=0
        )

    return run


def setup_pyav(ctx: Ctx) -> Callable[[], None]:
    import av

    def run() -> None:
        with av.open(ctx.out, mode="w") as container:
            stream = container.add_stream("libx264", rate=FPS)
            stream.width, stream.height = ctx.wl.w, ctx.wl.h
            stream.pix_fmt = "yuv420p"
            for frame in ctx.frames():
                for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)

    return run


def setup_opencv(ctx: Ctx) -> Callable[[], None]:
    import cv2

    def run() -> None:
        fourcc = cv2.VideoWriter_fourcc(*"mp4v")
        writer = cv2.VideoWriter(ctx.out, fourcc, FPS, (ctx.wl.w, ctx.wl.h))
        if not writer.isOpened():
            raise RuntimeError("cv2.VideoWriter did not open with fourcc mp4v")
        for frame in ctx.frames():
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        writer.release()

    return run


def setup_pipe_raw(ctx: Ctx) -> Callable[[], None]:
    cmd = [
        FFMPEG,
        "-y",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        f"{ctx.wl.w}x{ctx.wl.h}",
        "-r",
        str(FPS),
        "-i",
        "-",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        ctx.out,
    ]

    def run() -> None:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        assert proc.stdin is not None and proc.stderr is not None
        tail: deque[bytes] = deque(maxlen=20)
        # an undrained stderr pipe fills up and blocks ffmpeg (and then us)
        drain = threading.Thread(target=lambda: tail.extend(proc.stderr), daemon=True)
        drain.start()
        try:
            for frame in ctx.frames():
                proc.stdin.write(frame.tobytes())
        finally:
            proc.stdin.close()
            rc = proc.wait()
            drain.join()
        if rc != 0:
            raise RuntimeError(f"ffmpeg exited {rc}: {b''.join(tail).decode(errors='replace')}")

    return run


def setup_limit_copy(ctx: Ctx) -> Callable[[], None]:
    buf = np.empty((ctx.wl.h, ctx.wl.w, 3), np.uint8)

    def run() -> None:
        for frame in ctx.frames():
            np.copyto(buf, frame)

    return run


def rgb_to_yuv420p(frame: np.ndarray) -> bytes:
    """BT.709 limited range, 2x2 chroma average, rounded (as framesink converts RGB)."""
    f = frame.astype(np.float32)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    y = 16.0 + (219.0 / 255.0) * (0.2126 * r + 0.7152 * g + 0.0722 * b)
    cb = 128.0 + (224.0 / 255.0) * (-0.114572 * r - 0.385428 * g + 0.5 * b)
    cr = 128.0 + (224.0 / 255.0) * (0.5 * r - 0.454153 * g - 0.045847 * b)
    h, w = y.shape

    def plane(p: np.ndarray) -> bytes:
        return np.clip(p + 0.5, 0, 255).astype(np.uint8).tobytes()

    def half(c: np.ndarray) -> np.ndarray:
        return c.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))

    return plane(y) + plane(half(cb)) + plane(half(cr))


def setup_limit_encoder_1core(ctx: Ctx) -> Callable[[], None]:
    if ctx.wl.h % 2 or ctx.wl.w % 2:
        raise RuntimeError("limit_encoder_1core needs even frame sizes")
    tmp = "/dev/shm" if os.path.isdir("/dev/shm") else None
    fd, yuv = tempfile.mkstemp(suffix=".yuv", prefix="framesink-bench-", dir=tmp)
    with os.fdopen(fd, "wb") as f:
        for frame in ctx.frames():
            f.write(rgb_to_yuv420p(frame))
    cmd = [
        str(CLI),
        "encode",
        ctx.out,
        "-i",
        yuv,
        "--size",
        f"{ctx.wl.w}x{ctx.wl.h}",
        "--pix-fmt",
        "yuv420p",
        # converted with BT.709 above (untagged YUV input defaults to BT.601)
        "--matrix",
        "bt709",
        "--fps",
        str(FPS),
        "--threads",
        "1",
        "-q",
    ]

    def run() -> None:
        try:
            done = subprocess.run(cmd, check=False, capture_output=True)
        finally:
            os.unlink(yuv)
        if done.returncode != 0:
            raise RuntimeError(f"framesink encode exited {done.returncode}: {done.stderr!r}")

    return run


def _mpl_figure(ctx: Ctx) -> tuple[Any, Callable[[int], Any]]:
    """The original question's figure and update function (drawing frames.noise images)."""
    import matplotlib.pyplot as plt

    data = ctx.mpl_data
    assert data is not None
    fig = plt.figure(dpi=MPL_DPI)
    ax = fig.add_subplot(111)
    ax.set_aspect("equal")
    ax.get_xaxis().set_visible(False)
    ax.get_yaxis().set_visible(False)
    im = ax.imshow(data[0], cmap="gray", interpolation="nearest")
    im.set_clim([0, 1])
    fig.set_size_inches([5, 5])
    fig.tight_layout()

    def update_img(n: int) -> Any:
        im.set_data(data[n])
        return im

    return fig, update_img


def _mpl_animation(ctx: Ctx) -> Any:
    from matplotlib import animation

    fig, update_img = _mpl_figure(ctx)
    return animation.FuncAnimation(fig, update_img, ctx.n, interval=30)


def _mpl_prepare(ctx: Ctx) -> None:
    """Imports matplotlib (not timed) and makes the images the animation shows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.animation
    import matplotlib.pyplot

    # the question draws rand(300, 300): floats in [0, 1]
    ctx.mpl_data = ctx.src.astype(np.float64) / 255.0


def render_only(ctx: Ctx, keep: list[np.ndarray] | None = None) -> None:
    """The animation's frames drawn and read back, nothing encoded (the floor)."""
    fig, update_img = _mpl_figure(ctx)
    for i in range(ctx.n):
        update_img(i)
        fig.canvas.draw()
        rgba = np.asarray(fig.canvas.buffer_rgba())
        if keep is not None:
            keep.append(rgba[..., :3].copy())


def setup_limit_render(ctx: Ctx) -> Callable[[], None]:
    return lambda: render_only(ctx)


def setup_mpl_ffmpeg(ctx: Ctx) -> Callable[[], None]:
    import matplotlib

    matplotlib.rcParams["animation.ffmpeg_path"] = FFMPEG

    def run() -> None:
        from matplotlib import animation

        anim = _mpl_animation(ctx)
        writer = animation.writers["ffmpeg"](fps=FPS)
        anim.save(ctx.out, writer=writer, dpi=MPL_DPI)

    return run


def setup_framesink_gif(ctx: Ctx) -> Callable[[], None]:
    """anim.save to .gif with writer="framesink" (the extension picks GIF)."""
    _time_framesink_writes(ctx)  # imports framesink, which registers writer="framesink"

    def run() -> None:
        anim = _mpl_animation(ctx)
        anim.save(ctx.out, writer="framesink", fps=FPS, dpi=MPL_DPI)

    return run


def setup_mpl_pillow_gif(ctx: Ctx) -> Callable[[], None]:
    def run() -> None:
        anim = _mpl_animation(ctx)
        anim.save(ctx.out, writer="pillow", fps=FPS, dpi=MPL_DPI)

    return run


@dataclass(frozen=True)
class Tool:
    setups: dict[str, Callable[[Ctx], Callable[[], None]]]  # workload kind -> setup
    note: str
    writes_movie: bool = True
    ext: str = ""  # the movie's extension, when not the workload's
    kind_notes: dict[str, str] = field(default_factory=dict)  # workload kind -> note

    def note_for(self, kind: str) -> str:
        return self.kind_notes.get(kind, self.note)


_STREAMS = ("frames", "stream")
TOOLS: dict[str, Tool] = {
    "framesink": Tool(
        {k: setup_framesink for k in (*_STREAMS, "mpl", "gif")},
        "Python API, default settings",
        kind_notes={"gif": "framesink.write to .gif, defaults: per-frame Wu palette, no dithering"},
    ),
    "framesink_1thread": Tool(
        {k: (lambda c: setup_framesink(c, threads=1)) for k in (*_STREAMS, "mpl")},
        "threads=1",
    ),
    "framesink_av1": Tool(
        {k: (lambda c: setup_framesink(c, codec="av1")) for k in _STREAMS},
        'codec="av1": rav1e, default speed (10) and quality, one context, tiles on every core',
    ),
    "framesink_dither": Tool(
        {"gif": lambda c: setup_framesink(c, dither=True)},
        "framesink.write to .gif, dither=True",
    ),
    "imageio_v2": Tool(
        {**{k: setup_imageio_v2 for k in _STREAMS}, "gif": setup_imageio_v2_gif},
        "imageio.v2.get_writer, bundled ffmpeg, libx264 defaults",
        kind_notes={
            "gif": "imageio.v2.mimsave, pillow plugin (Image.fromarray per frame, Pillow's "
            "GIF encoder), duration=1000/30 ms, loop=0"
        },
    ),
    "pillow": Tool(
        {"gif": setup_pillow},
        "matplotlib PillowWriter's encoder: Image.fromarray per frame, then "
        "save(save_all=True, append_images, duration=int(1000/fps), loop=0); Pillow "
        "quantizes each frame (median cut, no dithering)",
    ),
    "pyav": Tool({k: setup_pyav for k in _STREAMS}, "libx264 defaults, yuv420p"),
    "opencv": Tool(
        {k: setup_opencv for k in _STREAMS},
        "cv2.VideoWriter mp4v (MPEG-4 Part 2): not browser-safe",
    ),
    "pipe_raw": Tool(
        {k: setup_pipe_raw for k in _STREAMS},
        "raw rgb24 piped to Debian ffmpeg, libx264 defaults, stderr drained",
    ),
    "limit_copy": Tool(
        {k: setup_limit_copy for k in _STREAMS},
        "np.copyto of every frame into one preallocated frame (limit)",
        writes_movie=False,
    ),
    "limit_encoder_1core": Tool(
        {"frames": setup_limit_encoder_1core},
        "framesink CLI, --threads 1, pre-converted yuv420p in /dev/shm: fps per core",
    ),
    "mpl_ffmpeg": Tool(
        {"mpl": setup_mpl_ffmpeg},
        "anim.save with FFMpegWriter (Debian ffmpeg): draws every frame twice",
    ),
    "framesink_gif": Tool(
        {"mpl": setup_framesink_gif},
        'anim.save to .gif, writer="framesink"',
        ext="gif",
    ),
    "mpl_pillow_gif": Tool(
        {"mpl": setup_mpl_pillow_gif},
        'anim.save to .gif, writer="pillow" (PillowWriter: savefig per frame, Pillow at finish)',
        ext="gif",
    ),
    "limit_render": Tool(
        {"mpl": setup_limit_render},
        "draw + buffer_rgba per frame, no encoding (floor)",
        writes_movie=False,
    ),
}


def _status_kb() -> dict[str, int]:
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def _reset_peak_rss() -> bool:
    """Sets VmHWM back to the current RSS (Linux >= 4.0), so the peak covers the timed part."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = v
    busy = user + nice + system + irq + softirq + steal
    return busy, busy + idle + iowait


def _own_cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def child_main(tool_name: str, wl_name: str, out: str, n: int, source: str | None) -> None:
    wl = WORKLOADS[wl_name]
    tool = TOOLS[tool_name]
    if wl.kind not in tool.setups:
        raise SystemExit(f"tool {tool_name} does not run workload {wl_name}")
    src = np.load(source) if source else source_frames(wl, n)
    ctx = Ctx(wl, n, src, out)
    if wl.kind == "mpl":
        _mpl_prepare(ctx)
    timed = tool.setups[wl.kind](ctx)
    gc.collect()
    # ru_maxrss of children is a maximum, not a sum; processes that exited before
    # (such as a pyenv shim's) set a floor below which a timed child is not seen
    children_kb0 = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    reset = _reset_peak_rss()
    before = _status_kb()
    busy0, total0 = _cpu_ticks()
    own0 = _own_cpu()
    t0 = time.perf_counter()
    timed()
    seconds = time.perf_counter() - t0
    own = _own_cpu() - own0
    busy1, total1 = _cpu_ticks()
    after = _status_kb()
    hz = os.sysconf("SC_CLK_TCK")
    ncpu = os.cpu_count() or 1
    other = max(0.0, ((busy1 - busy0) / hz - own) / max((total1 - total0) / hz, 1e-9))
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    report = ctx.stats.pop("_report", None)
    result = {
        "tool": tool_name,
        "workload": wl_name,
        "frames": n,
        "seconds": seconds,
        "bytes": os.path.getsize(out) if tool.writes_movie and os.path.exists(out) else None,
        "rss_before_mb": before["VmRSS"] / 1024,
        "peak_rss_mb": after["VmHWM"] / 1024,
        # the peak since just before the timed part (VmHWM reset), minus RSS then
        "rss_growth_mb": (after["VmHWM"] - (before["VmRSS"] if reset else before["VmHWM"])) / 1024,
        "peak_reset": reset,
        "children_peak_rss_mb": children_kb / 1024 if children_kb > children_kb0 else 0.0,
        "cpu_seconds": own,
        "other_cpu": other,
        "ncpu": ncpu,
        **{k: v for k, v in ctx.stats.items() if not k.startswith("_")},
        **(report() if report else {}),
    }
    print(json.dumps(result), flush=True)  # the last line of stdout


def prepare_main(wl_name: str, n: int, path: str) -> None:
    np.save(path, source_frames(WORKLOADS[wl_name], n))


def reference_main(wl_name: str, n: int, source: str, path: str) -> None:
    """The mpl workload's frames as render-only draws them (the PSNR reference)."""
    wl = WORKLOADS[wl_name]
    ctx = Ctx(wl, n, np.load(source), path)
    _mpl_prepare(ctx)
    frames: list[np.ndarray] = []
    render_only(ctx, keep=frames)
    np.save(path, np.stack(frames))


def versions_main() -> None:
    v: dict[str, str] = {"python": platform.python_version(), "numpy": np.__version__}

    def get(name: str, fn: Callable[[], str]) -> None:
        try:
            v[name] = fn()
        except (ImportError, OSError, subprocess.CalledProcessError, AttributeError) as e:
            # a missing tool is reported, not fatal
            v[name] = f"not available ({type(e).__name__}: {e})"

    def fs() -> str:
        import framesink

        native = Path(framesink._framesink.__file__)
        built = datetime.datetime.fromtimestamp(native.stat().st_mtime)
        return f"{framesink.__version__} ({native}, built {built:%Y-%m-%d %H:%M})"

    def mpl() -> str:
        import matplotlib

        return matplotlib.__version__

    def iio() -> str:
        import imageio
        import imageio_ffmpeg

        exe = imageio_ffmpeg.get_ffmpeg_exe()
        return (
            f"imageio {imageio.__version__}, imageio-ffmpeg {imageio_ffmpeg.__version__} "
            f"(ffmpeg {imageio_ffmpeg.get_ffmpeg_version()}, {Path(exe).name})"
        )

    def pillow() -> str:
        import PIL

        return PIL.__version__

    def pyav() -> str:
        import av

        x264 = "yes" if "libx264" in av.codecs_available else "NO"
        return (
            f"{av.__version__} (FFmpeg {av.ffmpeg_version_info}, libavcodec "
            f"{'.'.join(map(str, av.library_versions['libavcodec']))}, libx264: {x264})"
        )

    def cv() -> str:
        import cv2

        return cv2.__version__

    def deb() -> str:
        first = _run_text([FFMPEG, "-version"]).splitlines()[0]
        return first.replace("ffmpeg version ", "").split(" Copyright")[0]

    def cli() -> str:
        built = datetime.datetime.fromtimestamp(CLI.stat().st_mtime)
        return f"{_run_text([str(CLI), '--version']).strip()} ({CLI}, built {built:%Y-%m-%d %H:%M})"

    def git() -> str:
        rev = _run_text(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]).strip()
        dirty = _run_text(["git", "-C", str(ROOT), "status", "--porcelain", "-uno"]).strip()
        return rev + (" + uncommitted changes" if dirty else "")

    for name, fn in (
        ("framesink", fs),
        ("framesink CLI", cli),
        ("framesink git", git),
        ("matplotlib", mpl),
        ("imageio", iio),
        ("Pillow", pillow),
        ("PyAV", pyav),
        ("opencv-python-headless", cv),
        ("Debian ffmpeg", deb),
    ):
        get(name, fn)
    print(json.dumps(v))


def _run_text(cmd: list[str]) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


# --------------------------------------------------------------------------
# the parent


def _child(
    args: list[str],
    timeout: float,
    script: str | None = None,
    env_set: dict[str, str] | None = None,
) -> tuple[dict[str, Any] | None, str]:
    """Runs `script` (default: this one) with args in a fresh process;
    (parsed result line or None, error text)."""
    env = dict(os.environ)
    env.pop("IMAGEIO_FFMPEG_EXE", None)  # imageio_v2 must use its bundled ffmpeg
    env.setdefault("PYTHONHASHSEED", "0")
    env.update(env_set or {})
    try:
        done = subprocess.run(
            [sys.executable, script or str(Path(__file__).resolve()), *args],
            check=False,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout:.0f} s"
    lines = done.stdout.strip().splitlines()
    if done.returncode == 0 and lines:
        try:
            return json.loads(lines[-1]), ""
        except json.JSONDecodeError:
            pass
    err = (done.stderr.strip() or done.stdout.strip() or f"exit {done.returncode}").splitlines()
    return None, err[-1][:300] if err else f"exit {done.returncode}"


def framemd5(path: str) -> list[str]:
    """The md5 of every decoded frame (Debian's ffmpeg, the stream's own pixel format)."""
    text = _run_text([FFMPEG, "-v", "error", "-i", path, "-map", "0:v:0", "-f", "framemd5", "-"])
    return [line.split(",")[-1].strip() for line in text.splitlines() if not line.startswith("#")]


def probe(path: str) -> dict[str, Any]:
    out = _run_text(
        [
            FFPROBE,
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=codec_name,pix_fmt,width,height,nb_frames,profile",
            "-of",
            "json",
            path,
        ]
    )
    streams = json.loads(out).get("streams") or [{}]
    return streams[0]


def machine_info() -> dict[str, Any]:
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
                break
    return {
        "nproc": os.cpu_count(),
        "usable cpus": len(os.sched_getaffinity(0)),
        "cpu": model,
        "memory": mem,
        "kernel": platform.platform(),
    }


def machine_lines(
    info: dict[str, Any],
    versions: dict[str, Any],
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
) -> list[str]:
    """A report's "## Machine" section: the machine, the load before and after, the versions."""
    return [
        "## Machine",
        "",
        (
            f"- nproc {info['nproc']} (usable {info['usable cpus']}), {info['cpu']}, "
            f"{info['memory']}, {info['kernel']}"
        ),
        "- load average (1/5/15 min): before "
        + "/".join(f"{x:.2f}" for x in load_before)
        + ", after "
        + "/".join(f"{x:.2f}" for x in load_after),
        *(f"- {k}: {v}" for k, v in versions.items()),
    ]


def report_path(args: argparse.Namespace, started: datetime.datetime, suffix: str = "") -> Path:
    """The report's path: --output, else bench/out/quick-DAY{suffix}.md with --quick,
    else bench/results/DAY{suffix}.md."""
    name = f"{started:%Y-%m-%d}{suffix}.md"
    if args.output:
        return Path(args.output)
    if args.quick:
        return BENCH / "out" / f"quick-{name}"  # bench/out/ is git-ignored
    return BENCH / "results" / name


def raw_header(
    started: datetime.datetime,
    info: dict[str, Any],
    versions: dict[str, Any],
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
    argv: list[str] | None = None,
) -> dict[str, Any]:
    """The first keys of a report's JSON: when, (the command line,) the machine, the load."""
    raw: dict[str, Any] = {"started": started.isoformat(timespec="seconds")}
    if argv is not None:
        raw["argv"] = argv
    raw["machine"], raw["versions"] = info, versions
    raw["load_before"], raw["load_after"] = load_before, load_after
    return raw


def work_dir(args: argparse.Namespace, prefix: str) -> Path:
    """--out-dir, made if need be, else a new temporary dir (in /dev/shm where there is one)."""
    tmp_parent = "/dev/shm" if os.path.isdir("/dev/shm") else None
    workdir = Path(args.out_dir or tempfile.mkdtemp(prefix=prefix, dir=tmp_parent))
    workdir.mkdir(parents=True, exist_ok=True)
    return workdir


def write_report(
    args: argparse.Namespace, md: Path, report: str, raw: dict[str, Any], workdir: Path
) -> None:
    """Writes the report to md and raw beside it (.json), prints the report, tidies workdir."""
    log = sys.stderr
    md.parent.mkdir(parents=True, exist_ok=True)
    md.write_text(report)
    md.with_suffix(".json").write_text(json.dumps(raw, indent=1) + "\n")
    print(report)
    print(f"written to {md} (and {md.with_suffix('.json').name})", file=log)
    if not args.keep and not args.out_dir:
        shutil.rmtree(workdir, ignore_errors=True)
    elif args.keep:
        print(f"movies kept in {workdir}", file=log)


def _median(xs: list[float]) -> float:
    return float(statistics.median(xs))


@dataclass
class Row:
    tool: str
    runs: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    movie: str | None = None
    probe: dict[str, Any] = field(default_factory=dict)
    psnr: float | None = None
    psnr_note: str = ""

    def ok(self) -> bool:
        return bool(self.runs)

    def fps_list(self) -> list[float]:
        return [r["frames"] / r["seconds"] for r in self.runs]

    def fps(self) -> float:
        return _median(self.fps_list())

    def seconds(self) -> float:
        return _median([r["seconds"] for r in self.runs])

    def size(self) -> float | None:
        b = [r["bytes"] for r in self.runs if r.get("bytes") is not None]
        return _median(b) if b else None

    def med(self, key: str) -> float | None:
        xs = [r[key] for r in self.runs if r.get(key) is not None]
        return _median(xs) if xs else None

    def browser_safe(self) -> str:
        if not self.probe:
            return "-"
        if self.probe.get("codec_name") == "gif":
            return "yes (img)"  # every browser shows a GIF, as an image, not a <video>
        good = self.probe.get("codec_name") in ("h264", "av1") and (
            self.probe.get("pix_fmt") == "yuv420p"
        )
        return "yes" if good else "no"


def run_suite(args: argparse.Namespace) -> None:
    started = datetime.datetime.now()
    info = machine_info()
    load_before = os.getloadavg()
    versions, err = _child(["--versions"], 300)
    versions = versions or {"error": err}
    workdir = work_dir(args, "framesink-bench-")
    log = sys.stderr
    print(f"movies and frame caches in {workdir}", file=log)

    results: dict[str, dict[str, Row]] = {}
    counts: dict[str, int] = {}
    for wl_name in args.workloads:
        wl = WORKLOADS[wl_name]
        n = wl.quick_n if args.quick else wl.n
        if args.frames:
            n = args.frames
        counts[wl_name] = n
        tools = [t for t in (args.tools or wl.tools) if wl.kind in TOOLS[t].setups]
        if not tools:
            continue
        rows = results[wl_name] = {t: Row(t) for t in tools}
        src = workdir / f"{wl_name}-source.npy"
        t0 = time.perf_counter()
        _, err = _child(["--prepare", wl_name, str(n), str(src)], args.timeout)
        if not src.exists():
            print(f"{wl_name}: could not make the frames: {err}", file=log)
            continue
        print(f"{wl_name}: {n} frames ready in {time.perf_counter() - t0:.1f} s", file=log)
        # reps outermost: a slow drift of the machine's load hits every tool alike
        for rep in range(args.reps):
            for tool in tools:
                row = rows[tool]
                out = workdir / f"{wl_name}-{tool}-{rep}.{TOOLS[tool].ext or wl.ext}"
                child_args = ["--child", tool, wl_name, str(out), "--frames", str(n)]
                load1 = os.getloadavg()[0]
                res, err = _child([*child_args, "--source", str(src)], args.timeout)
                if res is None:
                    row.errors.append(err)
                    print(f"  [{rep + 1}/{args.reps}] {tool:20s} FAILED: {err}", file=log)
                    out.unlink(missing_ok=True)
                    continue
                res["load1_before"] = load1
                row.runs.append(res)
                print(
                    f"  [{rep + 1}/{args.reps}] {tool:20s} {n / res['seconds']:9.1f} fps "
                    f"{res['seconds']:8.2f} s  other CPU {res['other_cpu']:.2f}",
                    file=log,
                )
                if out.exists():
                    if row.movie and row.movie != str(out):
                        Path(row.movie).unlink(missing_ok=True)
                    row.movie = str(out)
        check_movies(wl, n, rows, src, workdir, args)
        src.unlink(missing_ok=True)

    load_after = os.getloadavg()
    report = render(started, info, versions, load_before, load_after, results, counts, args)
    raw = {
        **raw_header(started, info, versions, load_before, load_after),
        "frames": counts,
        "reps": args.reps,
        "rows": {
            wl: {
                t: {
                    "runs": r.runs,
                    "errors": r.errors,
                    "probe": r.probe,
                    "psnr": r.psnr,
                    "psnr_note": r.psnr_note,
                }
                for t, r in rows.items()
            }
            for wl, rows in results.items()
        },
    }
    write_report(args, report_path(args, started), report, raw, workdir)


def check_movies(
    wl: Workload, n: int, rows: dict[str, Row], src: Path, workdir: Path, args: argparse.Namespace
) -> None:
    """ffprobe and PSNR of the last movie each tool wrote (not timed)."""
    import psnr

    movies = {t: r for t, r in rows.items() if r.movie}
    if not movies:
        return
    for row in movies.values():
        assert row.movie is not None
        try:
            row.probe = probe(row.movie)
        except (subprocess.CalledProcessError, ValueError) as e:
            row.psnr_note = f"ffprobe failed: {e}"
    if args.no_psnr:
        return
    if wl.kind == "mpl":
        ref_path = workdir / f"{wl.name}-reference.npy"
        _, err = _child(["--reference", wl.name, str(n), str(src), str(ref_path)], args.timeout)
        if not ref_path.exists():
            for row in movies.values():
                row.psnr_note = f"no reference frames: {err}"
            return
        ref = np.load(ref_path, mmap_mode="r")
        height, width = ref.shape[1:3]
    else:
        ref = np.load(src, mmap_mode="r")
        height, width = wl.h, wl.w
        ref_path = None
    cycle = len(ref)

    def source(i: int) -> np.ndarray:
        return ref[i % cycle]

    try:
        for name, row in movies.items():
            assert row.movie is not None
            got_w, got_h = row.probe.get("width"), row.probe.get("height")
            rescale = (got_w, got_h) != (width, height)
            # framesink pads (repeating the edge), the others resize
            fit = None if not rescale else "crop" if name.startswith("framesink") else "scale"
            try:
                value, decoded = psnr.psnr_stream(row.movie, source, n, width, height, fit)
            except RuntimeError as e:
                row.psnr_note = str(e)[:200]
                continue
            row.psnr = value
            notes = []
            if fit == "crop":
                notes.append(f"padded to {got_w}x{got_h}; PSNR of the picture (cropped)")
            elif fit == "scale":
                notes.append(f"resized to {got_w}x{got_h}; PSNR after scaling back")
            if decoded != n:
                notes.append(f"{decoded} of {n} frames in the movie")
            row.psnr_note = "; ".join(notes)
    finally:
        if ref_path is not None:
            ref_path.unlink(missing_ok=True)


# --------------------------------------------------------------------------
# the report


def _f(x: float | None, fmt: str = ".1f", none: str = "-") -> str:
    return none if x is None else format(x, fmt)


def _note(row: Row, wl: Workload) -> str:
    parts = [TOOLS[row.tool].note_for(wl.kind)]
    if wl.kind == "mpl" and row.tool in ("framesink", "framesink_1thread"):
        parts[0] = 'anim.save(writer="framesink")' + (
            ", threads=1" if "1thread" in row.tool else ""
        )
    us = row.med("write_us")
    if us is not None:
        native = row.med("write_native_us")
        text = f"write() {us:.0f} µs/call"
        if native is not None:
            text += f" (Python layer {us - native:.0f} µs, native {native:.0f} µs)"
        parts.append(text)
    if row.tool == "limit_copy" and row.ok():
        gbs = wl.h * wl.w * 3 * row.fps() / 1e9
        parts.append(f"{gbs:.1f} GB/s")
    if row.psnr_note:
        parts.append(row.psnr_note)
    if row.errors:
        parts.append(f"{len(row.errors)} failed run(s): {row.errors[-1]}")
    return "; ".join(p for p in parts if p)


def _table(wl: Workload, rows: dict[str, Row]) -> list[str]:
    lines = [
        (
            "| tool | fps | [min-max] | seconds | MB | PSNR dB | codec/pix_fmt | browser-safe "
            "| RSS +MB | other CPU | note |"
        ),
        "|---|---:|---|---:|---:|---:|---|---|---:|---:|---|",
    ]
    ordered = sorted(rows.values(), key=lambda r: (not r.ok(), -r.fps() if r.ok() else 0.0))
    for row in ordered:
        if not row.ok():
            lines.append(f"| {row.tool} | FAILED | | | | | | | | | {_note(row, wl)} |")
            continue
        fps = row.fps_list()
        b = row.size()
        codec = (
            f"{row.probe.get('codec_name', '?')}/{row.probe.get('pix_fmt', '?')}"
            if row.probe
            else "-"
        )
        growth = [r["rss_growth_mb"] + r["children_peak_rss_mb"] for r in row.runs]
        other = max(r["other_cpu"] for r in row.runs)
        lines.append(
            f"| {row.tool} | {row.fps():.1f} | [{min(fps):.1f}-{max(fps):.1f}] "
            f"| {row.seconds():.2f} | {_f(None if b is None else b / 1e6, '.2f')} "
            f"| {_f(row.psnr, '.2f')} | {codec} | {row.browser_safe()} "
            f"| {_median(growth):.0f} | {other:.2f} | {_note(row, wl)} |"
        )
    return lines


# (subject, peers) compared in the ratios under each table: like with like (MP4 with
# MP4, GIF with GIF)
COMPARISONS = (
    (
        "framesink",
        ("imageio_v2", "pyav", "opencv", "pipe_raw", "framesink_1thread", "mpl_ffmpeg"),
        ("frames", "stream", "mpl"),
    ),
    ("framesink_av1", ("imageio_v2", "framesink"), ("frames", "stream")),
    ("framesink", ("pillow", "imageio_v2", "framesink_dither"), ("gif",)),
    ("framesink_dither", ("pillow",), ("gif",)),
    ("framesink_gif", ("mpl_pillow_gif",), ("mpl",)),
)


def _compare(subject: str, peers: Iterable[str], rows: dict[str, Row]) -> list[str]:
    """fps ratio, bytes ratio and PSNR delta of subject against each peer that ran."""
    fs = rows.get(subject)
    peers = [p for p in peers if p in rows and rows[p].ok()]
    if fs is None or not fs.ok() or not peers:
        return []
    lines = [
        f"| {subject} vs | fps ratio | bytes ratio | PSNR delta dB |",
        "|---|---:|---:|---:|",
    ]
    for p in peers:
        peer = rows[p]
        fb, pb = fs.size(), peer.size()
        br = f"{fb / pb:.2f}x" if fb and pb else "-"
        dp = f"{fs.psnr - peer.psnr:+.2f}" if fs.psnr is not None and peer.psnr else "-"
        lines.append(f"| {p} | {fs.fps() / peer.fps():.2f}x | {br} | {dp} |")
    return [*lines, ""]


def _ratios(wl: Workload, rows: dict[str, Row], ncpu: int) -> list[str]:
    lines: list[str] = []
    for subject, peers, kinds in COMPARISONS:
        if wl.kind in kinds:
            lines += _compare(subject, peers, rows)
    floor = rows.get("limit_render")
    if floor is not None and floor.ok():
        for name, what in (
            ("framesink", "framesink"),
            ("mpl_ffmpeg", "FFMpegWriter"),
            ("framesink_gif", "framesink_gif"),
            ("mpl_pillow_gif", "PillowWriter (GIF)"),
        ):
            r = rows.get(name)
            if r is not None and r.ok():
                lines.append(
                    f"- vs the render-only floor: {what} runs at {r.fps() / floor.fps():.2f} "
                    f"of the floor's fps ({r.seconds() - floor.seconds():+.2f} s over drawing "
                    "alone)."
                )
    fs = rows.get("framesink")
    if fs is None or not fs.ok():
        return _trim(lines)
    enc = rows.get("limit_encoder_1core")
    if enc is not None and enc.ok():
        ideal = ncpu * enc.fps()
        lines.append(
            f"- End to end vs {ncpu} x limit_encoder_1core ({ideal:.1f} fps, the encoder alone "
            f"on every core): framesink reaches {fs.fps() / ideal:.2f} of it."
        )
        one = rows.get("framesink_1thread")
        if one is not None and one.ok():
            lines.append(
                f"- framesink_1thread vs limit_encoder_1core: {one.fps() / enc.fps():.2f} "
                "(the Python API, conversion and muxing on top of one encoder)."
            )
    if wl.kind == "stream":
        g = [r["rss_growth_mb"] for r in fs.runs]
        before = _median([r["rss_before_mb"] for r in fs.runs])
        lines.append(
            f"- Peak RSS growth over {fs.runs[0]['frames']} frames: {_median(g):.0f} MB "
            f"(median; [{min(g):.0f}-{max(g):.0f}]), from {before:.0f} MB before the first "
            "write to the peak at the end (VmHWM, reset before timing)."
        )
    return _trim(lines)


def _trim(lines: list[str]) -> list[str]:
    while lines and not lines[-1]:
        lines.pop()
    return lines


def render(
    started: datetime.datetime,
    info: dict[str, Any],
    versions: dict[str, Any],
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
    results: dict[str, dict[str, Row]],
    counts: dict[str, int],
    args: argparse.Namespace,
) -> str:
    ncpu = int(info["nproc"] or 1)
    out = [
        f"# framesink benchmark, {started:%Y-%m-%d %H:%M}" + (" (--quick)" if args.quick else ""),
        "",
        f"Generated by `{' '.join(['python3 bench/run.py', *args.argv])}`.",
        (
            f"Median of {args.reps} run(s) per tool, each in a fresh process; [min-max] fps "
            "over runs. Timed: open writer + write every frame + close (frames made before "
            f"timing). Movies at {FPS} fps. See bench/README.md for the tools and columns."
        ),
        "",
        *machine_lines(info, versions, load_before, load_after),
    ]
    summary = []
    for wl_name, rows in results.items():
        fs = rows.get("framesink")
        if fs is None or not fs.ok():
            continue
        cells = [wl_name, f"{fs.fps():.1f}"]
        for p in ("imageio_v2", "opencv", "mpl_ffmpeg", "pillow", "limit_render"):
            r = rows.get(p)
            cells.append(f"{r.fps():.1f} ({fs.fps() / r.fps():.2f}x)" if r and r.ok() else "-")
        summary.append("| " + " | ".join(cells) + " |")
    if summary:
        out += [
            "",
            "## Summary (framesink fps; peers' fps with framesink's ratio to them)",
            "",
            "| workload | framesink | imageio_v2 | opencv | mpl_ffmpeg | pillow | limit_render |",
            "|---|---:|---:|---:|---:|---:|---:|",
            *summary,
        ]
    for wl_name, rows in results.items():
        wl = WORKLOADS[wl_name]
        n = counts[wl_name]
        out += [
            "",
            f"## {wl_name}",
            "",
            f"{n} frames {wl.w}x{wl.h}: {wl.about}.",
            "",
            *_table(wl, rows),
        ]
        ratios = _ratios(wl, rows, ncpu)
        if ratios:
            out += ["", "Same run, medians:", "", *ratios]
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------


def _csv(valid: Iterable[str], what: str) -> Callable[[str], list[str]]:
    valid = list(valid)

    def parse(text: str) -> list[str]:
        items = [x.strip() for x in text.split(",") if x.strip()]
        bad = [x for x in items if x not in valid]
        if bad:
            raise argparse.ArgumentTypeError(
                f"unknown {what} {', '.join(bad)}; choose from {', '.join(valid)}"
            )
        return items

    return parse


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        p = argparse.ArgumentParser(prog="run.py --child")
        p.add_argument("--child", nargs=3, metavar=("TOOL", "WORKLOAD", "OUT"), required=True)
        p.add_argument("--frames", type=int, help="frame count (default: the workload's)")
        p.add_argument("--source", help="frames saved by --prepare (default: generate them)")
        a = p.parse_args(argv)
        tool, wl, out = a.child
        if tool not in TOOLS or wl not in WORKLOADS:
            p.error(f"tools: {', '.join(TOOLS)}; workloads: {', '.join(WORKLOADS)}")
        child_main(tool, wl, out, a.frames or WORKLOADS[wl].n, a.source)
        return
    if argv[:1] == ["--prepare"]:
        prepare_main(argv[1], int(argv[2]), argv[3])
        return
    if argv[:1] == ["--reference"]:
        reference_main(argv[1], int(argv[2]), argv[3], argv[4])
        return
    if argv[:1] == ["--versions"]:
        versions_main()
        return

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--workloads",
        type=_csv(WORKLOADS, "workload"),
        default=list(WORKLOADS),
        help=f"comma-separated, default all: {','.join(WORKLOADS)}",
    )
    p.add_argument(
        "--tools",
        type=_csv(TOOLS, "tool"),
        help="comma-separated; run on every chosen workload they support "
        f"(default: each workload's own list). All: {','.join(TOOLS)}",
    )
    p.add_argument("--reps", type=int, help="runs per tool and workload (default 3; --quick: 1)")
    p.add_argument("--quick", action="store_true", help="tiny frame counts: a smoke test")
    p.add_argument("--frames", type=int, help="override every workload's frame count")
    p.add_argument("--no-psnr", action="store_true", help="skip decoding for PSNR")
    p.add_argument("--output", help="report path (default bench/results/YYYY-MM-DD.md)")
    p.add_argument("--out-dir", help="where movies go (default: a temporary dir in /dev/shm)")
    p.add_argument("--keep", action="store_true", help="keep the movies")
    p.add_argument("--timeout", type=float, default=3600, help="seconds per child (3600)")
    a = p.parse_args(argv)
    a.argv = argv
    if a.reps is None:
        a.reps = 1 if a.quick else 3
    if a.reps < 1:
        p.error("--reps must be >= 1")
    if not CLI.exists() and "limit_encoder_1core" in (a.tools or FRAME_TOOLS):
        print(f"warning: {CLI} is missing; limit_encoder_1core will fail", file=sys.stderr)
    run_suite(a)


if __name__ == "__main__":
    main()
