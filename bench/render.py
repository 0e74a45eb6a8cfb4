"""framesink's parallel work: render on processes and Dask, join, task overhead, memory.

Every (variant, repetition) runs in a fresh child process; the parent collects the
timings, checks that the movies decode to the same pixels (ffmpeg framemd5) and
writes a Markdown report (plus a .json with every run).

    python3 bench/render.py                      # everything, 3 reps (a few minutes)
    python3 bench/render.py --quick              # small sizes, 1 rep: a smoke test
    python3 bench/render.py --workloads contour,join --reps 5
    python3 bench/render.py --child contour_render_procs /dev/shm/x.mp4 --n 240

See bench/README.md ("render.py") for what each workload measures.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import gc
import io
import json
import logging
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import run as suite  # noqa: E402  (run.py: machine info, RSS and CPU helpers, paths)

FPS = 30
KEYINT = 60  # framesink's default keyframe interval at 30 fps (about 2 s)
TARGETS = {"render_procs": 1.65, "render_warm": 1.8, "render_dask": 1.5, "join_fps": 5000.0}


# --------------------------------------------------------------------------
# workloads


@dataclass(frozen=True)
class Workload:
    name: str
    variants: tuple[str, ...]
    n: int  # frames; join: parts; task_overhead: tasks
    quick_n: int
    about: str


WORKLOADS = {
    w.name: w
    for w in (
        Workload(
            "contour",
            (
                "contour_serial",
                "contour_render_procs",
                "contour_render_warm",
                "contour_render_dask",
                "contour_render_dask_quiet",
            ),
            240,
            120,
            "a drawing-bound plot: `ax.contourf` (20 levels, viridis) of a smooth 2-D field "
            "that moves with the item, plus `ax.set_title`, 4x3 in at 100 dpi (400x300 px); "
            "`setup` makes the figure once (once per task in render)",
        ),
        Workload(
            "funcanim",
            ("funcanim_save", "funcanim_render", "funcanim_cpu"),
            300,
            120,
            "the original question's FuncAnimation: 5x5 in at 100 dpi (500x500 px), `imshow` "
            "of a 300x300 random gray image (`np.random.default_rng(n).random((300, 300))`, "
            "cmap gray, nearest, clim [0, 1], hidden axes, tight_layout)",
        ),
        Workload(
            "join",
            ("join_cli", "join_py"),
            10,
            3,
            f"parts of {KEYINT} frames (quick: 30) of 1280x720 H.264 (`frames.smooth`, one "
            "part forward, the next backward), written once with framesink.write (not timed), "
            "joined into one movie on one core",
        ),
        Workload(
            "task_overhead",
            ("task_serial", "task_procs", "task_dask", "task_procs_fixed", "task_dask_fixed"),
            200,
            10,
            f"a trivial frame_fn (a constant 32x32 frame), segment_frames={KEYINT} (the keyframe "
            "interval): one task per GOP",
        ),
        Workload(
            "client_memory",
            ("memory_procs",),
            3000,
            300,
            "render of cheap 320x240 frames computed from the item (moving sine gradients), "
            "default process executor",
        ),
    )
}

ABOUT = {
    "contour_serial": "one process: draw, `buffer_rgba`, `framesink.Writer.write` per frame",
    "contour_render_procs": "`framesink.render(..., workers=W)`: fresh worker processes, "
    "their start-up timed",
    "contour_render_warm": "`framesink.render(..., workers=W)` inside `with framesink.Pool(W)`, "
    "the pool (started with its imports done) started before timing",
    "contour_render_dask_quiet": "as contour_render_dask, with the workers' profiler off "
    "(`distributed.worker.profile.enabled: False`)",
    "contour_render_dask": "`framesink.render(..., executor=client)` on a LocalCluster "
    "(W processes, 1 thread each) started before timing",
    "funcanim_save": '`anim.save(path, writer="framesink", fps=30)`, one process',
    "funcanim_render": "`framesink.render(path, anim, workers=W, fps=30)`: forked workers",
    "join_cli": "`taskset -c {cpu} framesink join -q OUT PART...` (process start timed)",
    "join_py": "`framesink.join(out, parts)` (import not timed), the process pinned to CPU {cpu}",
    "task_serial": "`framesink.write` of the same frames, one process",
    "task_procs": "render, default executor (fresh processes, start-up timed)",
    "task_dask": "render on a LocalCluster started before timing",
    "task_procs_fixed": "render of one task per worker, default executor: the fixed cost",
    "task_dask_fixed": "render of one task per worker on Dask: the fixed cost",
    "memory_procs": "`framesink.render(..., workers=W)`, default executor",
}


# --- contour


CONTOUR_LEVELS = np.linspace(-1.7, 1.7, 21)  # 20 filled levels, the same for every frame


def contour_setup() -> Any:
    """A 4x3 in figure at 100 dpi (400x300 px) on an Agg canvas, and the grid."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 3), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    y, x = np.mgrid[-1.5:1.5:150j, -2.0:2.0:200j]
    return fig, ax, x, y


