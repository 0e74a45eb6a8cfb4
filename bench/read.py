"""Reading a movie back into numpy: framesink against imageio v2 (imageio-ffmpeg)
and PyAV, on the same files, side by side in one run.

The movies are written once (not timed) from frames.smooth: H.264 by framesink
(OpenH264, closed GOPs) and by ffmpeg's libx264 (High, B-frames), and AV1 by
framesink (rav1e). Each (tool, movie, repetition) runs in a fresh child process
that reads every frame into one (N, H, W, 3) uint8 array, or iterates the frames
keeping only one (``--iterate``: the memory a long movie needs). The child
reports its wall time and its peak RSS.

    pip install av imageio imageio-ffmpeg           # the peers
    python3 bench/read.py                           # 300 frames of 1280x720, 3 reps
    python3 bench/read.py --frames 30 --reps 1      # a smoke test
    python3 bench/read.py --long 10000              # also iterate a 10,000-frame movie
    python3 bench/read.py --child TOOL MOVIE [--iterate]   # one timed run, JSON on stdout
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

BENCH = Path(__file__).resolve().parent
FRAMES_DIR = Path("/work/shared/bench")
FFMPEG = "/usr/bin/ffmpeg"
FPS = 30
TOOLS = ("framesink", "imageio_v2", "pyav")


def read_framesink(path: str, iterate: bool) -> tuple[int, tuple[int, ...]]:
    import framesink

    if iterate:
        n, shape = 0, ()
        with framesink.Reader(path) as r:
            for frame in r:
                n, shape = n + 1, frame.shape
        return n, shape
    frames = framesink.read(path)
    return len(frames), frames.shape


def read_imageio_v2(path: str, iterate: bool) -> tuple[int, tuple[int, ...]]:
    import imageio.v2 as iio

    with iio.get_reader(path, format="FFMPEG") as r:
        if iterate:
            n, shape = 0, ()
            for frame in r:
                n, shape = n + 1, frame.shape
            return n, shape
        # imageio-ffmpeg's reader has an infinite len(), which list() would
        # preallocate for; count_frames() asks ffmpeg (not timed apart).
        frames = np.stack([r.get_data(i) for i in range(r.count_frames())])
    return len(frames), frames.shape


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM): unlike ru_maxrss, it starts afresh at exec,
    so the parent's memory does not count."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def read_pyav(path: str, iterate: bool) -> tuple[int, tuple[int, ...]]:
    import av

    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"  # PyAV's fastest: frame and slice threads
        if iterate:
            n, shape = 0, ()
            for frame in container.decode(stream):
                a = frame.to_ndarray(format="rgb24")
                n, shape = n + 1, a.shape
            return n, shape
        frames = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(stream)])
    return len(frames), frames.shape


def child(tool: str, movie: str, iterate: bool) -> None:
    reader = {"framesink": read_framesink, "imageio_v2": read_imageio_v2, "pyav": read_pyav}[tool]
    start = time.perf_counter()
    n, shape = reader(movie, iterate)
    seconds = time.perf_counter() - start
    rss_mb = peak_rss_mb()
    print(json.dumps({"frames": n, "shape": list(shape), "seconds": seconds, "rss_mb": rss_mb}))


def make_movies(out: Path, n: int, h: int, w: int, long_n: int) -> dict[str, Path]:
    import framesink

    sys.path.insert(0, str(FRAMES_DIR))
    import frames as gen

    src = gen.smooth(n, h, w)
    movies = {}
    movies["h264_framesink"] = out / "framesink.mp4"
    framesink.write(movies["h264_framesink"], src, fps=FPS)
    movies["av1_framesink"] = out / "framesink_av1.mp4"
    framesink.write(movies["av1_framesink"], src, fps=FPS, codec="av1")
    raw = out / "src.rgb"
    raw.write_bytes(src.tobytes())
    movies["h264_x264_bframes"] = out / "x264.mp4"
    subprocess.run(
        [FFMPEG, "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
         "-r", str(FPS), "-i", str(raw), "-c:v", "libx264", "-preset", "medium", "-bf", "3",
         "-pix_fmt", "yuv420p", "-colorspace", "bt709", "-color_primaries", "bt709",
         "-color_trc", "bt709", "-vf", "scale=out_color_matrix=bt709",
         str(movies["h264_x264_bframes"])],
        check=True,
    )  # fmt: skip
    raw.unlink()
    if long_n:
        cycle = src[:30]
        movies["h264_long"] = out / f"long{long_n}.mp4"
        with framesink.Writer(movies["h264_long"], fps=FPS) as wr:
            for i in range(long_n):
                wr.write(cycle[i % len(cycle)])
    return movies


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--child", nargs=2, metavar=("TOOL", "MOVIE"))
    ap.add_argument("--iterate", action="store_true")
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--long", type=int, default=0, help="also iterate a movie of this many frames")
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--output", type=Path)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.iterate)
        return
    w, h = (int(v) for v in args.size.split("x"))
    tools = args.tools.split(",")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(dir="/dev/shm") as tmp:
        movies = make_movies(Path(tmp), args.frames, h, w, args.long)
        for name, movie in movies.items():
            iterate = name == "h264_long"
            for tool in tools:
                runs = []
                for _ in range(args.reps):
                    cmd = [sys.executable, __file__, "--child", tool, str(movie)]
                    out = subprocess.run(
                        cmd + (["--iterate"] if iterate else []),
                        capture_output=True,
                        text=True,
                        check=False,
                    )
                    if out.returncode != 0:
                        runs.append({"error": out.stderr.strip().splitlines()[-1:]})
                        break
                    runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
                ok = [r for r in runs if "seconds" in r]
                row: dict[str, Any] = {"movie": name, "tool": tool, "runs": runs}
                if ok:
                    fps = [r["frames"] / r["seconds"] for r in ok]
                    row.update(
                        fps=statistics.median(fps),
                        fps_min=min(fps),
                        fps_max=max(fps),
                        rss_mb=statistics.median(r["rss_mb"] for r in ok),
                        frames=ok[0]["frames"],
                        mb=os.path.getsize(movie) / 1e6,
                    )
                rows.append(row)
                print(json.dumps({k: v for k, v in row.items() if k != "runs"}), flush=True)
    report(rows, args, w, h)


def report(rows: list[dict[str, Any]], args: argparse.Namespace, w: int, h: int) -> None:
    today = datetime.date.today().isoformat()
    out = args.output or BENCH / "results" / f"{today}-read.md"
    load = os.getloadavg()
    lines = [
        f"# Reading into numpy ({today})",
        "",
        (
            f"{args.frames} frames of {w}x{h} (frames.smooth), {args.reps} reps, median fps "
            f"[min-max]; {platform.machine()}, {os.cpu_count()} cores, load after the run "
            f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}. Each run is a fresh process reading "
            "every frame into one (N, H, W, 3) uint8 array (the long movie: iterating, one "
            "frame kept); RSS is the child's peak."
        ),
        "",
        "| movie | tool | fps | frames | MB | peak RSS MB | vs framesink |",
        "|---|---|---|---|---|---|---|",
    ]
    base = {r["movie"]: r.get("fps") for r in rows if r["tool"] == "framesink"}
    for r in rows:
        if "fps" not in r:
            lines.append(f"| {r['movie']} | {r['tool']} | failed: {r['runs'][-1]} | | | | |")
            continue
        ratio = base.get(r["movie"])
        rel = f"{r['fps'] / ratio:.2f}x" if ratio else "-"
        lines.append(
            f"| {r['movie']} | {r['tool']} | {r['fps']:.1f} "
            f"[{r['fps_min']:.1f}-{r['fps_max']:.1f}] "
            f"| {r['frames']} | {r['mb']:.2f} | {r['rss_mb']:.0f} | {rel} |"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    out.with_suffix(".json").write_text(json.dumps(rows, indent=1))
    print(f"report: {out}")


if __name__ == "__main__":
    main()
