#!/usr/bin/env bash
# Builds the Python package as a binary wheel that needs no Rust, nasm or
# ffmpeg where it is installed, and its sdist:
#   dist/framesink-VERSION-cp39-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl
#   dist/framesink-VERSION.tar.gz
# One abi3 wheel serves every CPython >= 3.9. This machine's glibc is too new
# for a native build to be manylinux, so maturin links with zig against glibc
# 2.17 (zig's libc++ is linked statically: no libstdc++ needed). auditwheel
# must confirm the tag. Idempotent; a rebuild with nothing changed takes a
# few seconds. Cargo's artifacts go to target/x86_64-unknown-linux-gnu/release
# (an explicit --target), apart from the plain target/release build; only the
# build scripts and proc-macros it compiles for the host land in
# target/release, under their own hashes. CARGO_TARGET_DIR is respected.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"

POLICY=manylinux_2_17 # manylinux2014
TRIPLE=x86_64-unknown-linux-gnu
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
PY=python3

# OpenH264's assembly (and rav1e's) needs nasm at build time; without it
# openh264-sys2 quietly builds C only, 3x slower.
if ! command -v nasm >/dev/null 2>&1; then
  echo "nasm not found: the wheel's encoders need it (bash scripts/setup.sh installs it)." >&2
  exit 1
fi

$PY -m pip install -q --disable-pip-version-check --root-user-action=ignore \
  "maturin>=1.5,<2" "ziglang==0.15.2" "auditwheel>=6"

VERSION=$($PY -c 'import tomllib; print(tomllib.load(open("crates/framesink-py/pyproject.toml", "rb"))["project"]["version"])')
# Built into a staging directory, moved to dist/ once every check passed: a
# failed run leaves no framesink wheel in dist/ (test_wheel.py then says so).
mkdir -p dist
rm -f dist/framesink-*.whl dist/framesink-*.tar.gz
stage="$TARGET_DIR/wheel-stage"
rm -rf "$stage"

$PY -m maturin build --release --strip --zig --target "$TRIPLE" --compatibility "$POLICY" \
  -j "$CARGO_BUILD_JOBS" -m crates/framesink-py/Cargo.toml -o "$stage"
$PY -m maturin sdist -m crates/framesink-py/Cargo.toml -o "$stage"

# The assembly: refuse a build that dropped it, and require its objects.
if grep -qs "not using any assembly" "$TARGET_DIR/$TRIPLE"/release/build/openh264-sys2-*/output; then
  echo "openh264-sys2 was built WITHOUT its assembly (nasm was missing then): 3x slower." >&2
  echo "Fix: cargo clean -p openh264-sys2 --release --target $TRIPLE, then run this again." >&2
  exit 1
fi
newest=$(ls -td "$TARGET_DIR/$TRIPLE"/release/build/openh264-sys2-*/out 2>/dev/null | head -n1 || true)
if [ -z "$newest" ] || [ ! -f "$newest/satd_sad.o" ] || [ ! -f "$newest/mc_luma.o" ]; then
  echo "openh264-sys2's nasm objects (satd_sad.o, mc_luma.o) are missing in ${newest:-$TARGET_DIR/$TRIPLE/release/build}." >&2
  echo "Fix: cargo clean -p openh264-sys2 --release --target $TRIPLE (and unset OPENH264_NO_ASM), then run this again." >&2
  exit 1
fi

shopt -s nullglob
wheels=("$stage"/framesink-"$VERSION"-cp39-abi3-*"$POLICY"_x86_64.whl)
sdists=("$stage"/framesink-"$VERSION".tar.gz)
if [ ${#wheels[@]} -ne 1 ] || [ ${#sdists[@]} -ne 1 ]; then
  echo "expected one wheel and one sdist of framesink $VERSION, found: $(ls "$stage")" >&2
  exit 1
fi

# auditwheel must find the wheel consistent with the policy: only glibc
# symbols of 2.17 or older, no libstdc++ or other library outside it.
report=$($PY -m auditwheel show "${wheels[0]}")
echo "$report"
if ! tr -s ' \n' '  ' <<<"$report" | grep -q "consistent with the following platform tag: \"${POLICY}_x86_64\""; then
  echo "auditwheel does not confirm ${POLICY}_x86_64 for ${wheels[0]}" >&2
  exit 1
fi

mv "${wheels[0]}" "${sdists[0]}" dist/
rm -rf "$stage"
wheel="dist/$(basename "${wheels[0]}")"
ls -l "$wheel" "dist/$(basename "${sdists[0]}")"
echo "wheel: $wheel"