def contour_draw(state: Any, item: int) -> Any:
    """Draws frame `item` into the figure (returned; render rasterises it)."""
    fig, ax, x, y = state
    ph = 2.0 * np.pi * item / 240.0
    z = np.sin(2.0 * x + ph) * np.cos(1.5 * y - 0.7 * ph) + 0.7 * np.exp(
        -((x - np.cos(ph)) ** 2 + (y - 0.8 * np.sin(ph)) ** 2)
    )
    ax.clear()
    ax.contourf(x, y, z, levels=CONTOUR_LEVELS, cmap="viridis", extend="both")
    ax.set_title(f"t = {item}")
    return fig


# --- funcanim


def funcanim_animation(n: int) -> Any:
    """The question's figure and FuncAnimation; frame k depends only on k."""
    import matplotlib.pyplot as plt
    from matplotlib import animation

    fig = plt.figure(figsize=(5, 5), dpi=100)
    ax = fig.add_subplot(111)
    ax.set_aspect("equal")
    ax.get_xaxis().set_visible(False)
    ax.get_yaxis().set_visible(False)
    im = ax.imshow(
        np.random.default_rng(0).random((300, 300)), cmap="gray", interpolation="nearest"
    )
    im.set_clim(0, 1)
    fig.tight_layout()

    def update_img(k: int) -> Any:
        im.set_data(np.random.default_rng(k).random((300, 300)))
        return (im,)

    anim = animation.FuncAnimation(fig, update_img, frames=n, interval=30)
    anim.update_img = update_img  # type: ignore[attr-defined]  # for the CPU child
    return anim


# --- task_overhead, client_memory


def tiny_frame(item: int) -> np.ndarray:
    return np.full((32, 32, 3), 128, np.uint8)


def cheap_frame(item: int) -> np.ndarray:
    """320x240 RGB: sine gradients that move with the item (cheap, compressible)."""
    t = item / FPS
    y = np.linspace(0.0, 1.0, 240, dtype=np.float32)[:, None]
    x = np.linspace(0.0, 1.0, 320, dtype=np.float32)[None, :]
    two_pi = np.float32(2.0 * np.pi)
    rgb = np.empty((240, 320, 3), np.float32)
    rgb[..., 0] = 0.5 + 0.4 * np.sin(two_pi * (1.5 * x + 0.10 * t))
    rgb[..., 1] = 0.5 + 0.4 * np.cos(two_pi * (y - 0.07 * t))
    rgb[..., 2] = 0.5 + 0.2 * (np.sin(two_pi * (x + y + 0.05 * t)) + np.cos(two_pi * 3 * x * y))
    return (rgb * 255.0 + 0.5).astype(np.uint8)


# --------------------------------------------------------------------------
# the child: one timed run


def tree_cpu() -> float:
    """CPU seconds of this process and every live descendant, with their reaped children."""
    hz = os.sysconf("SC_CLK_TCK")
    procs: dict[int, tuple[int, int]] = {}  # pid -> (ppid, ticks)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                rest = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # after the name: state ppid ... utime(14) stime cutime cstime
        procs[int(entry)] = (int(rest[1]), sum(int(v) for v in rest[11:15]))
    me = os.getpid()
    kids: dict[int, list[int]] = {}
    for pid, (ppid, _) in procs.items():
        kids.setdefault(ppid, []).append(pid)
    total, todo = 0, [me]
    while todo:
        pid = todo.pop()
        total += procs.get(pid, (0, 0))[1]
        todo += kids.get(pid, [])
    return total / hz


def measure(fn: Callable[[], Any]) -> tuple[Any, dict[str, Any]]:
    """Runs fn once: wall seconds, CPU of the process tree, other processes' CPU, RSS."""
    gc.collect()
    children_kb0 = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    reset = suite._reset_peak_rss()
    before = suite._status_kb()
    busy0, total0 = suite._cpu_ticks()
    own0 = tree_cpu()
    t0 = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - t0
    own = tree_cpu() - own0
    busy1, total1 = suite._cpu_ticks()
    after = suite._status_kb()
    hz = os.sysconf("SC_CLK_TCK")
    other = max(0.0, ((busy1 - busy0) / hz - own) / max((total1 - total0) / hz, 1e-9))
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return value, {
        "seconds": seconds,
        "cpu_seconds": own,
        "other_cpu": other,
        "rss_before_mb": before["VmRSS"] / 1024,
        "peak_rss_mb": after["VmHWM"] / 1024,
        "rss_growth_mb": (after["VmHWM"] - (before["VmRSS"] if reset else before["VmHWM"])) / 1024,
        "peak_reset": reset,
        "children_peak_rss_mb": children_kb / 1024 if children_kb > children_kb0 else 0.0,
    }


@contextlib.contextmanager
def dask_client(workers: int, stats: dict[str, Any]) -> Any:
    """A LocalCluster of `workers` processes with one thread each; its start is timed apart."""
    import distributed

    t0 = time.perf_counter()
    cluster = distributed.LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    client = distributed.Client(cluster)
    client.wait_for_workers(workers)
    stats["cluster_start_s"] = time.perf_counter() - t0
    import dask

    # on by default: it samples the task threads' stacks every 10 ms (about 10 % of the
    # CPU of a drawing-bound task here); DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False
    stats["dask_worker_profile"] = bool(dask.config.get("distributed.worker.profile.enabled"))
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _summary(s: Any) -> dict[str, Any]:
    return {"movie_frames": s.frames, "bytes": s.bytes}


