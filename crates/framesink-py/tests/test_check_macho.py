"""scripts/check_macho.py, on real Mach-O files made here by zig's cross-compiler.

``python -m ziglang cc -target aarch64-macos.11.0 -shared`` (PyPI's ``ziglang``) links small
macOS dylibs on Linux; they are wrapped into fake wheels named like framesink's. Without the
ziglang module the tests skip (``pip install ziglang``). A cold zig cache needs about 20 s per
target the first time; afterwards each link takes a fraction of a second.
"""

from __future__ import annotations

import contextlib
import importlib.util
import random
import re
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "check_macho.py"
LIBCXX = "/usr/lib/libc++.1.dylib"
LIBPYTHON = "/Library/Frameworks/Python.framework/Versions/3.11/lib/libpython3.11.dylib"
HOMEBREW = "/opt/homebrew/opt/zstd/lib/libzstd.1.dylib"
ANSWER_C = "int framesink_answer(void) { return 42; }\n"
USES_EXTRA_C = "int extra_a(void);\nint framesink_answer(void) { return extra_a(); }\n"
USES_TWO_C = (
    "int extra_a(void);\nint extra_b(void);\n"
    "int framesink_answer(void) { return extra_a() + extra_b(); }\n"
)


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_macho", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_macho"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


cm = _load_script()


class Zig:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def build(self, name: str, target: str, source: str, *args: str) -> Path:
        c_file = self.directory / f"{name}.c"
        c_file.write_text(source)
        output = self.directory / f"{name}.dylib"
        command = [sys.executable, "-m", "ziglang", "cc", "-target", target, "-shared"]
        subprocess.run(
            [*command, "-o", str(output), str(c_file), *args],
            check=True,
            capture_output=True,
            timeout=300,
            cwd=self.directory,
        )
        return output

    def stub(self, name: str, install_name: str, symbol: str) -> Path:
        """A dylib whose install name (what users of it load) is ``install_name``."""
        source = f"int {symbol}(void) {{ return 1; }}\n"
        return self.build(name, "aarch64-macos.11.0", source, f"-Wl,-install_name,{install_name}")


@pytest.fixture(scope="module")
def dylibs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if importlib.util.find_spec("ziglang") is None:
        pytest.skip("the ziglang module is not installed (pip install ziglang): no macOS linker")
    zig = Zig(tmp_path_factory.mktemp("zig"))
    libcxx = zig.stub("libcxxstub", LIBCXX, "extra_a")
    libpython = zig.stub("libpythonstub", LIBPYTHON, "extra_a")
    homebrew = zig.stub("libbrewstub", HOMEBREW, "extra_b")
    return {
        "arm64": zig.build("arm64", "aarch64-macos.11.0", ANSWER_C),
        "arm64_13": zig.build("arm64_13", "aarch64-macos.13.0", ANSWER_C),
        "x86_64": zig.build("x86_64", "x86_64-macos.10.12", ANSWER_C),
        "libcxx": zig.build("libcxx", "aarch64-macos.11.0", USES_EXTRA_C, str(libcxx)),
        "weak_libcxx": zig.build(
            "weak_libcxx",
            "aarch64-macos.11.0",
            USES_EXTRA_C,
            f"-L{libcxx.parent}",
            "-weak-lcxxstub",
        ),
        "python_brew": zig.build(
            "python_brew", "aarch64-macos.11.0", USES_TWO_C, str(libpython), str(homebrew)
        ),
    }


