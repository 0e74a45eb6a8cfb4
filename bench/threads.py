"""Writers in Python threads: does framesink let them run at once (the GIL released)?

W movies, each by its own framesink.Writer with `threads=1` (one encoder thread, so
one writer alone does not already fill the cores), written one after another on one
thread, then by W Python threads at once. Every (mode, repetition) runs in a fresh
child process; the parent checks that both modes' movies decode to the same pixels
(ffmpeg framemd5) and writes a Markdown report (plus a .json with every run).

    python3 bench/threads.py                     # 4 writers x 300 frames of 640x480, 3 reps
    python3 bench/threads.py --quick             # 30 frames of 320x240, 1 rep: a smoke test
    python3 bench/threads.py --writers 4 --frames 300 --size 1280x720 --reps 5
    python3 bench/threads.py --child threaded FRAMES.npy OUTDIR --writers 4   # one timed run

See bench/README.md ("threads.py") for what it measures.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import resource
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import run as suite  # noqa: E402  (run.py: machine info, CPU helpers, the child runner, paths)

FPS = 30
MODES = ("sequential", "threaded")
SAMPLE_S = 0.1  # the CPU sampler's period


# --------------------------------------------------------------------------
# the child: one timed run


def writer_frames(src: np.ndarray, k: int) -> np.ndarray:
    """Writer k's movie: the source frames shifted right by k/W of the width (other content)."""
    return np.ascontiguousarray(np.roll(src, k * src.shape[2] // 7, axis=2))


def _process_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)  # every thread: callers, encoders, muxers
    return r.ru_utime + r.ru_stime


class CpuSampler:
    """Samples this process's CPU use (cores) every SAMPLE_S seconds on its own thread."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        last_t, last_c = time.perf_counter(), time.process_time()
        while not self._stop.wait(SAMPLE_S):
            t, c = time.perf_counter(), time.process_time()
            self.samples.append((c - last_c) / max(t - last_t, 1e-9))
            last_t, last_c = t, c

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def child_main(mode: str, source: str, out_dir: str, writers: int, threads: int) -> None:
    import framesink

    src = np.load(source)
    movies = [writer_frames(src, k) for k in range(writers)]  # not timed
    paths = [str(Path(out_dir) / f"{mode}-{k}.mp4") for k in range(writers)]
    per_writer: list[dict[str, float]] = [{} for _ in range(writers)]

    def write_one(k: int, start: threading.Barrier | None = None) -> None:
        if start is not None:
            start.wait()
        t0, c0 = time.perf_counter(), time.thread_time()
        with framesink.Writer(paths[k], fps=FPS, threads=threads) as w:
            for frame in movies[k]:
                w.write(frame)
        per_writer[k] = {
            "seconds": time.perf_counter() - t0,
            # CPU of the calling thread alone: the Python side plus the frame
            # copy and conversion that write() does before it returns
            "caller_cpu_seconds": time.thread_time() - c0,
            "frames": w.close().frames,
        }

    def run() -> None:
        if mode == "sequential":
            for k in range(writers):
                write_one(k)
            return
        start = threading.Barrier(writers)
        pool = [threading.Thread(target=write_one, args=(k, start)) for k in range(writers)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()

    gc.collect()
    busy0, total0 = suite._cpu_ticks()
    cpu0, proc0 = _process_cpu(), time.process_time()
    t0 = time.perf_counter()
    sampler = CpuSampler()
    sampler.start()
    try:
        run()
    finally:
        sampler.stop()
    seconds = time.perf_counter() - t0
    cpu = _process_cpu() - cpu0
    proc = time.process_time() - proc0
    busy1, total1 = suite._cpu_ticks()
    hz = os.sysconf("SC_CLK_TCK")
    other = max(0.0, ((busy1 - busy0) / hz - cpu) / max((total1 - total0) / hz, 1e-9))
    samples = sampler.samples
    frames = sum(int(p.get("frames", 0)) for p in per_writer)
    print(
        json.dumps(
            {
                "mode": mode,
                "writers": writers,
                "threads_per_writer": threads,
                "frames": frames,
                "seconds": seconds,
                "cpu_seconds": cpu,  # getrusage(RUSAGE_SELF): user + system, all threads
                "process_time": proc,  # time.process_time(): the same clock, for a cross-check
                "cores": cpu / seconds,
                "peak_cores": max(samples, default=0.0),
                "above_one_core": sum(s > 1.0 for s in samples) / max(len(samples), 1),
                "samples": len(samples),
                "other_cpu": other,
                "caller_cpu_seconds": sum(p.get("caller_cpu_seconds", 0.0) for p in per_writer),
                "per_writer_seconds": [p.get("seconds") for p in per_writer],
                "movies": paths,
            }
        ),
        flush=True,
    )  # the last line of stdout


def prepare_main(path: str, n: int, h: int, w: int) -> None:
    import frames as gen  # /work/shared/bench/frames.py, on sys.path through run.py

    np.save(path, gen.smooth(n, h, w))
    print(json.dumps({"frames": n, "height": h, "width": w}))


def versions_main() -> None:
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        suite.versions_main()
    got = json.loads(buf.getvalue().strip().splitlines()[-1])
    keep = ("python", "numpy", "framesink", "framesink git", "Debian ffmpeg")
    print(json.dumps({k: got[k] for k in keep if k in got}))


# --------------------------------------------------------------------------
# the parent


def _child(args: list[str], timeout: float) -> tuple[dict[str, Any] | None, str]:
    return suite._child(args, timeout, str(Path(__file__).resolve()))


def check_movies(runs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Both modes' last movies: the same pixels, writer by writer, and every frame there."""
    seq, thr = runs["sequential"]["movies"], runs["threaded"]["movies"]
    same, frames = [], []
    for a, b in zip(seq, thr):
        ha, hb = suite.framemd5(a), suite.framemd5(b)
        same.append(ha == hb)
        frames.append(len(hb))
    return {"identical": all(same), "per_writer": same, "frames_decoded": frames}


def _med(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in runs))


