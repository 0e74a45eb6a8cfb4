"""framesink.Writer in a child process killed with SIGKILL at seeded random
moments: every file decodes up to its last fragment, to the same frames as a
finished encode, and loses at most the writer's bound of the frames accepted.

Run with ``-s`` to see every kill: frames accepted, decoded and lost.
"""

from __future__ import annotations

import json
import math
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from _media import FFMPEG, framemd5

FPS = 30
TESTS = Path(__file__).resolve().parent

# The child: frames cycling through 32 smooth pictures, each with its number
# drawn as 20 black/white 16x16 blocks along the bottom (no two alike); after
# each write() returns, the count goes to a side file (one 8-byte pwrite, so
# the parent reads the last count whatever moment the kill came at).
CHILD = """
import json, os, sys
sys.path.insert(0, sys.argv[5])
import numpy as np
import framesink
from _media import smooth_frames

path, options, count_path = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
limit = int(sys.argv[4])
base = smooth_frames(32, 240, 320)
bits = np.arange(320) // 16
fd = os.open(count_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
w = framesink.Writer(path, fps=30, **options)
t = 0
while limit < 0 or t < limit:
    frame = base[t % 32].copy()
    frame[224:] = np.where((t >> bits) & 1, 235, 16).astype(np.uint8)[None, :, None]
    w.write(frame)
    t += 1
    os.pwrite(fd, t.to_bytes(8, "little"), 0)
w.close()
"""


@dataclass(frozen=True)
class Case:
    name: str
    ext: str
    options: dict[str, Any]
    keyint: int  # frames per segment (GOP), G
    threads: int  # encoder threads, N
    held: int  # frames an encoder may hold beyond the bound
    seed: int
    kills: int = 5

    @property
    def fragment(self) -> int:
        """F: a GOP cut in equal fragments of at most half a second."""
        half_second = math.ceil(FPS / 2)
        return math.ceil(self.keyint / math.ceil(self.keyint / half_second))

    @property
    def bound(self) -> int:
        """Frames accepted but not yet in the file, at most: (N-1)(G-F) + F + N + 1."""
        n, g, f = self.threads, self.keyint, self.fragment
        return (n - 1) * (g - f) + f + n + 1


CORES = len(os.sched_getaffinity(0))
CASES = [
    Case("h264", "mp4", {}, 2 * FPS, CORES, 0, seed=11),
    Case("h264-keyint30", "mp4", {"keyframe_interval": 30}, 30, CORES, 0, seed=12),
    # One rav1e context; rav1e reorders groups of 4 frames and looks ahead
    # for keyframes: the first fragment (15 frames) comes out once 28 are in.
    Case("av1", "mp4", {"codec": "av1", "speed": 10}, 2 * FPS, 1, 13, seed=13),
    # Every GIF frame is its own segment and fragment.
    Case("gif", "gif", {}, 1, CORES, 0, seed=14),
]

# Known to exceed the bound with more than one encoder thread (not a looser
# assertion: the same check, expected to fail until the writer is fixed).
# VideoWriter lets the caller past the bound once `consumed >= index`, but
# `consumed` is the highest frame any encoder took (fetch_max): the encoder on
# the newest GOP being idle lets frames in while the other one still holds an
# older GOP that is not in the file. Measured on 2 cores: h264 lost up to 96
# (bound 63), keyint 30 up to 50 (bound 33), gif 5 (bound 4).
PARAMS = [pytest.param(c, id=c.name) for c in CASES]


