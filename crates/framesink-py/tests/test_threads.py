"""Writers in Python threads: eight at once each decode (ffmpeg framemd5) to
exactly the movie written alone, and two threads sharing one Writer get
every frame in (or a clear error, never a hang)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from collections import Counter
from pathlib import Path
from typing import Any, Callable

import framesink
import numpy as np
import pytest
from _media import framemd5, probe, smooth_frames

N, H, W = 60, 120, 160
TESTS = Path(__file__).resolve().parent

# (file name, options, codec ffprobe names, by Writer (True) or by write (False))
JOBS: list[tuple[str, dict[str, Any], str, bool]] = [
    ("0.mp4", {}, "h264", True),
    ("1.gif", {}, "gif", False),
    ("2.png", {}, "apng", True),
    ("3.mp4", {"codec": "av1", "speed": 10}, "av1", False),
    ("4.mp4", {"threads": 1}, "h264", False),
    ("5.gif", {"dither": True}, "gif", True),
    ("6.apng", {}, "apng", False),
    ("7.mp4", {"keyframe_interval": 10, "quality": 70}, "h264", True),
]


def _write(path: Path, frames: np.ndarray, options: dict[str, Any], streaming: bool) -> int:
    """Writes the movie frame by frame through a Writer, or whole through write."""
    if streaming:
        with framesink.Writer(path, fps=30, **options) as w:
            for frame in frames:
                w.write(frame)
        return w.close().frames
    return framesink.write(path, frames, fps=30, **options).frames


def _run_threads(targets: list[Callable[[], None]]) -> None:
    """Runs each target in its own thread, all released together; re-raises the first error."""
    start = threading.Barrier(len(targets))
    errors: list[BaseException] = []

    def run(target: Callable[[], None]) -> None:
        try:
            start.wait()
            target()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=run, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
        assert not t.is_alive(), "a writer thread did not finish"
    if errors:
        raise errors[0]


def test_eight_writers_in_eight_threads_give_the_movies_each_gives_alone(tmp_path: Path) -> None:
    content = [smooth_frames(N, H, W, seed=k) for k in range(len(JOBS))]
    for k, (name, options, _, streaming) in enumerate(JOBS):
        assert _write(tmp_path / f"alone-{name}", content[k], options, streaming) == N

    counts: dict[int, int] = {}

    def job(k: int) -> Callable[[], None]:
        name, options, _, streaming = JOBS[k]

        def target() -> None:
            counts[k] = _write(tmp_path / f"together-{name}", content[k], options, streaming)

        return target

    _run_threads([job(k) for k in range(len(JOBS))])

    seen = []
    for k, (name, _, codec, _) in enumerate(JOBS):
        assert counts[k] == N, name
        together = tmp_path / f"together-{name}"
        info = probe(together)
        assert (info.codec_name, info.frames, info.width, info.height) == (codec, N, W, H), name
        alone = framemd5(tmp_path / f"alone-{name}")
        assert len(alone) == N, name
        assert framemd5(together) == alone, f"{name}: written beside seven others, other pixels"
        seen.append(alone)
    for i in range(len(seen)):
        for j in range(i + 1, len(seen)):
            assert seen[i] != seen[j], f"writers {i} and {j} decoded alike"


# One Writer, two threads. Run in a child process: a hang must fail the test,
# not the test run; faulthandler prints every thread's stack and ends it.
SHARED_CHILD = textwrap.dedent(
    """
    import faulthandler, json, sys, threading
    sys.path.insert(0, sys.argv[1])
    import framesink
    from _media import smooth_frames

    faulthandler.dump_traceback_later(float(sys.argv[5]), exit=True)
    scenario, out, n = sys.argv[2], sys.argv[3], int(sys.argv[4])
    frames = [smooth_frames(n, 120, 160, seed=s) for s in (1, 2)]
    w = framesink.Writer(out, fps=30, keyframe_interval=1)
    start = threading.Barrier(2)
    errors, seen = [], []
    done = threading.Event()

    def feed(k):
        try:
            start.wait()
            for f in frames[k]:
                w.write(f)
        except Exception as e:
            errors.append(f"{type(e).__module__}.{type(e).__qualname__}: {e}")

    def watch():  # a progress display polling the count
        start.wait()
        while not done.is_set():
            seen.append(w.frames)

    if scenario == "two_writers":
        threads = [threading.Thread(target=feed, args=(k,)) for k in (0, 1)]
    else:
        threads = [threading.Thread(target=feed, args=(0,)), threading.Thread(target=watch)]
    for t in threads:
        t.start()
    threads[0].join()
    done.set()
    for t in threads:
        t.join()
    summary = w.close()
    seen = [min(seen or [0]), max(seen or [0])]
    print(json.dumps({"frames": summary.frames, "errors": errors, "seen": seen}))
    """
)

# Found by these tests (framesink-py/src/lib.rs, NativeWriter): `write` locks the
# writer's Mutex while holding the GIL, then releases the GIL (py.detach) for
# push_frame while still holding the Mutex. A second thread calling `write` or
# `frames` takes the GIL and blocks on the Mutex; the first cannot get the GIL back
# when push_frame returns: a deadlock, every time (gdb: one thread in
# PyEval_RestoreThread/take_gil under detach, the other in Mutex::lock_contended).
WATCHDOG_S = 15.0  # a hundred times what 120 small frames take on this machine


def _shared_writer(tmp_path: Path, scenario: str, n: int) -> tuple[Path, dict[str, Any]]:
    out = tmp_path / f"{scenario}.mp4"
    args = [str(TESTS), scenario, str(out), str(n), str(WATCHDOG_S)]
    child = subprocess.run(
        [sys.executable, "-c", SHARED_CHILD, *args],
        capture_output=True,
        text=True,
        timeout=WATCHDOG_S + 60,
        check=False,
    )
    assert child.returncode == 0, (
        f"one Writer, two threads ({scenario}): the child exited {child.returncode} "
        f"(a hang ends it after {WATCHDOG_S:.0f} s, with every thread's stack):\n"
        f"{child.stderr[-4000:]}"
    )
    result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    assert result["errors"] == [], result["errors"]
    return out, result


def test_two_threads_writing_into_one_writer_get_every_frame_in(tmp_path: Path) -> None:
    n = 60
    out, result = _shared_writer(tmp_path, "two_writers", n)
    assert result["frames"] == 2 * n
    assert probe(out).frames == 2 * n

    # Every frame a keyframe: each decodes alone, whatever came before it, so
    # the movie holds the same pictures as both threads' frames written in turn.
    ref = tmp_path / "ref.mp4"
    framesink.write(
        ref,
        np.concatenate([smooth_frames(n, H, W, seed=s) for s in (1, 2)]),
        fps=30,
        keyframe_interval=1,
    )
    want = framemd5(ref)
    got = framemd5(out)
    assert Counter(got) == Counter(want), "the shared writer's frames are not both threads' frames"
    # ... and each thread's frames in the order that thread wrote them.
    for part in (want[:n], want[n:]):
        order = {md5: i for i, md5 in enumerate(part)}
        assert [order[m] for m in got if m in order] == list(range(n))


def test_a_thread_reading_frames_while_another_writes_does_not_stop_it(tmp_path: Path) -> None:
    n = 60
    out, result = _shared_writer(tmp_path, "writer_and_watcher", n)
    assert result["frames"] == n
    lo, hi = result["seen"]
    assert 0 <= lo <= hi <= n
    assert probe(out).frames == n


@pytest.fixture(autouse=True)
def _no_leftover_threads() -> Any:
    before = set(threading.enumerate())
    yield
    extra = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not extra, f"threads left running: {extra}"
