"""I/O failures raise what Python's own I/O raises: the OSError subclass of the
errno (FileNotFoundError, PermissionError, IsADirectoryError, ...) with errno,
strerror and filename set, and still a FramesinkIOError naming what was being
done. A Python file object's own exception is the cause."""

from __future__ import annotations

import errno
import io
import os
import pickle
from pathlib import Path
from typing import Any

import framesink
import numpy as np
import pytest
from _media import probe

FRAMES = np.zeros((3, 32, 32), np.uint8)
# Read-only even for root (the tests run as root in CI).
SYSFS_READ_ONLY = Path("/sys/kernel/address_bits")


def _check(err: BaseException, builtin: type[OSError], number: int, filename: str | None) -> None:
    assert isinstance(err, framesink.FramesinkIOError)
    assert isinstance(err, builtin), type(err).__mro__
    assert isinstance(err, framesink.FramesinkError)
    assert err.errno == number
    assert err.strerror == os.strerror(number)
    assert err.filename == filename
    # The message still says what framesink was doing.
    assert "I/O error" in str(err)


def test_a_missing_directory_is_file_not_found(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "dir" / "out.mp4"
    with pytest.raises(FileNotFoundError) as info:
        framesink.write(target, FRAMES)
    _check(info.value, FileNotFoundError, errno.ENOENT, str(target))
    assert f"cannot create {target}" in str(info.value)
    with pytest.raises(FileNotFoundError):
        framesink.Writer(target)


def test_a_directory_is_is_a_directory(tmp_path: Path) -> None:
    target = tmp_path / "movie.mp4"
    target.mkdir()
    with pytest.raises(IsADirectoryError) as info:
        framesink.write(target, FRAMES)
    _check(info.value, IsADirectoryError, errno.EISDIR, str(target))


@pytest.mark.skipif(not SYSFS_READ_ONLY.exists(), reason="needs Linux sysfs")
def test_a_read_only_file_is_permission_error() -> None:
    # open(..., "w") raises PermissionError here too, even as root.
    with pytest.raises(PermissionError) as python_own:
        open(SYSFS_READ_ONLY, "w")
    with pytest.raises(PermissionError) as info:
        framesink.write(SYSFS_READ_ONLY, FRAMES, format="mp4")
    _check(info.value, PermissionError, python_own.value.errno, str(SYSFS_READ_ONLY))


def test_a_file_in_a_file_is_not_a_directory(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.write_bytes(b"x")
    target = plain / "out.mp4"
    with pytest.raises(NotADirectoryError) as info:
        framesink.write(target, FRAMES)
    _check(info.value, NotADirectoryError, errno.ENOTDIR, str(target))


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_keeps_enospc() -> None:
    # /dev/full fails every write with ENOSPC, as a full disk does.
    with pytest.raises(framesink.FramesinkIOError) as info:
        framesink.write("/dev/full", FRAMES, format="mp4")
    _check(info.value, OSError, errno.ENOSPC, "/dev/full")
    assert "writing the movie failed at its first byte" in str(info.value)


class _Raising(io.RawIOBase):
    """A binary file object whose write raises ``exc``."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        raise self.exc


def test_a_file_objects_oserror_is_raised_as_its_class_with_it_as_the_cause() -> None:
    own = BrokenPipeError(errno.EPIPE, "Broken pipe")
    with pytest.raises(BrokenPipeError) as info:
        framesink.write(_Raising(own), FRAMES, format="mp4")
    _check(info.value, BrokenPipeError, errno.EPIPE, None)
    assert info.value.__cause__ is own
    assert "Broken pipe" in str(info.value)


def test_a_file_objects_oserror_keeps_its_filename() -> None:
    own = PermissionError(errno.EACCES, "Permission denied", "/some/where")
    with pytest.raises(PermissionError) as info:
        framesink.write(_Raising(own), FRAMES, format="mp4")
    _check(info.value, PermissionError, errno.EACCES, "/some/where")
    assert info.value.__cause__ is own


def test_a_file_objects_other_exception_is_the_cause_of_a_plain_io_error() -> None:
    own = TypeError("write() got a str")
    with pytest.raises(framesink.FramesinkIOError) as info:
        framesink.write(_Raising(own), FRAMES, format="mp4")
    assert type(info.value) is framesink.FramesinkIOError
    assert info.value.errno is None
    assert info.value.__cause__ is own
    assert "write() got a str" in str(info.value)


def test_a_missing_part_is_file_not_found(tmp_path: Path) -> None:
    first = tmp_path / "first.mp4"
    framesink.write(first, FRAMES)
    missing = tmp_path / "missing.mp4"
    out = tmp_path / "joined.mp4"
    with pytest.raises(FileNotFoundError) as info:
        framesink.join(out, [first, missing])
    _check(info.value, FileNotFoundError, errno.ENOENT, str(missing))
    assert "cannot open part" in str(info.value)
    # The part before it is kept, as for any bad part.
    assert probe(out).frames == len(FRAMES)


def test_a_join_target_in_a_missing_directory_is_file_not_found(tmp_path: Path) -> None:
    target = tmp_path / "no" / "joined.mp4"
    with pytest.raises(FileNotFoundError) as info:
        framesink.join(target, [b"unused"])
    _check(info.value, FileNotFoundError, errno.ENOENT, str(target))


def test_the_errors_pickle_as_themselves(tmp_path: Path) -> None:
    # render() sends errors between processes.
    with pytest.raises(FileNotFoundError) as info:
        framesink.write(tmp_path / "no" / "out.mp4", FRAMES)
    again = pickle.loads(pickle.dumps(info.value))
    assert type(again) is type(info.value)
    assert (again.errno, again.filename, str(again)) == (
        info.value.errno,
        info.value.filename,
        str(info.value),
    )


def test_matplotlib_save_to_a_missing_directory_is_file_not_found(tmp_path: Path) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    fig, ax = plt.subplots(figsize=(2, 2), dpi=50)
    (line,) = ax.plot([0, 1], [0, 1])
    anim = FuncAnimation(fig, lambda i: (line,), frames=3)
    target = tmp_path / "missing" / "anim.mp4"
    # (matplotlib's setup() checks the directory itself, as for its own writers)
    with pytest.raises(FileNotFoundError) as info:
        anim.save(target, writer="framesink", fps=10)
    plt.close(fig)
    assert info.value.errno == errno.ENOENT
