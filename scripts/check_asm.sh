#!/usr/bin/env bash
# Refuses a build whose encoders lost their assembly. openh264-sys2 builds C
# only, silently, when nasm is missing (3.3x slower) and does not rebuild when
# nasm appears; on aarch64 it says "not using any assembly" even though it
# builds its ARM .S files. So the objects decide, per architecture: the newest
# build of openh264-sys2 and of rav1e under BUILD_DIR must hold them.
#
#   bash scripts/check_asm.sh ARCH BUILD_DIR
#   ARCH: x86_64 | aarch64 (amd64 and arm64 are the same)
#   BUILD_DIR: cargo's build-script directory, e.g. target/release/build or
#              target/aarch64-unknown-linux-gnu/release/build
set -euo pipefail
arch="${1:-}" build="${2:-}"
case "$arch" in
  # nasm's objects; rav1e's nasm library (librav1easm.a, rav1easm.lib on MSVC)
  x86_64 | amd64) openh264=("satd_sad.o*" "mc_luma.o*") rav1e=("*rav1easm.*") ;;
  # cc's objects of OpenH264's NEON code (hash-prefixed); rav1e's .S library
  aarch64 | arm64) openh264=("*pixel_aarch64_neon.o" "*mc_aarch64_neon.o") rav1e=("*rav1e-aarch64.*") ;;
  *)
    echo "check_asm.sh: unsupported architecture '$arch'; supported: x86_64, aarch64" >&2
    exit 2
    ;;
esac
[ -n "$build" ] || {
  echo "check_asm.sh: no BUILD_DIR given (e.g. target/release/build)" >&2
  exit 2
}

missing=()
for crate in openh264-sys2 rav1e; do
  out=$(ls -td "$build/$crate"-*/out 2>/dev/null | head -n1 || true)
  if [ "$crate" = openh264-sys2 ]; then globs=("${openh264[@]}"); else globs=("${rav1e[@]}"); fi
  for glob in "${globs[@]}"; do
    if [ -z "$out" ] || ! compgen -G "$out/$glob" >/dev/null; then
      missing+=("$crate: $glob in ${out:-$build/$crate-*/out (no build)}")
    fi
  done
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "the $arch build in $build lost its encoders' assembly (3x slower); missing:" >&2
  printf '  %s\n' "${missing[@]}" >&2
  echo "Fix: install nasm (bash scripts/setup.sh), unset OPENH264_NO_ASM, then" \
    "cargo clean -p openh264-sys2 -p rav1e --release [--target TRIPLE], and build again." >&2
  exit 1
fi
echo "assembly: $arch objects of openh264-sys2 and rav1e present in $build"
