#!/usr/bin/env bash
# Builds the Python package as a binary wheel that needs no Rust, nasm or
# ffmpeg where it is installed, checks it, and builds the sdist:
#
#   bash scripts/wheel.sh [TARGET]
#
#   TARGET          wheel                                           built here with
#   x86_64          cp39-abi3-manylinux_2_17_x86_64  (default)      zig (glibc 2.17)
#   aarch64         cp39-abi3-manylinux_2_17_aarch64                zig (glibc 2.17)
#   macos-arm64     cp39-abi3-macosx_11_0_arm64                     zig here, Xcode on a Mac
#   macos-x86_64    cp39-abi3-macosx_10_12_x86_64                   zig here, Xcode on a Mac
#   windows-x86_64  cp39-abi3-win_amd64                             MSVC, on Windows only
#
# One abi3 wheel serves every CPython >= 3.9. Linux wheels are linked by zig
# against glibc 2.17 (this machine's glibc is too new for a native build to be
# manylinux; zig's libc++ is linked statically) and auditwheel must confirm the
# tag. macOS wheels must pass scripts/check_macho.py (libSystem only, an ad-hoc
# signature, a minimum macOS no newer than the tag). A wheel built for another
# machine than this one is only a build check until it has run there: the
# release workflow (.github/workflows/wheels.yml) builds each on its own
# runner and tests it with scripts/wheel_test.sh.
#
# Every target must keep its codecs' assembly (OpenH264's, rav1e's and rav1d's;
# nasm on x86_64, the ARM .S files on aarch64); a build without it is refused.
# Idempotent; a rebuild with nothing changed takes seconds. Cargo's artifacts
# go to target/TRIPLE/release; CARGO_TARGET_DIR is respected.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"

target="${1:-x86_64}"
case "$target" in
  x86_64 | linux-x86_64) kind=manylinux arch=x86_64 triple=x86_64-unknown-linux-gnu ;;
  aarch64 | linux-aarch64) kind=manylinux arch=aarch64 triple=aarch64-unknown-linux-gnu ;;
  macos-arm64) kind=macos arch=arm64 triple=aarch64-apple-darwin ;;
  macos-x86_64) kind=macos arch=x86_64 triple=x86_64-apple-darwin ;;
  windows-x86_64) kind=windows arch=amd64 triple=x86_64-pc-windows-msvc ;;
  *)
    echo "wheel.sh: unsupported target '$target'; supported: x86_64 (default), aarch64," \
      "macos-arm64, macos-x86_64, windows-x86_64" >&2
    exit 2
    ;;
esac

host=$(uname -s)
case "$host" in MINGW* | MSYS* | CYGWIN*) host=Windows ;; esac
if [ "$kind" = windows ] && [ "$host" != Windows ]; then
  echo "wheel.sh: the $target wheel is built with MSVC on Windows (the release workflow's" \
    "windows-latest job). A mingw-built extension links msvcrt and libstdc++, which Windows" \
    "Pythons do not expect. Here, bash scripts/wine_cli.sh builds and tests the CLI." >&2
  exit 2
fi

TARGET_DIR="${CARGO_TARGET_DIR:-target}"
PY="${PYTHON:-$(command -v python3 || command -v python)}"

# OpenH264's assembly (and rav1e's) needs nasm at build time on x86_64;
# without it openh264-sys2 quietly builds C only, 3x slower.
if [ "$arch" != aarch64 ] && [ "$arch" != arm64 ] && ! command -v nasm >/dev/null 2>&1; then
  echo "nasm not found: the wheel's encoders need it (bash scripts/setup.sh installs it)." >&2
  exit 1
fi

