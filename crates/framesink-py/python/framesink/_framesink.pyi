"""The native module: a thin shell over the Rust VideoWriter (see framesink/__init__.py)."""

from typing import Any, final

__all__ = [
    "NativeJoiner",
    "NativeWriter",
    "__version__",
    "apply_colormap",
    "cli_main",
    "colormap_names",
    "default_keyframe_interval",
    "parse_rate",
]
__version__: str

@final
class NativeWriter:
    def __new__(
        cls,
        target: Any,
        *,
        fps_num: int,
        fps_den: int,
        codec: str | None,
        container: str | None,
        quality: int | None,
        bitrate: int | None,
        keyframe_interval: int | None,
        threads: int | None,
        dither: bool = False,
        loops: int | None = None,
        ffmpeg_args: list[str] = ...,
        speed: int | None = None,
        metadata: list[tuple[str, str]] | None = None,
    ) -> NativeWriter: ...
    def write(
        self, array: Any, layout: str, timestamp: tuple[int, int] | None = None
    ) -> list[str]: ...
    def frames(self) -> int: ...
    def close(self) -> dict[str, Any]: ...
    def is_open(self) -> bool: ...
    def abandon(self) -> None: ...

@final
class NativeJoiner:
    def __new__(
        cls, target: Any, *, metadata: list[tuple[str, str]] | None = None
    ) -> NativeJoiner: ...
    def append(self, part: Any, name: str) -> None: ...
    def parts(self) -> int: ...
    def frames(self) -> int: ...
    def close(self) -> dict[str, Any]: ...
    def abandon(self) -> None: ...

def default_keyframe_interval(fps_num: int, fps_den: int) -> int: ...
def cli_main(argv: list[str]) -> int: ...
def parse_rate(text: str) -> tuple[int, int]: ...
def colormap_names() -> list[str]: ...
def apply_colormap(values: Any, cmap: str | bytes, vmin: float, vmax: float) -> tuple[Any, int]: ...
