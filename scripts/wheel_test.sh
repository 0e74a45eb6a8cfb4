#!/usr/bin/env bash
# Tests a built wheel on the machine it is for, as a user there would have it:
# installed into a fresh venv (numpy, matplotlib and the test tools from PyPI,
# binary wheels only, so nothing can be compiled), with no cargo or rustc on
# PATH, running the pytest files that need no Linux-only tool. ffmpeg and
# ffprobe must be on PATH: the tests check every movie with them, never write
# one with them (test_wheel.py also runs the examples with them hidden).
#
#   bash scripts/wheel_test.sh dist/framesink-VERSION-cp39-abi3-PLATFORM.whl
#
# Used by the release workflow on each platform's own runner, and here by
# scripts/wheel_arm64.sh inside an arm64 Debian under qemu.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
wheel="${1:-}"
shift || true # the rest goes to pytest (-k, -x, ...)
if [ -z "$wheel" ] || [ ! -f "$wheel" ]; then
  echo "wheel_test.sh: no wheel at '${wheel}' (bash scripts/wheel.sh TARGET builds one in dist/)" >&2
  exit 2
fi
wheel=$(cd "$(dirname "$wheel")" && pwd)/$(basename "$wheel")
PY="${PYTHON:-$(command -v python3 || command -v python)}"
for tool in ffmpeg ffprobe; do
  command -v "$tool" >/dev/null || {
    echo "wheel_test.sh: $tool not found: the tests check the movies with it" >&2
    exit 1
  }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/framesink-wheel-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$PY" -m venv "$work/venv"
bin="$work/venv/bin"
[ -d "$bin" ] || bin="$work/venv/Scripts" # Windows
"$bin/python" -m pip install -q --disable-pip-version-check --only-binary=:all: \
  "$wheel" "pytest>=7" "hypothesis>=6" "matplotlib>=3.5" "imageio>=2.28" pillow xarray

# PATH without Rust: every directory that holds cargo or rustc (rustup's
# ~/.cargo/bin) is dropped. nasm stays where the system keeps it (/usr/bin
# beside ffmpeg): it only assembles at build time, the wheel cannot call it;
# test_wheel.py runs the examples with nothing but the venv on PATH.
path="$bin"
IFS=':' read -r -a dirs <<<"$PATH"
for dir in "${dirs[@]}"; do
  rust=0
  for tool in cargo rustc; do
    if [ -e "$dir/$tool" ] || [ -e "$dir/$tool.exe" ]; then rust=1; fi
  done
  if [ $rust = 1 ] && { [ -e "$dir/ffmpeg" ] || [ -e "$dir/ffmpeg.exe" ]; }; then
    echo "wheel_test.sh: $dir holds both Rust and ffmpeg: Rust cannot be hidden from the tests" >&2
    exit 1
  fi
  [ $rust = 0 ] && [ "$dir" != "$bin" ] && path="$path:$dir"
done
export PATH="$path"
for tool in cargo rustc; do
  if command -v "$tool" >/dev/null; then
    echo "wheel_test.sh: $tool is still on PATH ($(command -v "$tool"))" >&2
    exit 1
  fi
done

# framesink must come from the wheel in the venv, not from this source tree.
cd "$work"
"$bin/python" - "$root" <<'EOF'
import sys
from pathlib import Path

import framesink
import framesink._framesink as native

root = Path(sys.argv[1]).resolve()
for module in (framesink, native):
    where = Path(module.__file__).resolve()
    assert root not in where.parents, f"{module.__name__} comes from the source tree: {where}"
print(f"framesink {framesink.__version__} from {Path(native.__file__).resolve()}")
EOF

tests="$root/crates/framesink-py/tests"
export FRAMESINK_WHEEL="$wheel" FRAMESINK_REQUIRE_WHEEL=1 MPLBACKEND=Agg
"$bin/python" -m pytest -q -p no:cacheprovider --rootdir "$tests" \
  "$tests/test_wheel.py" "$tests/test_write.py" "$tests/test_arrays.py" \
  "$tests/test_bad_inputs.py" "$tests/test_metadata.py" "$tests/test_matplotlib.py" \
  "$tests/test_render.py" "$tests/test_imageio.py" "$@"
