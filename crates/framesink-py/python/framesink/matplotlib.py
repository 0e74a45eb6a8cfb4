"""A matplotlib movie writer that needs no ffmpeg.

``anim.save("movie.mp4", writer="framesink", fps=30)`` once framesink is
imported, or ``anim.save(path, writer=FramesinkWriter(fps=30, quality=70))``.
When the saving dpi is the figure's, each frame is rasterised once: the canvas
that FuncAnimation just drew is read as it is (``buffer_rgba``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib import animation
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from . import Writer, _args
from ._errors import InvalidFrameError

_CODECS = {
    None: "h264",
    "h264": "h264",
    "libx264": "h264",
    "avc": "h264",
    "libopenh264": "h264",
    "av1": "av1",
    "librav1e": "av1",
    "libaom-av1": "av1",
    "libsvtav1": "av1",
}


class FramesinkWriter(animation.AbstractMovieWriter):
    """Writes a matplotlib animation with framesink (H.264 or AV1 in MP4, GIF, APNG)."""

    def __init__(
        self,
        fps: float = 5,
        codec: str | None = None,
        bitrate: int | None = None,
        extra_args: Any = None,
        metadata: dict[str, str] | None = None,
        *,
        quality: int | None = None,
        keyframe_interval: int | None = None,
        threads: int | None = None,
        speed: int | None = None,
    ) -> None:
        # Checked here, not when the animation is saved.
        _args.check_writer_options(
            dict(
                fps=fps,
                codec=codec,
                quality=quality,
                keyframe_interval=keyframe_interval,
                threads=threads,
                speed=speed,
                metadata=metadata,
            )
        )
        if bitrate is not None and not _args.is_whole(bitrate):
            raise _args.wrong_type(
                "bitrate",
                bitrate,
                "a whole number",
                "kbit/s, 1 to 2000000, or -1 or None (matplotlib's for constant quality)",
            )
        extra_args = _args.strings("extra_args", extra_args, _args.FFMPEG_ARGS_ALLOWED)
        via_ffmpeg = isinstance(codec, str) and codec.startswith("ffmpeg:")
        if codec not in _CODECS and not via_ffmpeg:
            raise ValueError(
                f"codec {codec!r} is not available; FramesinkWriter writes h264 or av1"
                " (GIF and APNG follow the file extension), or any ffmpeg encoder with"
                " codec='ffmpeg:<encoder>' (e.g. 'ffmpeg:libx265'; needs ffmpeg)"
            )
        name = codec if via_ffmpeg else _CODECS[codec]
        ffmpeg_args = list(extra_args) if extra_args else []
        if ffmpeg_args and not via_ffmpeg:
            raise ValueError(
                f"extra_args {extra_args!r} are ffmpeg command-line arguments, and framesink"
                " encodes without ffmpeg. Its own options are keywords (quality=, bitrate=,"
                " keyframe_interval=, threads=); to pass arguments to an ffmpeg encoder, name"
                " it: FramesinkWriter(codec='ffmpeg:libx264', extra_args=[...]) (needs ffmpeg)"
            )
        super().__init__(fps=fps, metadata=metadata, codec=name, bitrate=bitrate)  # type: ignore[arg-type]
        self._options: dict[str, Any] = {
            # h264 is the MP4 default; GIF and APNG come from the extension
            "codec": name if via_ffmpeg else ("av1" if name == "av1" else None),
            "ffmpeg_args": ffmpeg_args,
            "speed": speed,
            "quality": quality,
            "keyframe_interval": keyframe_interval,
            "threads": threads,
            # matplotlib passes -1 for "no bitrate set" (rcParams default)
            "bitrate": bitrate if bitrate is not None and bitrate > 0 else None,
        }
        self._writer: Writer | None = None

    @classmethod
    def isAvailable(cls) -> bool:
        return True

    def setup(self, fig: Figure, outfile: Any, dpi: float | None = None) -> None:
        _args.target(outfile, "outfile")
        _args.dpi(dpi)
        super().setup(fig, outfile, dpi=dpi)
        self._open(outfile)

    def _open(self, target: Any) -> None:
        """Starts the movie in ``target`` (a path or a binary file object)."""
        self._size: tuple[int, int] | None = None
        self._failed = False
        # matplotlib's metadata (title, artist, ...), as FFMpegWriter's -metadata.
        self._writer = Writer(target, fps=self.fps, metadata=self.metadata or None, **self._options)

    def _as_drawn(self, savefig_kwargs: dict[str, Any]) -> bool:
        """Whether savefig with these keywords would draw what the canvas shows.

        Animation.save always passes facecolor (the figure's) and
        transparent=False; those change nothing."""
        fig = self.fig
        if self.dpi != fig.dpi:
            return False
        for key, value in savefig_kwargs.items():
            if key == "transparent" and not value:
                continue
            if key in ("facecolor", "edgecolor"):
                current = fig.get_facecolor() if key == "facecolor" else fig.get_edgecolor()
                if value is None or (isinstance(value, str) and value == "auto"):
                    continue
                if np.allclose(to_rgba(value), to_rgba(current)):
                    continue
            return False
        return True

    def _rgba(self, savefig_kwargs: dict[str, Any]) -> np.ndarray:
        fig = self.fig
        if self._as_drawn(savefig_kwargs):
            # The animation has just drawn the canvas; draw again only if
            # something changed since (a manual grab_frame loop).
            if fig.stale:
                fig.canvas.draw()
            return np.asarray(fig.canvas.buffer_rgba())  # type: ignore[attr-defined]
        import io

        buf = io.BytesIO()
        fig.savefig(buf, format="rgba", dpi=self.dpi, **savefig_kwargs)
        # Agg renders int(size_in_inches * dpi) pixels each way.
        width_in, height_in = fig.get_size_inches()
        w, h = int(width_in * self.dpi), int(height_in * self.dpi)
        data = np.frombuffer(buf.getbuffer(), np.uint8)
        if data.size != w * h * 4:
            h = data.size // (4 * w)
        return data.reshape(h, w, 4)

    def grab_frame(self, **savefig_kwargs: Any) -> None:
        if self._writer is None:
            raise RuntimeError("grab_frame() called before setup(); use writer.saving(...)")
        _check_grab_kwargs(savefig_kwargs)
        try:
            self._grab(savefig_kwargs)
        except BaseException:
            # saving() calls finish() on the way out: it must not hide this error.
            self._failed = True
            raise

    def _grab(self, savefig_kwargs: dict[str, Any]) -> None:
        assert self._writer is not None
        rgba = self._rgba(savefig_kwargs)
        size = (rgba.shape[1], rgba.shape[0])
        if self._size is None:
            self._size = size
        elif size != self._size:
            raise InvalidFrameError(
                f"frame {self._writer.frames}: the figure is {size[0]}x{size[1]} pixels but the "
                f"movie is {self._size[0]}x{self._size[1]}; do not resize the figure while saving"
            )
        # RGBA as it is (no copy): H.264 drops the alpha channel.
        self._writer.write(rgba)

    def finish(self) -> None:
        writer, self._writer = self._writer, None
        if writer is None:
            return
        if self._failed:
            writer.abandon()  # keep the frames written, report the first error only
        else:
            writer.close()


def _check_grab_kwargs(savefig_kwargs: dict[str, Any]) -> None:
    """As matplotlib's own writers (3.8+): the size and format of every frame are
    the writer's, fixed at setup."""
    import matplotlib as mpl

    if mpl.rcParams["savefig.bbox"] == "tight":
        raise ValueError(
            f"mpl.rcParams['savefig.bbox']={mpl.rcParams['savefig.bbox']!r} must not be "
            "'tight' as it may cause frame size to vary, which is inappropriate for animation."
        )
    for key in ("dpi", "bbox_inches", "format"):
        if key in savefig_kwargs:
            raise TypeError(f"grab_frame got an unexpected keyword argument {key!r}")


def register() -> None:
    """Makes ``writer="framesink"`` work in ``Animation.save``."""
    if "framesink" not in animation.writers.list():
        animation.writers.register("framesink")(FramesinkWriter)
