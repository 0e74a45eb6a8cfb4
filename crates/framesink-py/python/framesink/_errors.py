"""framesink's exceptions and warnings.

Each error also inherits the builtin a Python user would catch for it:
a bad frame or setting is a ``ValueError``, an I/O failure an ``OSError``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Iterable
from typing import Any, Callable, TypeVar, cast

_F = TypeVar("_F", bound=Callable[..., Any])


class FramesinkError(Exception):
    """Base class of every framesink error."""


class InvalidFrameError(FramesinkError, ValueError):
    """A frame was rejected (shape, dtype, size, values, timestamp)."""


class InvalidConfigError(FramesinkError, ValueError):
    """A setting (fps, quality, ...) is out of range."""


class InvalidTypeError(InvalidConfigError, TypeError):
    """An argument of a type framesink does not take (``codec=5``, ``target=None``).

    A ``TypeError``, as Python's own for an argument of the wrong type, and an
    :class:`InvalidConfigError`, as framesink's other refused settings. The
    message names the argument, the value given, its type and what is allowed;
    it is raised by the call that got the value, before any file is made.
    """


class UnsupportedError(FramesinkError, ValueError):
    """A codec, container or size this build cannot write."""


class EncoderError(FramesinkError, RuntimeError):
    """The encoder failed."""


class FramesinkIOError(FramesinkError, OSError):
    """Writing the movie failed (disk full, bad path, closed file, ...).

    As Python's own I/O errors: ``errno``, ``strerror`` and ``filename`` are set
    when the system gave an error number, and the error is also the builtin
    subclass for it (``FileNotFoundError``, ``PermissionError``,
    ``IsADirectoryError``, ...). An exception a file object raised is the
    ``__cause__``. ``str()`` is framesink's message, which says what was being
    done (e.g. "writing the movie failed after 1234 bytes").
    """

    _message: str | None = None

    def __str__(self) -> str:
        return self._message if self._message is not None else super().__str__()


def _io_classes() -> dict[type[OSError], type[FramesinkIOError]]:
    """A FramesinkIOError subclass for each builtin OSError subclass, named
    ``Framesink<Builtin>`` and kept in this module (so they pickle)."""
    classes: dict[type[OSError], type[FramesinkIOError]] = {}
    for builtin in (
        BlockingIOError,
        BrokenPipeError,
        ChildProcessError,
        ConnectionAbortedError,
        ConnectionRefusedError,
        ConnectionResetError,
        FileExistsError,
        FileNotFoundError,
        InterruptedError,
        IsADirectoryError,
        NotADirectoryError,
        PermissionError,
        ProcessLookupError,
        TimeoutError,
    ):
        name = f"Framesink{builtin.__name__}"
        cls = type(name, (FramesinkIOError, builtin), {"__module__": __name__})
        cls.__doc__ = f"A :class:`FramesinkIOError` that is also a ``{builtin.__name__}``."
        globals()[name] = cls
        classes[builtin] = cls
    return classes


_IO_CLASSES = _io_classes()


def io_error(
    message: str,
    errno: int | None = None,
    filename: str | None = None,
    cause: BaseException | None = None,
) -> FramesinkIOError:
    """The FramesinkIOError for a failed I/O call: of the OSError subclass that
    ``errno`` (or the OSError ``cause``) maps to, as ``open()`` would raise it."""
    import os

    if isinstance(cause, OSError):
        errno = errno if errno is not None else cause.errno
        filename = filename if filename is not None else cause.filename
    if errno is None:
        err = FramesinkIOError(message)
    else:
        # OSError(errno, strerror) is Python's own errno -> subclass mapping.
        builtin = type(OSError(errno, ""))
        cls = _IO_CLASSES.get(builtin, FramesinkIOError)
        strerror = os.strerror(errno)
        err = cls(errno, strerror) if filename is None else cls(errno, strerror, filename)
    err._message = message
    if cause is not None:
        err.__cause__ = cause
    return err


class InvalidPartError(FramesinkError, ValueError):
    """A part given to :func:`framesink.join` cannot be joined: not a movie framesink
    reads, damaged, or made with other settings than the first part (the message
    names the part and the field)."""


class InvalidMovieError(FramesinkError, ValueError):
    """A movie given to :class:`framesink.Reader` cannot be read: not a movie, a codec
    framesink does not decode (the message names it and the ffmpeg route), or
    damaged beyond its first frame."""


class FrameFunctionError(FramesinkError):
    """``frame_fn`` (or ``setup``) raised on a worker in :func:`framesink.render`.

    ``index`` is the item's position, ``item`` its repr, ``exc_type`` and
    ``exc_message`` the worker's exception, ``remote_traceback`` its traceback as
    text. The original exception, when it could be sent back, is ``__cause__``.
    """

    def __init__(
        self,
        message: str,
        *,
        index: int | None = None,
        item: str = "",
        exc_type: str = "",
        exc_message: str = "",
        remote_traceback: str = "",
    ) -> None:
        super().__init__(message)
        self.index = index
        self.item = item
        self.exc_type = exc_type
        self.exc_message = exc_message
        self.remote_traceback = remote_traceback


class FramesinkWarning(UserWarning):
    """Something worth knowing that is not an error (odd size padded, values clipped)."""


class BitsLostWarning(FramesinkWarning):
    """16-bit frames are rounded to 8 bits by an output that keeps only 8
    (H.264, AV1, GIF), and no ``bit_depth`` was asked for; given once per
    movie. ``.png``/``.apng`` keep all 16 bits (their default for 16-bit
    frames)."""


def warn(message: str, category: type[Warning] = FramesinkWarning) -> None:
    """Warns at the first caller outside the framesink package (and matplotlib's
    animation code and imageio, which call our writers), so the warning names the
    user's line."""
    import os
    import sys
    import warnings

    here = os.path.dirname(os.path.abspath(__file__))
    level, frame = 1, sys._getframe(1)
    while frame is not None and (
        os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == here
        or frame.f_globals.get("__name__", "").startswith(("matplotlib.", "imageio."))
    ):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    warnings.warn(message, category, stacklevel=level + 1)


def unexpected_keyword(func: str, name: str, options: Iterable[str]) -> TypeError:
    """Python's TypeError for an unknown keyword argument, with the closest option
    (a typo: ``qualty``) and the options allowed."""
    import difflib

    names = sorted(options)
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"; did you mean {close[0]!r}? Options: " if close else "; options: "
    return TypeError(
        f"{func}() got an unexpected keyword argument {name!r}{hint}{', '.join(names)}"
    )


def check_keywords(func_name: str) -> Callable[[_F], _F]:
    """Refuses a keyword ``func`` does not take with :func:`unexpected_keyword` (a
    TypeError, as Python's own, but naming the closest option), before the call;
    the signature seen by ``inspect``, ``help`` and type checkers is ``func``'s."""

    def decorate(func: _F) -> _F:
        params = inspect.signature(func).parameters.values()
        keyword = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        allowed = frozenset(p.name for p in params if p.kind in keyword and p.name != "self")
        options = [p.name for p in params if p.kind == inspect.Parameter.KEYWORD_ONLY]

        @functools.wraps(func)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if not allowed.issuperset(kwargs):
                unknown = next(k for k in kwargs if k not in allowed)
                raise unexpected_keyword(func_name, unknown, options)
            return func(*args, **kwargs)

        return cast(_F, checked)

    return decorate
