"""The release scripts refuse what they cannot build or check, by name.

scripts/check_asm.sh is run on build directories laid out as cargo lays them
(openh264-sys2's, rav1e's and rav1d's ``out`` directories), with and without each
architecture's assembly objects; scripts/wheel.sh and scripts/wheel_test.sh on
targets and wheels they do not support. Nothing here builds: the real builds
are checked by scripts/test.sh (x86_64) and the platform scripts.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPTS = ROOT / "scripts"
BASH = shutil.which("bash")

pytestmark = pytest.mark.skipif(
    BASH is None or sys.platform == "win32", reason="the scripts are bash, run on Linux here"
)

X86_OBJECTS = {
    "openh264-sys2": ["satd_sad.o", "mc_luma.o", "0f1e2d3c4b5a6978-welsEncoderExt.o"],
    "rav1e": ["librav1easm.a"],
    "rav1d": ["librav1dasm.a", "mc_avx2.o", "msac.o", "config.asm"],
}
ARM_OBJECTS = {
    "openh264-sys2": [
        "9a8b7c6d5e4f3a2b-pixel_aarch64_neon.o",
        "1a2b3c4d5e6f7a8b-mc_aarch64_neon.o",
    ],
    "rav1e": ["librav1e-aarch64.a"],
    "rav1d": ["librav1dasm.a", "4d3c2b1a09f8e7d6-mc.o", "5e4d3c2b1a09f8e7-msac.o", "config.h"],
}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    assert BASH is not None
    return subprocess.run(
        [BASH, *args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )


def lay_out(build: Path, objects: dict[str, list[str]]) -> None:
    for crate, names in objects.items():
        out = build / f"{crate}-0123456789abcdef" / "out"
        out.mkdir(parents=True)
        for name in names:
            (out / name).write_bytes(b"\x7fELF")


@pytest.mark.parametrize(("arch", "objects"), [("x86_64", X86_OBJECTS), ("aarch64", ARM_OBJECTS)])
def test_check_asm_accepts_each_architectures_objects(
    tmp_path: Path, arch: str, objects: dict[str, list[str]]
) -> None:
    lay_out(tmp_path, objects)
    r = run(str(SCRIPTS / "check_asm.sh"), arch, str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert f"{arch} objects of openh264-sys2, rav1e and rav1d present" in r.stdout


@pytest.mark.parametrize(
    ("arch", "objects", "missing"),
    [
        # nasm was missing: openh264-sys2 built its C only
        ("x86_64", {**X86_OBJECTS, "openh264-sys2": ["welsEncoderExt.o"]}, "satd_sad.o*"),
        # an x86_64 build's objects do not make an aarch64 one
        ("aarch64", X86_OBJECTS, "*pixel_aarch64_neon.o"),
        ("aarch64", {"openh264-sys2": ARM_OBJECTS["openh264-sys2"]}, "rav1e: *rav1e-aarch64.*"),
        # rav1d built without its "asm" feature: its build script wrote nothing
        ("x86_64", {**X86_OBJECTS, "rav1d": []}, "rav1d: *rav1dasm.*"),
        ("aarch64", {**ARM_OBJECTS, "rav1d": []}, "rav1d: *rav1dasm.*"),
        # no rav1d build at all (a build without the av1 feature)
        ("x86_64", {k: v for k, v in X86_OBJECTS.items() if k != "rav1d"}, "rav1d: *rav1dasm.* in"),
        # rav1d's x86_64 library does not make an aarch64 one
        ("aarch64", {**ARM_OBJECTS, "rav1d": X86_OBJECTS["rav1d"]}, "rav1d: *-mc.o"),
    ],
)
def test_check_asm_refuses_a_build_without_its_assembly(
    tmp_path: Path, arch: str, objects: dict[str, list[str]], missing: str
) -> None:
    lay_out(tmp_path, objects)
    r = run(str(SCRIPTS / "check_asm.sh"), arch, str(tmp_path))
    assert r.returncode == 1
    assert f"the {arch} build in {tmp_path} lost its codecs' assembly" in r.stderr
    assert missing in r.stderr
    assert (
        "Fix: install nasm" in r.stderr
        and "cargo clean -p openh264-sys2 -p rav1e -p rav1d" in r.stderr
    )


def test_check_asm_refuses_an_empty_build_directory(tmp_path: Path) -> None:
    r = run(str(SCRIPTS / "check_asm.sh"), "x86_64", str(tmp_path))
    assert r.returncode == 1
    assert "openh264-sys2: satd_sad.o* in" in r.stderr and "(no build)" in r.stderr


def test_check_asm_names_the_architectures_it_knows() -> None:
    r = run(str(SCRIPTS / "check_asm.sh"), "riscv64", "target/release/build")
    assert r.returncode == 2
    assert "unsupported architecture 'riscv64'; supported: x86_64, aarch64" in r.stderr


def test_wheel_sh_names_the_targets_it_supports() -> None:
    r = run(str(SCRIPTS / "wheel.sh"), "musllinux-x86_64")
    assert r.returncode == 2
    assert "unsupported target 'musllinux-x86_64'" in r.stderr
    for target in ("x86_64", "aarch64", "macos-arm64", "macos-x86_64", "windows-x86_64"):
        assert target in r.stderr


def test_wheel_sh_sends_the_windows_wheel_to_a_windows_machine() -> None:
    r = run(str(SCRIPTS / "wheel.sh"), "windows-x86_64")
    assert r.returncode == 2
    assert "built with MSVC on Windows" in r.stderr and "scripts/wine_cli.sh" in r.stderr


def test_wheel_test_sh_needs_a_wheel(tmp_path: Path) -> None:
    missing = tmp_path / "framesink-0.1.0-cp39-abi3-win_amd64.whl"
    r = run(str(SCRIPTS / "wheel_test.sh"), str(missing))
    assert r.returncode == 2
    assert f"no wheel at '{missing}'" in r.stderr
