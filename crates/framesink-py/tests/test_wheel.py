"""The built wheel works where there is no Rust, nasm or ffmpeg.

The wheel of this version in dist/ (``bash scripts/wheel.sh`` builds it) is
installed into a fresh venv with numpy and matplotlib from PyPI (binary wheels
only: nothing may be compiled). The venv then runs the three recipes in
examples/, a matplotlib ``anim.save(..., writer="framesink")`` (MP4 and GIF),
an AV1 ``framesink.write`` and the ``framesink`` command, with a PATH of the
venv's bin directory alone: no cargo, rustc, nasm, ffmpeg or ffprobe. The
movies are checked here, outside the venv, with Debian's ffprobe and ffmpeg.

No wheel: the tests skip, saying how to build it; with
FRAMESINK_REQUIRE_WHEEL=1 (scripts/test.sh) they fail instead.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from _media import FFMPEG, probe

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"
DIST = ROOT / "dist"
PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
HIDDEN_TOOLS = ("cargo", "rustc", "nasm", "ffmpeg", "ffprobe")
SCRIPTS = ("a_funcanimation", "b_savefig_loop", "c_videosink")

# Run inside the venv: where framesink comes from, and what PATH offers.
CHECK = """
import json, shutil, sys, sysconfig
import framesink, framesink._framesink
print(json.dumps({
    "framesink": framesink.__file__,
    "native": framesink._framesink.__file__,
    "version": framesink.__version__,
    "purelib": sysconfig.get_paths()["purelib"],
    "platlib": sysconfig.get_paths()["platlib"],
    "prefix": sys.prefix,
    "sys_path": sys.path,
    "which": {tool: shutil.which(tool) for tool in HIDDEN_TOOLS},
}))
""".replace("HIDDEN_TOOLS", repr(HIDDEN_TOOLS))

# Run inside the venv: matplotlib's own anim.save with writer="framesink",
# to an MP4 and to a GIF, and an AV1 movie from an array.
SAVE = """
import framesink
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation

fig, ax = plt.subplots(figsize=(3.2, 2.4), dpi=100)
x = np.linspace(0, 2 * np.pi, 200)
(line,) = ax.plot(x, np.sin(x))

def update(n):
    line.set_ydata(np.sin(x + n / 5))
    return [line]

anim = animation.FuncAnimation(fig, update, frames=48, interval=40)
anim.save("anim.mp4", writer="framesink", fps=25, dpi=100)
anim.save("anim.gif", writer="framesink", fps=25, dpi=100)
plt.close(fig)
frames = np.random.default_rng(0).random((12, 64, 96))
framesink.write("av1.mp4", frames, fps=12, codec="av1")
"""


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class Venv:
    workdir: Path
    check: dict[str, Any]
    runs: dict[str, Run]
    path: str


def project_version() -> str:
    match = re.search(r'^version = "([^"]+)"', PYPROJECT.read_text(), re.MULTILINE)
    assert match, f"no version in {PYPROJECT}"
    return match.group(1)


def find_wheel() -> Path:
    """The wheel to test: $FRAMESINK_WHEEL (scripts/wheel_test.sh sets it), else this
    platform's wheel of this version in dist/."""
    given = os.environ.get("FRAMESINK_WHEEL")
    if given:
        return Path(given)
    version = project_version()
    wheels = sorted(DIST.glob(f"framesink-{version}-cp39-abi3-*{platform_tag()}.whl"))
    if len(wheels) == 1:
        return wheels[0]
    message = (
        f"no {platform_tag()} wheel of framesink {version} in {DIST} "
        f"(found {[w.name for w in wheels]}): run `bash scripts/wheel.sh`"
    )
    if os.environ.get("FRAMESINK_REQUIRE_WHEEL") == "1":
        pytest.fail(message + " (FRAMESINK_REQUIRE_WHEEL=1)")
    pytest.skip(message)


def platform_tag() -> str:
    """The end of this machine's wheel tag: manylinux_2_17_x86_64, win_amd64, macosx_..."""
    machine = platform.machine().lower()
    if sys.platform == "win32":
        return "win_amd64"
    if sys.platform == "darwin":
        return f"macosx_*_{'arm64' if machine in ('arm64', 'aarch64') else 'x86_64'}"
    return f"manylinux_2_17_{'aarch64' if machine in ('arm64', 'aarch64') else 'x86_64'}"