def run_suite(args: argparse.Namespace) -> None:
    started = datetime.datetime.now()
    info = suite.machine_info()
    load_before = os.getloadavg()
    versions, err = _child(["--versions"], 300)
    versions = versions or {"error": err}
    workdir = suite.work_dir(args, "framesink-threads-")
    log = sys.stderr
    source = workdir / "frames.npy"
    h, w = args.size
    made, err = _child(["--prepare", str(source), str(args.frames), str(h), str(w)], args.timeout)
    if made is None:
        raise SystemExit(f"could not make the frames: {err}")

    results: dict[str, list[dict[str, Any]]] = {m: [] for m in MODES}
    errors: dict[str, list[str]] = {m: [] for m in MODES}
    last: dict[str, dict[str, Any]] = {}
    # reps outermost: a slow drift of the machine's load hits both modes alike
    for rep in range(args.reps):
        for mode in MODES:
            cargs = ["--child", mode, str(source), str(workdir), "--writers", str(args.writers)]
            cargs += ["--threads", str(args.threads)]
            load1 = os.getloadavg()[0]
            res, err = _child(cargs, args.timeout)
            if res is None:
                errors[mode].append(err)
                print(f"  [{rep + 1}/{args.reps}] {mode:10s} FAILED: {err}", file=log)
                continue
            res["load1_before"], res["rep"] = load1, rep
            results[mode].append(res)
            last[mode] = res
            print(
                f"  [{rep + 1}/{args.reps}] {mode:10s} {res['seconds']:7.2f} s  "
                f"{res['cores']:.2f} cores  other CPU {res['other_cpu']:.2f}  load {load1:.2f}",
                file=log,
            )
    check = check_movies(last) if len(last) == 2 and not args.no_check else None
    load_after = os.getloadavg()
    report = render_report(
        started, info, versions, load_before, load_after, results, errors, check, args
    )
    raw = {
        **suite.raw_header(started, info, versions, load_before, load_after, args.argv),
        "writers": args.writers,
        "frames_per_writer": args.frames,
        "size": f"{w}x{h}",
        "threads_per_writer": args.threads,
        "check": check,
        "runs": results,
        "errors": errors,
    }
    suite.write_report(args, suite.report_path(args, started, "-threads"), report, raw, workdir)