def child_main(name: str, out: str, n: int, workers: int, parts_dir: str | None) -> None:
    import framesink

    stats: dict[str, Any] = {"variant": name, "workers": workers}
    frames = n
    result: Any = None

    if name.startswith("contour_"):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.backends.backend_agg
        import matplotlib.figure

        if name == "contour_serial":

            def timed() -> Any:
                state = contour_setup()
                with framesink.Writer(out, fps=FPS) as w:
                    for i in range(n):
                        fig = contour_draw(state, i)
                        fig.canvas.draw()
                        w.write(np.asarray(fig.canvas.buffer_rgba()))
                return w.close()

            result, m = measure(timed)
        elif name == "contour_render_procs":
            result, m = measure(
                lambda: framesink.render(
                    out, contour_draw, range(n), fps=FPS, setup=contour_setup, workers=workers
                )
            )
        elif name == "contour_render_warm":
            t0 = time.perf_counter()
            with framesink.Pool(workers):
                stats["pool_start_s"] = time.perf_counter() - t0
                result, m = measure(
                    lambda: framesink.render(
                        out, contour_draw, range(n), fps=FPS, setup=contour_setup, workers=workers
                    )
                )
        else:
            import dask

            # contour_render_dask_quiet: the workers' profiler off, as README advises.
            quiet = name.endswith("_quiet")
            settings = {"distributed.worker.profile.enabled": False} if quiet else {}
            with dask.config.set(settings), dask_client(workers, stats) as client:
                result, m = measure(
                    lambda: framesink.render(
                        out, contour_draw, range(n), fps=FPS, setup=contour_setup, executor=client
                    )
                )
    elif name.startswith("funcanim_"):
        import matplotlib

        matplotlib.use("Agg")
        anim = funcanim_animation(n)
        if name == "funcanim_save":
            _, m = measure(lambda: anim.save(out, writer="framesink", fps=FPS))
        elif name == "funcanim_render":
            result, m = measure(lambda: framesink.render(out, anim, workers=workers, fps=FPS))
        else:
            m = funcanim_cpu(anim, n, out, stats)
    elif name.startswith("join_"):
        assert parts_dir is not None
        parts = sorted(str(p) for p in Path(parts_dir).glob("part-*.mp4"))
        manifest = json.loads((Path(parts_dir) / "parts.json").read_text())
        frames = manifest["frames"]
        stats["parts"] = len(parts)
        stats["parts_bytes"] = manifest["bytes"]
        cpu = min(os.sched_getaffinity(0))
        stats["cpu"] = cpu
        if name == "join_cli":
            cmd = ["taskset", "-c", str(cpu), str(suite.CLI), "join", "-q", out, *parts]

            def join_cli() -> None:
                done = subprocess.run(cmd, check=False, capture_output=True)
                if done.returncode != 0:
                    raise RuntimeError(f"framesink join exited {done.returncode}: {done.stderr!r}")

            _, m = measure(join_cli)
        else:
            os.sched_setaffinity(0, {cpu})
            result, m = measure(lambda: framesink.join(out, parts))
    elif name.startswith("task_"):
        if name.endswith("_fixed"):
            n = workers
        frames = n * KEYINT
        stats["tasks"] = n
        items = range(frames)
        if name == "task_serial":
            result, m = measure(
                lambda: framesink.write(out, (tiny_frame(i) for i in items), fps=FPS)
            )
        elif name.startswith("task_procs"):
            result, m = measure(
                lambda: framesink.render(
                    out, tiny_frame, items, fps=FPS, workers=workers, segment_frames=KEYINT
                )
            )
        else:
            with dask_client(workers, stats) as client:
                result, m = measure(
                    lambda: framesink.render(
                        out, tiny_frame, items, fps=FPS, executor=client, segment_frames=KEYINT
                    )
                )
    elif name == "memory_procs":
        result, m = measure(
            lambda: framesink.render(out, cheap_frame, range(n), fps=FPS, workers=workers)
        )
        stats["ru_maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    else:
        raise SystemExit(f"unknown variant {name}; variants: {', '.join(ABOUT)}, funcanim_cpu")

    if result is not None:
        stats.update(_summary(result))
    stats.setdefault("bytes", os.path.getsize(out) if os.path.exists(out) else None)
    print(json.dumps({"frames": frames, **m, **stats}), flush=True)  # the last line of stdout


def funcanim_cpu(anim: Any, n: int, out: str, stats: dict[str, Any]) -> dict[str, Any]:
    """CPU per frame spent drawing (update + draw) and encoding (write of the frames held)."""
    import framesink

    fig, update = anim._fig, anim.update_img
    frames: list[np.ndarray] = []
    draw_cpu = 0.0
    t0 = time.perf_counter()
    for k in range(n):
        c0 = time.process_time()
        update(k)
        fig.canvas.draw()
        draw_cpu += time.process_time() - c0
        frames.append(np.asarray(fig.canvas.buffer_rgba()).copy())  # not counted
    draw_wall = time.perf_counter() - t0

    def usage() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)  # every thread: the encoders too
        return r.ru_utime + r.ru_stime

    used: dict[str, float] = {}

    def encode() -> Any:
        u0 = usage()
        summary = framesink.write(out, frames, fps=FPS)
        used["cpu"] = usage() - u0
        return summary

    summary, m = measure(encode)
    encode_cpu = used["cpu"]
    stats.update(
        draw_cpu_ms=1e3 * draw_cpu / n,
        draw_wall_ms=1e3 * draw_wall / n,
        encode_cpu_ms=1e3 * encode_cpu / n,
        encode_wall_ms=1e3 * m["seconds"] / n,
        **_summary(summary),
    )
    return m