def _spawn(case: Case, out: Path, count: Path, limit: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD,
            str(out),
            json.dumps(case.options),
            str(count),
            str(limit),
            str(TESTS),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _count(path: Path) -> int:
    data = path.read_bytes() if path.exists() else b""
    return int.from_bytes(data[:8], "little") if len(data) >= 8 else 0


def _trun_samples(moof: bytes) -> int:
    at = moof.index(b"trun")
    return int.from_bytes(moof[at + 8 : at + 12], "big")


def _whole_mp4(d: bytes) -> tuple[int, int]:
    """Bytes of whole top-level boxes up to the last whole mdat, and its frames."""
    at = end = frames = samples = 0
    while at + 8 <= len(d):
        size = int.from_bytes(d[at : at + 4], "big")
        if size < 8 or at + size > len(d):
            break
        kind = d[at + 4 : at + 8]
        if kind == b"moof":
            samples = _trun_samples(d[at : at + size])
        elif kind == b"mdat":
            frames, samples = frames + samples, 0
            end = at + size
        else:
            end = at + size
        at += size
    return end, frames


def _whole_gif(d: bytes) -> tuple[int, int]:
    """Bytes of a GIF up to the end of its last whole image, and its images."""

    def sub_blocks(at: int) -> int | None:
        while at < len(d):
            n = d[at]
            at += 1 + n
            if n == 0:
                return at if at <= len(d) else None
        return None

    def table(flags: int) -> int:
        return 3 << ((flags & 7) + 1) if flags & 0x80 else 0

    if len(d) < 13:
        return 0, 0
    at, end, images = 13 + table(d[10]), 0, 0
    while at < len(d):
        b = d[at]
        nxt = None
        if b == 0x21:
            nxt = sub_blocks(at + 2)
        elif b == 0x2C and at + 9 < len(d):
            nxt = sub_blocks(at + 10 + table(d[at + 9]) + 1)
        if nxt is None:
            break
        if b == 0x2C:
            images, end = images + 1, nxt
        at = nxt
    return end, images


def _ffmpeg_md5(path: Path) -> tuple[bool, list[str], str]:
    """ffmpeg's framemd5 of `path`: (exit ok, one md5 a frame, stderr)."""
    args = ["-map", "0:v:0", "-fps_mode", "passthrough", "-f", "framemd5", "-"]
    r = subprocess.run(
        [FFMPEG, "-nostdin", "-v", "error", "-i", str(path), *args],
        capture_output=True,
        check=False,
    )
    md5 = [
        line.rsplit(",", 1)[1].strip()
        for line in r.stdout.decode().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return r.returncode == 0, md5, r.stderr.decode(errors="replace")


@dataclass
class Kill:
    after_first: float  # seconds after the first frame was accepted
    accepted: int = 0
    decoded: int = 0  # frames of the whole fragments (GIF images)
    extra: int = 0  # frames ffmpeg showed beyond them, from a cut fragment
    tail: int = 0  # bytes after the last whole fragment
    md5: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _kill_once(case: Case, tmp: Path, i: int, after_first: float) -> Kill:
    out, count = tmp / f"{case.name}-{i}.{case.ext}", tmp / f"{case.name}-{i}.count"
    k = Kill(after_first)
    child = _spawn(case, out, count, -1)
    try:
        deadline = time.monotonic() + 30
        while _count(count) == 0:
            assert child.poll() is None, "the child exited before its first frame"
            assert time.monotonic() < deadline, "no frame accepted in 30 s"
            time.sleep(0.002)
        time.sleep(after_first)
    finally:
        child.send_signal(signal.SIGKILL)
        _, child_err = child.communicate()
    if child.returncode != -signal.SIGKILL:
        k.problems.append(f"not killed by SIGKILL: exit {child.returncode}: {child_err.decode()}")
    k.accepted = _count(count)
    data = out.read_bytes() if out.exists() else b""
    whole, k.decoded = (_whole_gif if case.ext == "gif" else _whole_mp4)(data)
    k.tail = len(data) - whole
    if k.decoded:
        # The whole fragments alone decode without a single message.
        prefix = out
        if k.tail:
            prefix = tmp / f"{case.name}-{i}-whole.{case.ext}"
            prefix.write_bytes(data[:whole])
        ok, k.md5, err = _ffmpeg_md5(prefix)
        if not ok or err or len(k.md5) != k.decoded:
            k.problems.append(
                f"the {k.decoded} frames of whole fragments: ffmpeg ok {ok}, "
                f"{len(k.md5)} frames, stderr:\n{err}"
            )
        # The file as left: a cut fragment at its end may draw messages about
        # that fragment, but ffmpeg must still succeed with the same frames.
        if k.tail:
            ok, md5, err = _ffmpeg_md5(out)
            same = md5[: len(k.md5)] == k.md5
            if not ok or not same:
                k.problems.append(
                    f"the file as left ({k.tail} bytes after the last whole fragment): "
                    f"ffmpeg ok {ok}, {len(md5)} frames, the same first {len(k.md5)}: "
                    f"{same}, stderr:\n{err}"
                )
            k.extra = max(0, len(md5) - k.decoded)
    lost = k.accepted - k.decoded
    if lost > case.bound + case.held:
        k.problems.append(
            f"lost {lost} of {k.accepted} frames accepted, more than bound {case.bound}"
            f" + {case.held} held by the encoder"
        )
    return k


def _reference(case: Case, tmp: Path, n: int) -> list[str]:
    """framemd5 of frames 0..n written to the end (the writer closed)."""
    out = tmp / f"{case.name}-reference.{case.ext}"
    child = _spawn(case, out, tmp / f"{case.name}-reference.count", n)
    _, err = child.communicate()
    assert child.returncode == 0, err.decode(errors="replace")
    return framemd5(out)


@pytest.mark.parametrize("case", PARAMS)
def test_a_killed_writer_keeps_all_but_the_bound(case: Case, tmp_path: Path) -> None:
    rng = random.Random(case.seed)
    kills = [_kill_once(case, tmp_path, i, rng.uniform(0.2, 3.0)) for i in range(case.kills)]
    # Whole GOPs past the longest prefix, so the reference encodes every GOP
    # seen as the killed runs did (not as the end of a stream).
    longest = max(k.decoded for k in kills)
    want = _reference(case, tmp_path, (longest // case.keyint + 2) * case.keyint)
    failed = []
    for i, k in enumerate(kills):
        lost = k.accepted - k.decoded
        print(
            f"kill {case.name:<14} #{i} {k.after_first * 1000:4.0f} ms after the first frame: "
            f"accepted {k.accepted:4}, decoded {k.decoded:4} (+{k.extra} from a cut fragment, "
            f"{k.tail} bytes), lost {lost:3} = {lost / FPS:.2f} s "
            f"(bound {case.bound} + {case.held})"
        )
        problems = list(k.problems)
        if k.md5 != want[: len(k.md5)]:
            first = next(j for j, (a, b) in enumerate(zip(k.md5, want)) if a != b)
            problems.append(f"decoded frame {first} differs from the finished encode")
        if problems:
            failed.append(
                f"{case.name} kill #{i} {k.after_first:.3f} s after the first frame "
                f"(seed {case.seed}; files in {tmp_path}):\n  " + "\n  ".join(problems)
            )
    assert not failed, "\n".join(failed)