def render_report(
    started: datetime.datetime,
    info: dict[str, Any],
    versions: dict[str, Any],
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
    results: dict[str, list[dict[str, Any]]],
    errors: dict[str, list[str]],
    check: dict[str, Any] | None,
    args: argparse.Namespace,
) -> str:
    h, w = args.size
    out = [
        f"# framesink writers in Python threads, {started:%Y-%m-%d %H:%M}"
        + (" (quick)" if args.quick else ""),
        "",
        f"Generated by `{' '.join(['python3 bench/threads.py', *args.argv])}`.",
        (
            f"{args.writers} movies of {args.frames} frames of {w}x{h} (`frames.smooth`, "
            f"writer k's shifted right by k/7 of the width), each by its own "
            f"`framesink.Writer(path, fps={FPS}, threads={args.threads})` fed frame by frame "
            "from a uint8 RGB array in memory: written one after another on one thread "
            f"(sequential), then by {args.writers} `threading.Thread`s released together "
            f"(threaded). Median of {args.reps} run(s) per mode, each in a fresh process, "
            "[min-max] over runs; movies in /dev/shm."
        ),
        "",
        *suite.machine_lines(info, versions, load_before, load_after),
    ]
    out += [
        "",
        "## Results",
        "",
        (
            "| mode | seconds | [min-max] | fps | CPU s | cores (CPU s / s) | peak cores "
            "| samples > 1 core | caller threads' CPU s | other CPU | load1 before |"
        ),
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for mode in MODES:
        runs = results[mode]
        if not runs:
            out.append(f"| {mode} | FAILED | | | | | | | | | {'; '.join(errors[mode][-1:])} |")
            continue
        secs = [r["seconds"] for r in runs]
        out.append(
            f"| {mode} | {_med(runs, 'seconds'):.2f} | [{min(secs):.2f}-{max(secs):.2f}] "
            f"| {_med(runs, 'frames') / _med(runs, 'seconds'):.0f} "
            f"| {_med(runs, 'cpu_seconds'):.2f} | {_med(runs, 'cores'):.2f} "
            f"| {_med(runs, 'peak_cores'):.2f} | {100 * _med(runs, 'above_one_core'):.0f} % "
            f"| {_med(runs, 'caller_cpu_seconds'):.2f} | {max(r['other_cpu'] for r in runs):.2f} "
            f"| {_med(runs, 'load1_before'):.2f} |"
        )
    seq, thr = results["sequential"], results["threaded"]
    out += [""]
    if seq and thr:
        ratio = _med(seq, "seconds") / _med(thr, "seconds")
        per_rep = [s["seconds"] / t["seconds"] for s in seq for t in thr if s["rep"] == t["rep"]]
        cores = _med(thr, "cores")
        overlap = (
            f"- Overlap ratio (sequential wall / threaded wall, medians): **{ratio:.2f}x** "
            f"(per repetition: {', '.join(f'{x:.2f}' for x in per_rep)}); the most the "
            f"cores allow is about {info['usable cpus']} / (sequential cores "
            f"{_med(seq, 'cores'):.2f}) = {info['usable cpus'] / _med(seq, 'cores'):.2f}x."
        )
        use = (
            f"- CPU use while the threads run: {cores:.2f} cores on average "
            "(getrusage of the process over the threaded wall time): "
            f"{'more' if cores > 1.0 else 'not more'} than one core; sampled every "
            f"{SAMPLE_S:.1f} s, above one core in {100 * _med(thr, 'above_one_core'):.0f} % "
            f"of the samples (peak {_med(thr, 'peak_cores'):.2f})."
        )
        cpu = (
            f"- CPU seconds, threaded vs sequential: {_med(thr, 'cpu_seconds'):.2f} vs "
            f"{_med(seq, 'cpu_seconds'):.2f} (time.process_time agrees: "
            f"{_med(thr, 'process_time'):.2f} vs {_med(seq, 'process_time'):.2f})."
        )
        out += [overlap, use, cpu]
    if check is not None:
        out.append(
            f"- Same pixels (ffmpeg framemd5, each writer's threaded movie against its "
            f"sequential one): identical **{'yes' if check['identical'] else 'no'}** "
            f"(frames decoded: {', '.join(map(str, check['frames_decoded']))})."
        )
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size {text!r}: expected WIDTHxHEIGHT") from None
    if w < 16 or h < 16:
        raise argparse.ArgumentTypeError(f"size {text!r}: at least 16x16")
    return h, w


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        p = argparse.ArgumentParser(prog="threads.py --child")
        p.add_argument("--child", nargs=3, metavar=("MODE", "FRAMES.npy", "OUTDIR"), required=True)
        p.add_argument("--writers", type=int, default=4)
        p.add_argument("--threads", type=int, default=1)
        a = p.parse_args(argv)
        mode, source, out_dir = a.child
        if mode not in MODES:
            p.error(f"modes: {', '.join(MODES)}")
        child_main(mode, source, out_dir, a.writers, a.threads)
        return
    if argv[:1] == ["--prepare"]:
        prepare_main(argv[1], int(argv[2]), int(argv[3]), int(argv[4]))
        return
    if argv[:1] == ["--versions"]:
        versions_main()
        return

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--writers", type=int, default=4, help="movies, one Writer each (4)")
    p.add_argument("--frames", type=int, help="frames per movie (300; --quick: 30)")
    p.add_argument("--size", type=_size, help="WIDTHxHEIGHT (640x480; --quick: 320x240)")
    p.add_argument("--threads", type=int, default=1, help="encoder threads per Writer (1)")
    p.add_argument("--reps", type=int, help="runs per mode (default 3; --quick: 1)")
    p.add_argument("--quick", action="store_true", help="small sizes, report in bench/out/")
    p.add_argument("--no-check", action="store_true", help="skip the framemd5 check")
    p.add_argument("--output", help="report path (default bench/results/YYYY-MM-DD-threads.md)")
    p.add_argument("--out-dir", help="where movies go (default: a temporary dir in /dev/shm)")
    p.add_argument("--keep", action="store_true", help="keep the movies")
    p.add_argument("--timeout", type=float, default=1800, help="seconds per child (1800)")
    a = p.parse_args(argv)
    a.argv = argv
    if a.reps is None:
        a.reps = 1 if a.quick else 3
    if a.frames is None:
        a.frames = 30 if a.quick else 300
    if a.size is None:
        a.size = (240, 320) if a.quick else (480, 640)
    if a.reps < 1 or a.writers < 1 or a.frames < 1 or a.threads < 0:
        p.error("--reps, --writers and --frames must be >= 1, --threads >= 0")
    run_suite(a)


if __name__ == "__main__":
    main()