flags=(--release --strip --target "$triple")
packages=("maturin>=1.5,<2")
case "$kind" in
  manylinux)
    policy=manylinux_2_17 # manylinux2014
    flags+=(--zig --compatibility "$policy")
    packages+=("ziglang==0.15.2" "auditwheel>=6")
    pattern="${policy}_${arch}"
    ;;
  macos)
    # The oldest macOS Rust supports on each: the wheel's tag says the same.
    if [ "$arch" = arm64 ]; then export MACOSX_DEPLOYMENT_TARGET=11.0; else export MACOSX_DEPLOYMENT_TARGET=10.12; fi
    [ "$host" = Darwin ] || {
      flags+=(--zig)
      packages+=("ziglang==0.15.2")
    }
    pattern="macosx_${MACOSX_DEPLOYMENT_TARGET//./_}_${arch}"
    ;;
  windows) pattern="win_${arch}" ;;
esac
command -v rustup >/dev/null 2>&1 && rustup target add "$triple" >/dev/null 2>&1 || true

"$PY" -m pip install -q --disable-pip-version-check --root-user-action=ignore "${packages[@]}"

VERSION=$("$PY" -c 'import tomllib; print(tomllib.load(open("crates/framesink-py/pyproject.toml", "rb"))["project"]["version"])' 2>/dev/null ||
  sed -n 's/^version = "\(.*\)"/\1/p' crates/framesink-py/pyproject.toml | head -n1)
# Built into a staging directory, moved to dist/ once every check passed: a
# failed run leaves no framesink wheel of this target in dist/.
mkdir -p dist
rm -f dist/framesink-*-"$pattern".whl dist/framesink-*.tar.gz
stage="$TARGET_DIR/wheel-stage-$target"
rm -rf "$stage"

"$PY" -m maturin build "${flags[@]}" -j "$CARGO_BUILD_JOBS" -m crates/framesink-py/Cargo.toml -o "$stage"
"$PY" -m maturin sdist -m crates/framesink-py/Cargo.toml -o "$stage"

# The codecs' assembly must be in this target's build (per architecture).
bash scripts/check_asm.sh "$arch" "$TARGET_DIR/$triple/release/build"

shopt -s nullglob
wheels=("$stage"/framesink-"$VERSION"-cp39-abi3-*"$pattern".whl)
sdists=("$stage"/framesink-"$VERSION".tar.gz)
if [ ${#wheels[@]} -ne 1 ] || [ ${#sdists[@]} -ne 1 ]; then
  echo "expected one wheel (*$pattern) and one sdist of framesink $VERSION, found: $(ls "$stage")" >&2
  exit 1
fi

case "$kind" in
  manylinux)
    # auditwheel must find the wheel consistent with the policy: only glibc
    # symbols of 2.17 or older, no libstdc++ or other library outside it.
    report=$("$PY" -m auditwheel show "${wheels[0]}")
    echo "$report"
    if ! tr -s ' \n' '  ' <<<"$report" | grep -q "consistent with the following platform tag: \"${policy}_${arch}\""; then
      echo "auditwheel does not confirm ${policy}_${arch} for ${wheels[0]}" >&2
      exit 1
    fi
    ;;
  # arm64 must be signed (ad hoc: Apple silicon loads nothing unsigned); an
  # x86_64 binary needs no signature, and neither Apple's linker nor zig
  # signs one.
  # libcharset is libiconv's companion (GNU libiconv's two libraries), in
  # /usr/lib on every macOS; zig's link names it beside libiconv, which Rust's
  # std asks for.
  macos)
    unsigned=()
    [ "$arch" = x86_64 ] && unsigned=(--allow-unsigned-x86)
    "$PY" scripts/check_macho.py "${wheels[0]}" --arch "$arch" \
      --allow-lib /usr/lib/libcharset.1.dylib ${unsigned[@]+"${unsigned[@]}"}
    ;;
  windows) ;;
esac

mv "${wheels[0]}" "${sdists[0]}" dist/
rm -rf "$stage"
wheel="dist/$(basename "${wheels[0]}")"
ls -l "$wheel" "dist/$(basename "${sdists[0]}")"
echo "wheel: $wheel"
