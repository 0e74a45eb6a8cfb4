"""framesink's exceptions and warnings.

Each error also inherits the builtin a Python user would catch for it:
a bad frame or setting is a ``ValueError``, an I/O failure an ``OSError``.
"""

from __future__ import annotations


class FramesinkError(Exception):
    """Base class of every framesink error."""


class InvalidFrameError(FramesinkError, ValueError):
    """A frame was rejected (shape, dtype, size, values, timestamp)."""


class InvalidConfigError(FramesinkError, ValueError):
    """A setting (fps, quality, ...) is out of range."""


class UnsupportedError(FramesinkError, ValueError):
    """A codec, container or size this build cannot write."""


class EncoderError(FramesinkError, RuntimeError):
    """The encoder failed."""


class FramesinkIOError(FramesinkError, OSError):
    """Writing the movie failed (disk full, bad path, closed file, ...)."""


class InvalidPartError(FramesinkError, ValueError):
    """A part given to :func:`framesink.join` cannot be joined: not a movie framesink
    reads, damaged, or made with other settings than the first part (the message
    names the part and the field)."""


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


def warn(message: str, category: type[Warning] = FramesinkWarning) -> None:
    """Warns at the first caller outside the framesink package (and matplotlib's
    animation code, which calls our writer), so the warning names the user's line."""
    import os
    import sys
    import warnings

    here = os.path.dirname(os.path.abspath(__file__))
    level, frame = 1, sys._getframe(1)
    while frame is not None and (
        os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == here
        or frame.f_globals.get("__name__", "").startswith("matplotlib.")
    ):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    warnings.warn(message, category, stacklevel=level + 1)