def make_wheel(
    directory: Path,
    binary: bytes,
    platform: str = "macosx_11_0_arm64",
    wheel_platform: str | None = None,
    extra: dict[str, bytes] | None = None,
) -> Path:
    """A wheel like framesink's: the extension module and a WHEEL file with its tag."""
    path = directory / f"framesink-0.1.0-cp39-abi3-{platform}.whl"
    wheel_file = (
        "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: false\n"
        f"Tag: cp39-abi3-{wheel_platform or platform}\n"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("framesink/__init__.py", "")
        archive.writestr("framesink/_framesink.abi3.so", binary)
        archive.writestr("framesink-0.1.0.dist-info/WHEEL", wheel_file)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def make_fat(*thins: bytes) -> bytes:
    """A universal binary: fat header, fat_arch entries, slices at 16 KiB boundaries."""
    align = 14
    out = bytearray(struct.pack(">II", cm.FAT_MAGIC, len(thins)))
    offset = 1 << align
    placed: list[tuple[int, bytes]] = []
    for thin in thins:
        cputype, cpusubtype = struct.unpack_from("<ii", thin, 4)
        out += struct.pack(">iiIII", cputype, cpusubtype, offset, len(thin), align)
        placed.append((offset, thin))
        offset += -(-len(thin) >> align) << align
    for start, thin in placed:
        out += bytes(start - len(out))
        out += thin
    return bytes(out)


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = cm.main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    assert isinstance(code, int)
    return code, captured.out, captured.err


def failed_checks(err: str) -> list[str]:
    return re.findall(r"^  \[(\w+)\]", err, flags=re.MULTILINE)


def test_good_arm64_wheel_passes(
    dylibs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = dylibs["arm64"].read_bytes()
    (item,) = cm.parse_macho(data)
    assert (item.arch, item.minos, item.minos_source) == ("arm64", (11, 0, 0), "LC_BUILD_VERSION")
    assert item.libraries == [("LC_LOAD_DYLIB", "/usr/lib/libSystem.B.dylib")]
    # zig's linker signs arm64 output ad hoc, as Apple's ld does.
    assert item.signature.adhoc and item.signature.linker_signed
    assert item.signature.pages > 1 and item.signature.bad_pages == []
    assert item.signature.hash_name == "SHA-256"

    code, out, err = run(capsys, make_wheel(tmp_path, data), "--arch", "arm64")
    assert (code, err) == (0, "")
    assert "framesink/_framesink.abi3.so (thin" in out
    assert "minos:     11.0 (LC_BUILD_VERSION)" in out
    assert "tag:       11.0 (macosx_11_0_arm64)" in out
    assert "libraries: /usr/lib/libSystem.B.dylib" in out
    assert "signature: ad-hoc, linker-signed (CodeDirectory flags 0x20002" in out
    assert out.rstrip().endswith("OK: every check passed")


def test_extra_library_fails_naming_it(
    dylibs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, command in (("libcxx", "LC_LOAD_DYLIB"), ("weak_libcxx", "LC_LOAD_WEAK_DYLIB")):
        wheel = make_wheel(tmp_path, dylibs[name].read_bytes())
        code, out, err = run(capsys, wheel)
        assert code == 1
        assert failed_checks(err) == ["libraries"]
        assert f"{command} {LIBCXX}: not allowed; allowed: /usr/lib/libSystem.B.dylib" in err
        assert f"libraries: {LIBCXX}, /usr/lib/libSystem.B.dylib" in out
        # --allow-lib takes an install name, or a file name in any directory.
        assert run(capsys, wheel, "--allow-lib", LIBCXX)[0] == 0
        assert run(capsys, wheel, "--allow-lib", "libc++.1.dylib")[0] == 0
        assert run(capsys, wheel, "--allow-lib", "/opt/libc++.1.dylib")[0] == 1


def test_libpython_and_homebrew_are_refused_even_when_allowed(
    dylibs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wheel = make_wheel(tmp_path, dylibs["python_brew"].read_bytes())
    code, _, err = run(capsys, wheel, "--allow-lib", LIBPYTHON, "--allow-lib", HOMEBREW)
    assert code == 1
    assert failed_checks(err) == ["libraries", "libraries"]
    assert f"LC_LOAD_DYLIB {LIBPYTHON}: libpython: an extension module must not link it" in err
    assert f"LC_LOAD_DYLIB {HOMEBREW}: under /opt/homebrew" in err
    for name, refused in (
        ("@rpath/libfoo.dylib", True),
        ("/usr/local/lib/libfoo.dylib", True),
        ("/Library/Frameworks/Python.framework/Versions/3.9/Python", True),
        ("/usr/lib/libpython2.7.dylib", True),
        ("/usr/lib/libSystem.B.dylib", False),
        ("/usr/lib/libiconv.2.dylib", False),
    ):
        assert bool(cm.library_problem(name, list(cm.ALLOWED_LIBS))) == refused, name


def test_wrong_arch_fails(
    dylibs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An x86_64 binary in a wheel tagged arm64.
    x86 = dylibs["x86_64"].read_bytes()
    code, _, err = run(capsys, make_wheel(tmp_path, x86), "--allow-unsigned-x86")
    assert code == 1
    assert failed_checks(err) == ["arch", "arch"]
    assert "[x86_64]: is x86_64, allowed: arm64" in err
    assert "no arm64 slice (has x86_64)" in err

    # --arch x86_64 on an arm64 wheel: the binary and the tag are both wrong.
    arm = make_wheel(tmp_path, dylibs["arm64"].read_bytes())
    code, _, err = run(capsys, arm, "--arch", "x86_64")
    assert code == 1
    assert sorted(failed_checks(err)) == ["arch", "arch", "tag", "tag"]
    assert "macosx_11_0_arm64 does not name x86_64" in err
    assert "is arm64, allowed: x86_64" in err

    # A bare dylib: --arch alone says what it must be.
    assert run(capsys, dylibs["arm64"], "--arch", "arm64")[0] == 0
    code, _, err = run(capsys, dylibs["arm64"], "--arch", "x86_64")
    assert code == 1 and "is arm64, allowed: x86_64" in err


def test_unsigned_x86_64_needs_the_flag(
    dylibs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = dylibs["x86_64"].read_bytes()
    (item,) = cm.parse_macho(data)
    # zig signs only arm64 output (Apple's ld does the same by default).
    assert item.signature is None
    assert (item.minos, item.minos_source) == ((10, 12, 0), "LC_VERSION_MIN_MACOSX")
    wheel = make_wheel(tmp_path, data, "macosx_10_12_x86_64")
    code, out, err = run(capsys, wheel, "--arch", "x86_64")
    assert code == 1
    assert failed_checks(err) == ["signature"]
    assert "unsigned (no LC_CODE_SIGNATURE); --allow-unsigned-x86 accepts it" in err
    assert "minos:     10.12 (LC_VERSION_MIN_MACOSX)" in out
    assert "tag:       10.12 (macosx_10_12_x86_64)" in out
    code, out, err = run(capsys, wheel, "--arch", "x86_64", "--allow-unsigned-x86")
    assert (code, err) == (0, "")
    assert "signature: none (no LC_CODE_SIGNATURE)" in out


def test_minos_newer_than_the_tag_fails(
    dylibs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = dylibs["arm64_13"].read_bytes()
    code, out, err = run(capsys, make_wheel(tmp_path, data, "macosx_11_0_arm64"))
    assert code == 1
    assert failed_checks(err) == ["minos"]
    assert "needs macOS 13.0, newer than the wheel's platform tag promises: 11.0" in err
    assert "minos:     13.0" in out and "tag:       11.0 (macosx_11_0_arm64)" in out
    assert run(capsys, make_wheel(tmp_path, data, "macosx_13_0_arm64"))[0] == 0
    assert run(capsys, make_wheel(tmp_path, data, "macosx_14_0_arm64"))[0] == 0


def test_tag_in_the_wheel_file_must_agree(
    dylibs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = dylibs["arm64_13"].read_bytes()
    # The file name says 13.0, the WHEEL file 11.0: the lower one is what pip may act on.
    wheel = make_wheel(tmp_path, data, "macosx_13_0_arm64", "macosx_11_0_arm64")
    code, _, err = run(capsys, wheel)
    assert code == 1
    assert sorted(failed_checks(err)) == ["minos", "tag"]
    assert "Tag: lines name ['macosx_11_0_arm64'], the file name ['macosx_13_0_arm64']" in err
    code, _, err = run(capsys, make_wheel(tmp_path, data, "manylinux_2_17_x86_64"))
    assert code == 1 and "'manylinux_2_17_x86_64' is not a macosx_X_Y_ARCH tag" in err


def test_truncated_and_damaged_files_fail_cleanly(
    dylibs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = dylibs["arm64"].read_bytes()
    signature = cm.parse_macho(data)[0].signature
    for length, words in (
        (3, "magic: needs bytes 0..4"),
        (20, "mach_header_64: needs bytes 0..32"),
        (500, "runs past the end of the file (500 bytes"),
        (signature.dataoff + 40, "LC_CODE_SIGNATURE data"),
    ):
        cut = tmp_path / f"cut{length}.dylib"
        cut.write_bytes(data[:length])
        code, _, err = run(capsys, cut)
        assert code == 1 and failed_checks(err) == ["structure"], length
        assert words in err and "Traceback" not in err, err
    code, _, err = run(capsys, make_wheel(tmp_path, data[: len(data) // 2]))
    assert code == 1 and failed_checks(err) == ["structure"]
    assert "framesink/_framesink.abi3.so: LC_CODE_SIGNATURE data: bytes" in err

    # A hostile load command size.
    bad = bytearray(data)
    struct.pack_into("<I", bad, 32 + 4, 0)
    with pytest.raises(cm.MachOError, match=r"load command 0 .* cmdsize 0"):
        cm.parse_macho(bytes(bad))

    # Any truncation or corrupted byte: a MachOError or a result, never another exception.
    rng = random.Random(1)
    for length in range(0, len(data), 97):
        with pytest.raises(cm.MachOError):
            cm.parse_macho(data[:length])
    interesting = [*range(1100), *range(signature.dataoff, signature.dataoff + 120)]
    for _ in range(400):
        damaged = bytearray(data)
        for _ in range(3):
            damaged[rng.choice(interesting)] = rng.randrange(256)
        with contextlib.suppress(cm.MachOError):
            cm.parse_macho(bytes(damaged))


def test_changed_after_signing_fails(
    dylibs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = dylibs["arm64"].read_bytes()
    page_size = cm.parse_macho(data)[0].signature.page_size
    assert page_size in (4096, 16384)
    damaged = bytearray(data)
    damaged[page_size + 100] ^= 0xFF  # inside page 1, well before the signature
    code, _, err = run(capsys, make_wheel(tmp_path, bytes(damaged)))
    assert code == 1
    assert failed_checks(err) == ["signature"]
    assert "page hashes do not match the file (pages 1 of" in err


def test_fat_file_is_checked_per_slice(
    dylibs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arm, x86 = dylibs["arm64"].read_bytes(), dylibs["x86_64"].read_bytes()
    fat = make_fat(arm, x86)
    slices = cm.parse_macho(fat)
    assert [item.arch for item in slices] == ["arm64", "x86_64"]
    assert [item.minos for item in slices] == [(11, 0, 0), (10, 12, 0)]
    assert slices[0].signature.adhoc and slices[0].signature.bad_pages == []
    assert slices[1].signature is None

    wheel = make_wheel(tmp_path, fat, "macosx_10_12_universal2")
    code, out, err = run(capsys, wheel, "--allow-unsigned-x86")
    assert (code, err) == (0, "")
    assert "(universal, 2 slices" in out
    assert " slice arm64:" in out and " slice x86_64:" in out
    # No arm64 Mac runs macOS 10.12: for the arm64 slice the tag counts as 11.0.
    assert "10.12 (macosx_10_12_universal2), counts as 11.0 for arm64" in out

    code, _, err = run(capsys, wheel)
    assert code == 1 and failed_checks(err) == ["signature"]
    assert "framesink/_framesink.abi3.so [x86_64]: unsigned" in err

    code, _, err = run(capsys, wheel, "--allow-unsigned-x86", "--arch", "arm64")
    assert code == 1 and failed_checks(err) == ["arch"]
    assert "[x86_64]: is x86_64, allowed: arm64" in err
    assert run(capsys, wheel, "--allow-unsigned-x86", "--arch", "arm64", "--arch", "x86_64")[0] == 0

    # Only the slice that is wrong is named.
    late = make_wheel(
        tmp_path, make_fat(dylibs["arm64_13"].read_bytes(), x86), "macosx_11_0_universal2"
    )
    code, _, err = run(capsys, late, "--allow-unsigned-x86")
    assert code == 1 and failed_checks(err) == ["minos"]
    assert "[arm64]: the binary needs macOS 13.0" in err

    with pytest.raises(cm.MachOError, match=r"fat slice 1 \(x86_64\)"):
        cm.parse_macho(fat[: len(fat) - 10])
    bad = bytearray(fat)
    struct.pack_into(">I", bad, 8 + 20 + 8, 4)  # the second fat_arch's offset
    with pytest.raises(cm.MachOError, match=r"fat slice 1 .* overlaps the fat header"):
        cm.parse_macho(bytes(bad))


def test_non_macho_files_in_the_wheel(
    dylibs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    elf = b"\x7fELF\x02\x01\x01" + bytes(64)
    java = struct.pack(">II", cm.FAT_MAGIC, 0x34) + bytes(64)  # a class file, not a fat Mach-O
    extras = {"framesink/linux.so": elf, "framesink/Thing.class": java}
    wheel = make_wheel(tmp_path, dylibs["arm64"].read_bytes(), extra=extras)
    code, _, err = run(capsys, wheel)
    assert code == 1 and failed_checks(err) == ["structure"]
    assert "framesink/linux.so is not a Mach-O (starts 7f454c46)" in err
    assert not cm.is_macho(java)

    not_zip = tmp_path / "framesink-0.1.0-cp39-abi3-macosx_11_0_arm64.whl"
    not_zip.write_bytes(b"not a zip")
    code, _, err = run(capsys, not_zip)
    assert code == 1 and "not a zip file" in err


def test_usage_errors_exit_2(dylibs: dict[str, Path], tmp_path: Path) -> None:
    for argv in (
        [str(dylibs["arm64"]), "--arch", "ppc"],
        [str(tmp_path / "missing.whl")],
        [],
    ):
        with pytest.raises(SystemExit) as exited:
            cm.main(argv)
        assert exited.value.code == 2, argv


def test_command_line(dylibs: dict[str, Path], tmp_path: Path) -> None:
    good = make_wheel(tmp_path, dylibs["arm64"].read_bytes())
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(good)], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stderr) == (0, "")
    cut = tmp_path / "cut.dylib"
    cut.write_bytes(dylibs["arm64"].read_bytes()[:700])
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(cut)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert "[structure] cut.dylib:" in done.stderr and "Traceback" not in done.stderr


def test_agrees_with_llvm_objdump(dylibs: dict[str, Path]) -> None:
    objdump = shutil.which("llvm-objdump")
    if objdump is None:
        pytest.skip("llvm-objdump is not installed")
    for name in ("arm64", "x86_64", "weak_libcxx"):
        path = dylibs[name]
        text = subprocess.run(
            [objdump, "--macho", "--private-headers", str(path)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        (item,) = cm.parse_macho(path.read_bytes())
        header = re.search(r"^\s*MH_MAGIC_64\s+(\S+)", text, flags=re.MULTILINE)
        assert header is not None
        assert header.group(1) == {"arm64": "ARM64", "x86_64": "X86_64"}[item.arch]
        names = re.findall(
            r"cmd (LC_LOAD_DYLIB|LC_LOAD_WEAK_DYLIB)\n.*\n\s+name (\S+) \(offset",
            text,
        )
        assert names == item.libraries
        minos = re.search(r"^\s+minos (\S+)$", text, flags=re.MULTILINE) or re.search(
            r"cmd LC_VERSION_MIN_MACOSX\n.*\n\s+version (\S+)$", text, flags=re.MULTILINE
        )
        assert minos is not None and minos.group(1) == cm.show_version(item.minos)
        signature = re.search(
            r"cmd LC_CODE_SIGNATURE\n.*\n\s+dataoff (\d+)\n\s+datasize (\d+)", text
        )
        if item.signature is None:
            assert signature is None
        else:
            assert signature is not None
            found = (item.signature.dataoff, item.signature.datasize)
            assert found == (int(signature.group(1)), int(signature.group(2)))