def prepare_join(parts_dir: str, parts: int, per_part: int) -> None:
    """The parts join times: framesink.write of frames.smooth at 720p (not timed)."""
    import frames as gen
    import framesink

    src = gen.smooth(per_part, 720, 1280)
    total_bytes = 0
    for i in range(parts):
        seq = src if i % 2 == 0 else src[::-1]
        s = framesink.write(str(Path(parts_dir) / f"part-{i:03d}.mp4"), seq, fps=FPS)
        total_bytes += s.bytes
    manifest = {"parts": parts, "frames": parts * per_part, "bytes": total_bytes}
    (Path(parts_dir) / "parts.json").write_text(json.dumps(manifest))
    print(json.dumps(manifest))


def versions_main() -> None:
    """run.py's versions of the tools this needs, and Dask's."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        suite.versions_main()
    got = json.loads(buf.getvalue().strip().splitlines()[-1])
    keep = ("python", "numpy", "framesink", "framesink CLI", "framesink git", "matplotlib")
    v = {k: got[k] for k in keep if k in got}
    for mod in ("dask", "distributed", "cloudpickle"):
        try:
            v[mod] = __import__(mod).__version__
        except ImportError as e:
            v[mod] = f"not available ({e})"
    v["Debian ffmpeg (framemd5)"] = got.get("Debian ffmpeg", "?")
    print(json.dumps(v))


# --------------------------------------------------------------------------
# the parent


def _child(args: list[str], timeout: float) -> tuple[dict[str, Any] | None, str]:
    """Runs this script with args in a fresh process (run.py's runner), drawing off-screen."""
    return suite._child(args, timeout, str(Path(__file__).resolve()), {"MPLBACKEND": "Agg"})


def same_pixels(movies: dict[str, str]) -> dict[str, Any]:
    """Whether every movie decodes to the same frames as the first."""
    hashes: dict[str, list[str]] = {}
    errors = {}
    for name, path in movies.items():
        try:
            hashes[name] = suite.framemd5(path)
        except (subprocess.CalledProcessError, OSError) as e:
            errors[name] = str(e)[:200]
    names = list(hashes)
    first = hashes[names[0]] if names else []
    return {
        "identical": bool(names) and not errors and all(hashes[k] == first for k in names),
        "frames": {k: len(h) for k, h in hashes.items()},
        "differ": [k for k in names if hashes[k] != first],
        "errors": errors,
    }


def check_join(rows: dict[str, suite.Row], parts_dir: Path) -> dict[str, Any]:
    """The joined movies: byte-identical CLI and Python, and the parts' frames in order."""
    movies = {k: r.movie for k, r in rows.items() if r.movie}
    out: dict[str, Any] = {}
    if len(movies) == 2:
        a, b = (Path(p).read_bytes() for p in movies.values())
        out["cli_py_byte_identical"] = a == b
    parts = sorted(parts_dir.glob("part-*.mp4"))
    try:
        expected = [h for p in parts for h in suite.framemd5(str(p))]
        for name, path in movies.items():
            got = suite.framemd5(path)
            out[f"{name}_frames"] = len(got)
            out[f"{name}_matches_parts"] = got == expected
        out["parts_frames"] = len(expected)
    except (subprocess.CalledProcessError, OSError) as e:
        out["error"] = str(e)[:200]
    return out


def run_suite(args: argparse.Namespace) -> None:
    started = datetime.datetime.now()
    info = suite.machine_info()
    load_before = os.getloadavg()
    versions, err = _child(["--versions"], 300)
    versions = versions or {"error": err}
    workdir = suite.work_dir(args, "framesink-render-")
    log = sys.stderr
    print(f"movies in {workdir}", file=log)

    results: dict[str, dict[str, suite.Row]] = {}
    counts: dict[str, int] = {}
    checks: dict[str, dict[str, Any]] = {}
    for wl_name in args.workloads:
        wl = WORKLOADS[wl_name]
        n = wl.quick_n if args.quick else wl.n
        counts[wl_name] = n
        rows = results[wl_name] = {v: suite.Row(v) for v in wl.variants}
        extra: list[str] = []
        parts_dir = workdir / "join-parts"
        if wl_name == "join":
            parts_dir.mkdir(exist_ok=True)
            per_part = 30 if args.quick else KEYINT
            t0 = time.perf_counter()
            made, err = _child(
                ["--prepare-join", str(parts_dir), str(n), str(per_part)], args.timeout
            )
            if made is None:
                print(f"join: could not make the parts: {err}", file=log)
                for row in rows.values():
                    row.errors.append(f"no parts: {err}")
                continue
            print(
                f"join: {n} parts of {per_part} frames ready in {time.perf_counter() - t0:.1f} s",
                file=log,
            )
            extra = ["--parts-dir", str(parts_dir)]
        # reps outermost: a slow drift of the machine's load hits every variant alike
        for rep in range(args.reps):
            for variant in wl.variants:
                row = rows[variant]
                out = workdir / f"{variant}-{rep}.mp4"
                cargs = ["--child", variant, str(out), "--n", str(n)]
                cargs += ["--workers", str(args.workers), *extra]
                load1 = os.getloadavg()[0]
                res, err = _child(cargs, args.timeout)
                if res is None:
                    row.errors.append(err)
                    print(f"  [{rep + 1}/{args.reps}] {variant:22s} FAILED: {err}", file=log)
                    out.unlink(missing_ok=True)
                    continue
                res["load1_before"] = load1
                res["rep"] = rep
                row.runs.append(res)
                print(
                    f"  [{rep + 1}/{args.reps}] {variant:22s} {res['frames'] / res['seconds']:9.1f}"
                    f" fps {res['seconds']:8.2f} s  other CPU {res['other_cpu']:.2f}",
                    file=log,
                )
                if out.exists():
                    if row.movie and row.movie != str(out):
                        Path(row.movie).unlink(missing_ok=True)
                    row.movie = str(out)
        if args.no_check:
            continue
        if wl_name in ("contour", "funcanim"):
            movies = {k: r.movie for k, r in rows.items() if r.movie}
            checks[wl_name] = same_pixels(movies) if movies else {"identical": False}
        elif wl_name == "join":
            checks[wl_name] = check_join(rows, parts_dir)
        if wl_name in checks:
            print(f"{wl_name}: check {json.dumps(checks[wl_name])}", file=log)

    load_after = os.getloadavg()
    report = render_report(
        started, info, versions, load_before, load_after, results, counts, checks, args
    )
    raw = {
        **suite.raw_header(started, info, versions, load_before, load_after, args.argv),
        "sizes": counts,
        "reps": args.reps,
        "workers": args.workers,
        "checks": checks,
        "rows": {
            wl: {v: {"runs": r.runs, "errors": r.errors} for v, r in rows.items()}
            for wl, rows in results.items()
        },
    }
    suite.write_report(args, suite.report_path(args, started, "-render"), report, raw, workdir)


# --------------------------------------------------------------------------
# the report


def _med(row: suite.Row | None, key: str) -> float | None:
    return row.med(key) if row is not None and row.ok() else None


def _ok(row: suite.Row | None) -> bool:
    return row is not None and row.ok()


def _yes(x: bool) -> str:
    return "yes" if x else "no"


def _fps_table(rows: dict[str, suite.Row], base: str | None, variants: Iterable[str]) -> list[str]:
    """fps, [min-max], seconds, speed-up against `base`, MB, CPU s, other CPU, note."""
    lines = [
        "| variant | fps | [min-max] | seconds | speed-up | MB | CPU s | other CPU | what |",
        "|---|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    ref = rows.get(base) if base else None
    for v in variants:
        row = rows[v]
        if not row.ok():
            lines.append(f"| {v} | FAILED | | | | | | | {'; '.join(row.errors[-1:])} |")
            continue
        fps = row.fps_list()
        up = f"{row.fps() / ref.fps():.2f}x" if ref is not None and _ok(ref) else "-"
        b = row.size()
        other = max(r["other_cpu"] for r in row.runs)
        note = ABOUT.get(v, "")
        if row.errors:
            note += f"; {len(row.errors)} failed run(s): {row.errors[-1]}"
        lines.append(
            f"| {v} | {row.fps():.1f} | [{min(fps):.1f}-{max(fps):.1f}] | {row.seconds():.2f} "
            f"| {up} | {suite._f(None if b is None else b / 1e6, '.3f')} "
            f"| {suite._f(row.med('cpu_seconds'), '.2f')} | {other:.2f} | {note} |"
        )
    return lines


def _pixels_line(check: dict[str, Any] | None) -> list[str]:
    if not check:
        return ["- Same pixels: not checked."]
    counts = ", ".join(f"{k} {v}" for k, v in check.get("frames", {}).items())
    line = (
        f"- Same pixels (ffmpeg framemd5 of each variant's last movie): identical "
        f"**{_yes(check.get('identical', False))}** (frames decoded: {counts})"
    )
    if check.get("differ"):
        line += f"; differ from the first: {', '.join(check['differ'])}"
    if check.get("errors"):
        line += f"; errors: {check['errors']}"
    return [line + "."]


def _target(value: float | None, target: float, unit: str = "x") -> str:
    if value is None:
        return "-"
    fmt = ".2f" if unit == "x" else ".0f"
    return f"{value:{fmt}}{unit} (target >= {target:{fmt}}{unit}: {_yes(value >= target)})"


def report_contour(rows: dict[str, suite.Row], check: dict[str, Any] | None) -> list[str]:
    out = _fps_table(rows, "contour_serial", rows)
    out += [""]
    serial = rows["contour_serial"]
    for v, key in (
        ("contour_render_procs", "render_procs"),
        ("contour_render_warm", "render_warm"),
        ("contour_render_dask", "render_dask"),
        ("contour_render_dask_quiet", "render_dask"),
    ):
        r = rows.get(v)
        if r is not None and _ok(serial) and _ok(r):
            out.append(f"- {v} vs serial: {_target(r.fps() / serial.fps(), TARGETS[key])}.")
    cs = _med(rows["contour_render_dask"], "cluster_start_s")
    if cs is not None:
        prof = rows["contour_render_dask"].runs[0].get("dask_worker_profile")
        out.append(
            f"- LocalCluster start (not in the timed part): {cs:.2f} s (median); Dask's worker "
            f"profiler {'on (the default)' if prof else 'off'}."
        )
    cpu = []
    for v, row in rows.items():
        c = _med(row, "cpu_seconds")
        if c is not None:
            cpu.append(f"{v} {1e3 * c / row.runs[0]['frames']:.1f} ms")
    if cpu:
        out.append(
            "- CPU per frame (the whole process tree: client, workers, encoders; medians): "
            + ", ".join(cpu)
            + ". What render adds over serial is the workers' start-up (imports, first draw), "
            "setup() per task and the scheduling."
        )
    return out + _pixels_line(check)


def report_funcanim(
    rows: dict[str, suite.Row], check: dict[str, Any] | None, workers: int
) -> list[str]:
    out = _fps_table(rows, "funcanim_save", ("funcanim_save", "funcanim_render"))
    out += [""]
    save, par = rows["funcanim_save"], rows["funcanim_render"]
    if _ok(save) and _ok(par):
        out.append(f"- funcanim_render vs anim.save: {par.fps() / save.fps():.2f}x.")
    cpu = rows["funcanim_cpu"]
    if _ok(cpu):
        d = cpu.med("draw_cpu_ms") or 0.0
        e = cpu.med("encode_cpu_ms") or 0.0
        ew = cpu.med("encode_wall_ms") or 0.0
        dw = cpu.med("draw_wall_ms") or 0.0
        out += [
            (
                f"- CPU per frame (funcanim_cpu, medians): drawing d = **{d:.2f} ms** "
                f"(update + `fig.canvas.draw()`, `time.process_time`; wall {dw:.2f} ms), "
                f"encoding e = **{e:.2f} ms** (`framesink.write` of the {cpu.runs[0]['frames']} "
                f"RGBA frames held in memory, `getrusage(RUSAGE_SELF)` user+sys, encoder threads "
                f"included; wall {ew:.2f} ms a frame, {1e3 / ew if ew else 0:.0f} fps)."
            ),
            (
                "- Model on N cores: anim.save draws on one thread, so it needs at least "
                "max(d, (d+e)/N) a frame; render on N workers needs about (d+e)/N a frame "
                "(plus start-up), so the speed-up is about max(1, N d/(d+e)):"
            ),
        ]
        cells = []
        for k in sorted({2, 4, 8, 16, workers}):
            t_save = max(d, (d + e) / k)
            t_par = (d + e) / k
            cells.append(
                f"N={k}: {t_save / t_par:.2f}x ({1e3 / t_save:.0f} -> {1e3 / t_par:.0f} fps)"
            )
        out.append("  " + "; ".join(cells) + ".")
    return out + _pixels_line(check)


def report_join(rows: dict[str, suite.Row], check: dict[str, Any] | None) -> list[str]:
    lines = [
        "| variant | frames/s | [min-max] | seconds | MB/s | MB out | CPU s | other CPU | what |",
        "|---|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for v, row in rows.items():
        if not row.ok():
            lines.append(f"| {v} | FAILED | | | | | | | {'; '.join(row.errors[-1:])} |")
            continue
        fps = row.fps_list()
        b = row.size() or 0.0
        mbs = suite._median([(r["bytes"] or 0) / 1e6 / r["seconds"] for r in row.runs])
        cpu = row.runs[0].get("cpu", 0)
        lines.append(
            f"| {v} | {row.fps():.0f} | [{min(fps):.0f}-{max(fps):.0f}] | {row.seconds():.3f} "
            f"| {mbs:.0f} | {b / 1e6:.2f} | {suite._f(row.med('cpu_seconds'), '.2f')} "
            f"| {max(r['other_cpu'] for r in row.runs):.2f} "
            f"| {ABOUT[v].replace('{cpu}', str(cpu))} |"
        )
    lines.append("")
    cli = rows.get("join_cli")
    if _ok(cli):
        assert cli is not None
        lines.append(
            f"- framesink join (CLI, one core): {_target(cli.fps(), TARGETS['join_fps'], ' fps')}."
        )
    if check:
        if "cli_py_byte_identical" in check:
            lines.append(
                f"- CLI and Python outputs byte-identical: {_yes(check['cli_py_byte_identical'])}."
            )
        for v in rows:
            if f"{v}_frames" in check:
                lines.append(
                    f"- {v}: {check[f'{v}_frames']} frames decoded, the parts' frames in order "
                    f"(framemd5): {_yes(check[f'{v}_matches_parts'])}."
                )
        if "error" in check:
            lines.append(f"- check failed: {check['error']}")
    return lines


def report_tasks(rows: dict[str, suite.Row]) -> list[str]:
    lines = [
        "| variant | tasks | frames | seconds | [min-max] | CPU s | other CPU | what |",
        "|---|---:|---:|---:|---|---:|---:|---|",
    ]
    for v, row in rows.items():
        if not row.ok():
            lines.append(f"| {v} | FAILED | | | | | | {'; '.join(row.errors[-1:])} |")
            continue
        s = [r["seconds"] for r in row.runs]
        tasks = row.runs[0].get("tasks", "-") if v != "task_serial" else "-"
        lines.append(
            f"| {v} | {tasks} | {row.runs[0]['frames']} | {row.seconds():.3f} "
            f"| [{min(s):.3f}-{max(s):.3f}] | {suite._f(row.med('cpu_seconds'), '.2f')} "
            f"| {max(r['other_cpu'] for r in row.runs):.2f} | {ABOUT[v]} |"
        )
    lines.append("")
    serial = rows["task_serial"]
    if not _ok(serial):
        return lines
    tasks = serial.runs[0]["frames"] // KEYINT
    per_frame = serial.seconds() / serial.runs[0]["frames"]
    for kind in ("procs", "dask"):
        many, fixed_row = rows[f"task_{kind}"], rows[f"task_{kind}_fixed"]
        if not _ok(many):
            continue
        workers = many.runs[0]["workers"]
        ms = 1e3 * (many.seconds() - serial.seconds()) / tasks
        text = (
            f"- {kind}: **{ms:.1f} ms per task** ((render - serial) / {tasks} tasks, "
            f"wall time with {workers} workers)"
        )
        w = fixed_row.runs[0]["tasks"] if _ok(fixed_row) else 0
        if _ok(fixed_row) and tasks > w:
            fixed = fixed_row.seconds() - per_frame * w * KEYINT
            marginal = 1e3 * ((many.seconds() - serial.seconds()) - fixed) / (tasks - w)
            text += (
                f"; fixed cost (a render of {w} task(s), one per worker, less its frames' "
                f"serial time) {fixed:.3f} s, then **{marginal:.1f} ms for each further task** "
                f"(about {marginal * workers:.0f} ms of a worker's time each)"
            )
        cs = _med(many, "cluster_start_s")
        if cs is not None:
            text += f"; LocalCluster start {cs:.2f} s, not timed"
        lines.append(text + ".")
    return lines


def report_memory(rows: dict[str, suite.Row]) -> list[str]:
    row = rows["memory_procs"]
    if not row.ok():
        return [f"- FAILED: {'; '.join(row.errors[-1:])}"]
    before = row.med("rss_before_mb") or 0.0
    peak = row.med("peak_rss_mb") or 0.0
    growth = [r["rss_growth_mb"] for r in row.runs]
    workers_peak = row.med("children_peak_rss_mb") or 0.0
    return [
        (
            f"- {row.runs[0]['frames']} frames in {row.seconds():.2f} s ({row.fps():.0f} fps), "
            f"movie {(row.size() or 0) / 1e6:.2f} MB; other CPU "
            f"{max(r['other_cpu'] for r in row.runs):.2f}."
        ),
        (
            f"- Client RSS before rendering: **{before:.0f} MB**; peak while rendering: "
            f"**{peak:.0f} MB** (VmHWM, reset just before), growth {suite._median(growth):.1f} MB "
            f"[{min(growth):.1f}-{max(growth):.1f}]; ru_maxrss of the client "
            f"{row.med('ru_maxrss_mb') or 0:.0f} MB (includes start-up)."
        ),
        f"- Largest worker peak RSS: {workers_peak:.0f} MB (ru_maxrss of the reaped workers).",
    ]


def summary_lines(
    results: dict[str, dict[str, suite.Row]], checks: dict[str, dict[str, Any]]
) -> list[str]:
    """The headline numbers against their targets."""
    lines = []
    rows = results.get("contour", {})
    serial = rows.get("contour_serial")
    for v, key in (
        ("contour_render_procs", "render_procs"),
        ("contour_render_warm", "render_warm"),
        ("contour_render_dask", "render_dask"),
        ("contour_render_dask_quiet", "render_dask"),
    ):
        r = rows.get(v)
        if serial is not None and _ok(serial) and r is not None and _ok(r):
            lines.append(f"- contour, {v}: {_target(r.fps() / serial.fps(), TARGETS[key])}")
    if "contour" in checks:
        lines.append(f"- contour, same pixels: {_yes(checks['contour'].get('identical', False))}")
    rows = results.get("funcanim", {})
    save, par = rows.get("funcanim_save"), rows.get("funcanim_render")
    if save is not None and _ok(save) and par is not None and _ok(par):
        lines.append(f"- funcanim, render vs anim.save: {par.fps() / save.fps():.2f}x")
    if "funcanim" in checks:
        lines.append(f"- funcanim, same pixels: {_yes(checks['funcanim'].get('identical', False))}")
    cli = results.get("join", {}).get("join_cli")
    if cli is not None and _ok(cli):
        lines.append(f"- join, CLI on one core: {_target(cli.fps(), TARGETS['join_fps'], ' fps')}")
    rows = results.get("task_overhead", {})
    serial = rows.get("task_serial")
    for kind in ("procs", "dask"):
        r = rows.get(f"task_{kind}")
        if serial is not None and _ok(serial) and r is not None and _ok(r):
            tasks = r.runs[0]["tasks"]
            ms = 1e3 * (r.seconds() - serial.seconds()) / tasks
            lines.append(f"- task overhead, {kind}: {ms:.1f} ms per task ({tasks} tasks)")
    mem = results.get("client_memory", {}).get("memory_procs")
    if mem is not None and _ok(mem):
        lines.append(
            f"- client memory: {mem.med('rss_before_mb') or 0:.0f} MB before, "
            f"{mem.med('peak_rss_mb') or 0:.0f} MB peak over {mem.runs[0]['frames']} frames"
        )
    return lines


def render_report(
    started: datetime.datetime,
    info: dict[str, Any],
    versions: dict[str, Any],
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
    results: dict[str, dict[str, suite.Row]],
    counts: dict[str, int],
    checks: dict[str, dict[str, Any]],
    args: argparse.Namespace,
) -> str:
    out = [
        f"# framesink parallel rendering, {started:%Y-%m-%d %H:%M}"
        + (" (--quick)" if args.quick else ""),
        "",
        f"Generated by `{' '.join(['python3 bench/render.py', *args.argv])}`.",
        (
            f"Median of {args.reps} run(s) per variant, each in a fresh process; [min-max] over "
            f"runs. {args.workers} workers. Movies at {FPS} fps in /dev/shm. See bench/README.md "
            "(render.py) for the workloads."
        ),
        "",
        *suite.machine_lines(info, versions, load_before, load_after),
    ]
    summary = summary_lines(results, checks)
    if summary:
        out += ["", "## Summary (medians)", "", *summary]
    for wl_name, rows in results.items():
        wl = WORKLOADS[wl_name]
        n = counts[wl_name]
        size = {
            "join": f"{n} parts",
            "task_overhead": f"{n} tasks",
        }.get(wl_name, f"{n} frames")
        out += ["", f"## {wl_name}", "", f"{size}: {wl.about}.", ""]
        check = checks.get(wl_name)
        if wl_name == "contour":
            out += report_contour(rows, check)
        elif wl_name == "funcanim":
            out += report_funcanim(rows, check, args.workers)
        elif wl_name == "join":
            out += report_join(rows, check)
        elif wl_name == "task_overhead":
            out += report_tasks(rows)
        else:
            out += report_memory(rows)
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        p = argparse.ArgumentParser(prog="render.py --child")
        p.add_argument("--child", nargs=2, metavar=("VARIANT", "OUT"), required=True)
        p.add_argument("--n", type=int, help="frames (join: unused; task_*: tasks)")
        p.add_argument("--workers", type=int, default=2)
        p.add_argument("--parts-dir", help="join: the parts made by --prepare-join")
        a = p.parse_args(argv)
        name, out = a.child
        wl = next((w for w in WORKLOADS.values() if name in w.variants), None)
        if wl is None:
            variants = [v for w in WORKLOADS.values() for v in w.variants]
            p.error(f"variants: {', '.join(variants)}")
        child_main(name, out, a.n or wl.n, a.workers, a.parts_dir)
        return
    if argv[:1] == ["--prepare-join"]:
        prepare_join(argv[1], int(argv[2]), int(argv[3]))
        return
    if argv[:1] == ["--versions"]:
        versions_main()
        return

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--workloads",
        type=suite._csv(WORKLOADS, "workload"),
        default=list(WORKLOADS),
        help=f"comma-separated, default all: {','.join(WORKLOADS)}",
    )
    p.add_argument("--reps", type=int, help="runs per variant (default 3; --quick: 1)")
    p.add_argument("--quick", action="store_true", help="small sizes, report in bench/out/")
    p.add_argument("--workers", type=int, default=2, help="worker processes (2)")
    p.add_argument("--no-check", action="store_true", help="skip the framemd5 checks")
    p.add_argument("--output", help="report path (default bench/results/YYYY-MM-DD-render.md)")
    p.add_argument("--out-dir", help="where movies go (default: a temporary dir in /dev/shm)")
    p.add_argument("--keep", action="store_true", help="keep the movies")
    p.add_argument("--timeout", type=float, default=1800, help="seconds per child (1800)")
    a = p.parse_args(argv)
    a.argv = argv
    if a.reps is None:
        a.reps = 1 if a.quick else 3
    if a.reps < 1 or a.workers < 1:
        p.error("--reps and --workers must be >= 1")
    if "join" in a.workloads and not suite.CLI.exists():
        print(f"warning: {suite.CLI} is missing; join_cli will fail", file=sys.stderr)
    run_suite(a)


if __name__ == "__main__":
    main()
