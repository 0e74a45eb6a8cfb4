"""A long run: 100,000 frames of 320x240 through one framesink.Writer (H.264,
default settings) in a fresh process, its memory (VmRSS) sampled every 10,000
frames: it must not grow (less than 20 MB from frame 10,000 to 100,000), and
ffprobe must count every frame in the movie. Nothing here is timed.

    python3 crates/framesink-py/tests/test_long.py OUT.mp4   # the child alone: JSON on stdout
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

FRAMES = 100_000
EVERY = 10_000
H, W = 240, 320
MAX_GROWTH_MB = 20.0


def vm_rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def base_frames(n: int = 48) -> list[np.ndarray]:
    """n frames of moving sine gradients (smooth, like a plot), made once."""
    y = np.linspace(0.0, 1.0, H, dtype=np.float32)[:, None]
    x = np.linspace(0.0, 1.0, W, dtype=np.float32)[None, :]
    two_pi = np.float32(2.0 * np.pi)
    out = []
    for t in range(n):
        s = np.float32(t / n)
        rgb = np.empty((H, W, 3), np.float32)
        rgb[..., 0] = 0.5 + 0.4 * np.sin(two_pi * (1.5 * x + s))
        rgb[..., 1] = 0.5 + 0.4 * np.cos(two_pi * (y - s))
        rgb[..., 2] = 0.5 + 0.3 * np.sin(two_pi * (x + y + 2 * s))
        out.append((rgb * 255.0 + 0.5).astype(np.uint8))
    return out


def child(out: str) -> None:
    """Writes the movie, printing {frames, rss_kb: {frame: VmRSS}} as JSON."""
    import framesink

    base = base_frames()
    rss: dict[int, int] = {0: vm_rss_kb()}
    with framesink.Writer(out, fps=30) as w:
        for i in range(FRAMES):
            # the base loop, shifted by a few pixels each time round: cheap, not
            # periodic over the movie, never noise
            frame = base[i % len(base)]
            lap = i // len(base)
            if lap % 4:
                frame = np.roll(frame, 3 * (lap % 4), axis=1)
            w.write(frame)
            if (i + 1) % EVERY == 0:
                rss[i + 1] = vm_rss_kb()
    summary = w.close()
    rss[-1] = vm_rss_kb()  # after close
    print(json.dumps({"frames": summary.frames, "bytes": summary.bytes, "rss_kb": rss}))


def test_100000_frames_through_one_writer_do_not_grow_memory(tmp_path: Path) -> None:
    from _media import FFPROBE

    out = tmp_path / "long.mp4"
    done = subprocess.run(
        [sys.executable, __file__, str(out)],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["frames"] == FRAMES
    rss = {int(k): v / 1024 for k, v in result["rss_kb"].items()}
    series = ", ".join(f"{k}: {v:.1f}" for k, v in sorted(rss.items()) if k > 0)
    growth = max(rss[k] for k in range(EVERY, FRAMES + 1, EVERY)) - rss[EVERY]
    assert growth < MAX_GROWTH_MB, f"VmRSS grew {growth:.1f} MB after frame {EVERY} ({series})"

    counted = subprocess.run(
        [
            FFPROBE,
            "-v",
            "error",
            "-count_packets",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=codec_name,width,height,nb_frames,nb_read_packets",
            "-of",
            "json",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    s = json.loads(counted.stdout)["streams"][0]
    assert (s["codec_name"], s["width"], s["height"]) == ("h264", W, H)
    assert int(s["nb_read_packets"]) == FRAMES, s
    assert int(s["nb_frames"]) == FRAMES, s
    assert out.stat().st_size == result["bytes"]


if __name__ == "__main__":
    child(sys.argv[1])