def run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> Run:
    proc = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Venv]:
    wheel = find_wheel()
    base = tmp_path_factory.mktemp("wheel")
    prefix = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(prefix)], check=True)
    scripts = prefix / ("Scripts" if sys.platform == "win32" else "bin")
    python = str(scripts / "python")
    # The installation may use the network and pip's cache; binary wheels only,
    # so that nothing (framesink above all) can be built from source here.
    install = subprocess.run(
        [
            python,
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "--only-binary=:all:",
            str(wheel),
            "numpy",
            "matplotlib",
        ],
        cwd=base,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert install.returncode == 0, install.stdout + install.stderr

    # From here on: the venv's bin directory and nothing else on PATH, a clean
    # environment (no PYTHONPATH, no user configuration).
    path = str(scripts)
    for tool in HIDDEN_TOOLS:
        assert shutil.which(tool, path=path) is None, f"{tool} is on the venv's PATH"
    home = base / "home"
    home.mkdir()
    env = {
        "PATH": path,
        "HOME": str(home),
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(home / "mpl"),
        "LC_ALL": "C.UTF-8",
    }
    if sys.platform == "win32":  # Python's own start-up needs it there
        env["SYSTEMROOT"] = os.environ["SYSTEMROOT"]
    workdir = base / "out"
    workdir.mkdir()

    check = run([python, "-c", CHECK], workdir, env)
    assert check.returncode == 0, check.stderr
    # matplotlib builds its font cache on first import and says so on stderr:
    # do it here, not in the examples, whose stderr must stay empty.
    warm = run([python, "-c", "import matplotlib.font_manager"], workdir, env)
    assert warm.returncode == 0, warm.stderr

    (workdir / "frames.raw").write_bytes(bytes(range(64)) * (48 * 10))  # 10 frames, 64x48 gray
    (workdir / "save.py").write_text(SAVE)
    commands = {name: [python, str(EXAMPLES / f"{name}.py"), f"{name}.mp4"] for name in SCRIPTS}
    commands["save"] = [python, "save.py"]
    commands["cli"] = [
        str(scripts / "framesink"),
        "encode",
        "cli.mp4",
        "--input",
        "frames.raw",
        "--size",
        "64x48",
        "--pix-fmt",
        "gray",
        "--fps",
        "10",
    ]
    procs = {
        name: subprocess.Popen(
            args,
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, args in commands.items()
    }
    runs = {}
    for name, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=900)
        runs[name] = Run(proc.returncode, stdout, stderr)

    # Reported, never asserted on: how long `import framesink` takes here.
    timed = run([python, "-X", "importtime", "-c", "import framesink"], workdir, env)
    assert timed.returncode == 0, timed.stderr
    for line in timed.stderr.splitlines():
        if line.rstrip().endswith("| framesink"):
            print(f"\nimport framesink in the fresh venv (-X importtime, us): {line.strip()}")

    yield Venv(workdir, json.loads(check.stdout), runs, path)


def decodes_cleanly(movie: Path) -> None:
    """ffmpeg decodes every frame and has nothing to say."""
    proc = subprocess.run(
        [FFMPEG, "-v", "error", "-i", str(movie), "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr


def check_run(v: Venv, name: str) -> None:
    r = v.runs[name]
    assert r.returncode == 0, r.stderr
    assert r.stderr == "", r.stderr


def test_framesink_comes_from_the_wheel(venv: Venv) -> None:
    check = venv.check
    site = {Path(check["purelib"]), Path(check["platlib"])}
    for key in ("framesink", "native"):
        module = Path(check[key])
        assert any(d in module.parents for d in site), f"{key}: {module} is not in {site}"
        assert ROOT not in module.parents, f"{key}: {module} is in the source tree"
    native = "_framesink.pyd" if sys.platform == "win32" else "_framesink.abi3.so"
    assert Path(check["native"]).name == native
    assert check["version"] == project_version()
    assert Path(check["prefix"]).parent == venv.workdir.parent
    assert not any(p.startswith(str(ROOT)) for p in check["sys_path"]), check["sys_path"]


def test_no_rust_nasm_or_ffmpeg_in_the_venv(venv: Venv) -> None:
    assert venv.check["which"] == dict.fromkeys(HIDDEN_TOOLS)
    assert os.listdir(venv.path)  # the venv's bin: python, pip, framesink
    for tool in HIDDEN_TOOLS:
        assert shutil.which(tool, path=venv.path) is None


@pytest.mark.parametrize(
    ("script", "size", "frames", "rate"),
    [
        ("a_funcanimation", (500, 500), 300, "30/1"),
        ("b_savefig_loop", (640, 480), 10, "24/1"),
        ("c_videosink", (320, 240), 60, "30/1"),
    ],
)
def test_an_example(venv: Venv, script: str, size: tuple[int, int], frames: int, rate: str) -> None:
    check_run(venv, script)
    movie = venv.workdir / f"{script}.mp4"
    assert f"{frames} frames" in venv.runs[script].stdout
    info = probe(movie)
    assert (info.codec_name, info.pix_fmt) == ("h264", "yuv420p")
    assert (info.width, info.height, info.frames) == (*size, frames)
    assert info.r_frame_rate == rate
    decodes_cleanly(movie)


def test_anim_save_mp4_and_gif(venv: Venv) -> None:
    check_run(venv, "save")
    mp4 = probe(venv.workdir / "anim.mp4")
    assert (mp4.codec_name, mp4.pix_fmt, mp4.r_frame_rate) == ("h264", "yuv420p", "25/1")
    assert (mp4.width, mp4.height, mp4.frames) == (320, 240, 48)
    decodes_cleanly(venv.workdir / "anim.mp4")
    gif = probe(venv.workdir / "anim.gif")
    assert gif.codec_name == "gif"
    assert (gif.width, gif.height, gif.frames) == (320, 240, 48)
    decodes_cleanly(venv.workdir / "anim.gif")


def test_av1(venv: Venv) -> None:
    check_run(venv, "save")
    info = probe(venv.workdir / "av1.mp4")
    assert (info.codec_name, info.pix_fmt, info.r_frame_rate) == ("av1", "yuv420p", "12/1")
    assert (info.width, info.height, info.frames) == (96, 64, 12)
    decodes_cleanly(venv.workdir / "av1.mp4")


def test_command_line(venv: Venv) -> None:
    r = venv.runs["cli"]
    assert r.returncode == 0, r.stderr
    info = probe(venv.workdir / "cli.mp4")
    assert (info.codec_name, info.width, info.height, info.frames) == ("h264", 64, 48, 10)
    decodes_cleanly(venv.workdir / "cli.mp4")
