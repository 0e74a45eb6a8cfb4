#!/usr/bin/env bash
# Refuses a build whose codecs lost their assembly. openh264-sys2 builds C
# only, silently, when nasm is missing (3.3x slower) and does not rebuild when
# nasm appears; on aarch64 it says "not using any assembly" even though it
# builds its ARM .S files. So the objects decide, per architecture: the newest
# build of openh264-sys2, rav1e (the AV1 encoder) and rav1d (the AV1 decoder)
# under BUILD_DIR must hold them.
#
#   bash scripts/check_asm.sh ARCH BUILD_DIR
#   ARCH: x86_64 | aarch64 (amd64 and arm64 are the same)
#   BUILD_DIR: cargo's build-script directory, e.g. target/release/build or
#              target/aarch64-unknown-linux-gnu/release/build
set -euo pipefail
arch="${1:-}" build="${2:-}"
case "$arch" in
  # nasm's objects; rav1e's nasm library (librav1easm.a, rav1easm.lib on MSVC);
  # rav1d's nasm library (librav1dasm.a, rav1dasm.lib) and its AVX2 motion
  # compensation, which nasm writes without a hash prefix
  x86_64 | amd64)
    openh264=("satd_sad.o*" "mc_luma.o*") rav1e=("*rav1easm.*") rav1d=("*rav1dasm.*" "mc_avx2.o*")
    ;;
  # cc's objects of OpenH264's NEON code (hash-prefixed); rav1e's .S library;
  # rav1d's .S library (the same name as on x86_64) and cc's object of its
  # NEON motion compensation (src/arm/64/mc.S)
  aarch64 | arm64)
    openh264=("*pixel_aarch64_neon.o" "*mc_aarch64_neon.o") rav1e=("*rav1e-aarch64.*") rav1d=("*rav1dasm.*" "*-mc.o")
    ;;
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
for crate in openh264-sys2 rav1e rav1d; do
  out=$(ls -td "$build/$crate"-*/out 2>/dev/null | head -n1 || true)
  case "$crate" in
    openh264-sys2) globs=("${openh264[@]}") ;;
    rav1e) globs=("${rav1e[@]}") ;;
    rav1d) globs=("${rav1d[@]}") ;;
  esac
  for glob in "${globs[@]}"; do
    if [ -z "$out" ] || ! compgen -G "$out/$glob" >/dev/null; then
      missing+=("$crate: $glob in ${out:-$build/$crate-*/out (no build)}")
    fi
  done
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "the $arch build in $build lost its codecs' assembly (3x slower); missing:" >&2
  printf '  %s\n' "${missing[@]}" >&2
  echo "Fix: install nasm (bash scripts/setup.sh), unset OPENH264_NO_ASM, then" \
    "cargo clean -p openh264-sys2 -p rav1e -p rav1d --release [--target TRIPLE], and build again." >&2
  exit 1
fi
echo "assembly: $arch objects of openh264-sys2, rav1e and rav1d present in $build"
