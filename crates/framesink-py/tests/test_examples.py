"""The examples in examples/ run with no ffmpeg on PATH and write the movies they say.

The three run at once (in subprocesses), once for the module; each test then
checks one of them with ffprobe/ffmpeg.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from _media import decode_rgb, path_without, probe

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
SCRIPTS = ("a_funcanimation", "b_savefig_loop", "c_videosink")


@dataclass(frozen=True)
class Run:
    movie: Path
    returncode: int
    stdout: str
    stderr: str


def stripped_environment() -> dict[str, str]:
    """This environment with every PATH directory holding ffmpeg removed, python kept."""
    path = path_without("ffmpeg", "ffprobe")
    python_dir = os.path.dirname(sys.executable)
    if not (Path(python_dir) / "ffmpeg").exists():
        path = os.pathsep.join([python_dir, path])
    assert shutil.which("ffmpeg", path=path) is None
    assert shutil.which("ffprobe", path=path) is None
    env = dict(os.environ, PATH=path, MPLBACKEND="Agg")
    env.pop("PYTHONPATH", None)
    return env


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    workdir = tmp_path_factory.mktemp("examples")
    env = stripped_environment()
    # A first import of matplotlib builds its font cache and says so on stderr:
    # do that here, not in the examples, whose stderr must stay empty.
    import matplotlib.font_manager  # noqa: F401

    procs = {}
    for name in SCRIPTS:
        movie = workdir / f"{name}.mp4"
        procs[name] = (
            movie,
            subprocess.Popen(
                [sys.executable, str(EXAMPLES / f"{name}.py"), str(movie)],
                cwd=workdir,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
        )
    results = {}
    for name, (movie, proc) in procs.items():
        stdout, stderr = proc.communicate()
        results[name] = Run(movie, proc.returncode, stdout, stderr)
    yield results


def check_run(run: Run, frames: int) -> None:
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    lines = run.stdout.splitlines()
    assert len(lines) == 1, run.stdout  # one summary line, nothing else
    assert str(run.movie) in lines[0] and f"{frames} frames" in lines[0]
    assert str(run.movie.stat().st_size) in lines[0]


def test_examples_exist() -> None:
    for name in SCRIPTS:
        assert (EXAMPLES / f"{name}.py").is_file()


def test_a_funcanimation(runs: dict[str, Run]) -> None:
    run = runs["a_funcanimation"]
    check_run(run, 300)
    info = probe(run.movie)
    assert (info.width, info.height, info.frames) == (500, 500, 300)  # 5 in x 100 dpi
    assert info.r_frame_rate == "30/1"
    assert (info.codec_name, info.pix_fmt) == ("h264", "yuv420p")
    first = decode_rgb(run.movie, limit=1)[0].astype(int)
    # gray noise: the channels agree, and the picture is noisy
    assert np.abs(first[..., 0] - first[..., 2]).mean() < 4
    assert first[100:400, 100:400, 1].std() > 40


def test_b_savefig_loop(runs: dict[str, Run]) -> None:
    run = runs["b_savefig_loop"]
    check_run(run, 10)
    info = probe(run.movie)
    assert (info.width, info.height, info.frames) == (640, 480, 10)  # matplotlib's default
    assert info.r_frame_rate == "24/1"
    decoded = decode_rgb(run.movie, limit=2)
    assert not np.array_equal(decoded[0], decoded[1])  # new random data in each frame


def test_c_videosink(runs: dict[str, Run]) -> None:
    run = runs["c_videosink"]
    check_run(run, 60)
    info = probe(run.movie)
    assert (info.width, info.height, info.frames) == (320, 240, 60)
    assert info.r_frame_rate == "30/1"
    first = decode_rgb(run.movie, limit=1)[0].astype(int)
    # BGRA in, so red is the constant 128 and blue the horizontal ramp
    assert abs(np.median(first[..., 0]) - 128) <= 4
    row = first[120, 8:120, 2]
    assert np.corrcoef(row, np.arange(8, 120))[0, 1] > 0.99
