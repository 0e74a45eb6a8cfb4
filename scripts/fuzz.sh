#!/usr/bin/env bash
# Fuzzes every cargo-fuzz target in fuzz/ for SECONDS each, one after the
# other: `bash scripts/fuzz.sh SECONDS [TARGET...]`. Fails if a target
# crashes, goes over 1 GiB (-rss_limit_mb) or takes over 10 s on one input.
# The committed seeds (fuzz/corpus/TARGET) are only read: new inputs go to a
# scratch corpus (FUZZ_WORK, default a temporary directory), crashes to
# fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: bash scripts/fuzz.sh SECONDS [TARGET...]   (targets: y4m raw args frames mp4_part reader)" >&2
  exit 2
}
[[ $# -ge 1 && $1 =~ ^[0-9]+$ && $1 -gt 0 ]] || usage
seconds=$1
shift
all=(y4m raw args frames mp4_part reader)
targets=("$@")
[[ $# -gt 0 ]] || targets=("${all[@]}")

# The largest input each target takes: enough for its seeds (a Y4M of a few
# small frames, a 32x32 MP4 part), small enough to stay fast.
max_len() {
  case $1 in
    y4m) echo 16384 ;;
    raw) echo 8192 ;;
    args) echo 1024 ;;
    frames) echo 2048 ;;
    mp4_part) echo 16384 ;;
    reader) echo 65536 ;;
    *) echo "unknown target $1; targets: ${all[*]}" >&2; exit 2 ;;
  esac
}
for t in "${targets[@]}"; do max_len "$t" >/dev/null; done

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz.sh: a nightly Rust toolchain is needed (cargo-fuzz builds with sanitizers): rustup toolchain install nightly" >&2
  exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: cargo-fuzz is missing; installing it (cargo install cargo-fuzz --locked, a few minutes)" >&2
  cargo install cargo-fuzz --locked
fi

echo "== build (release, debug assertions and AddressSanitizer: cargo fuzz's defaults)"
(cd fuzz && cargo +nightly fuzz build)
bin=fuzz/target/x86_64-unknown-linux-gnu/release

work=${FUZZ_WORK:-$(mktemp -d)}
mkdir -p "$work"
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$work/$t" "fuzz/artifacts/$t"
  log="$work/$t.log"
  echo "== $t: ${seconds} s (log: $log)"
  status=0
  # The scratch corpus first: libFuzzer writes new inputs into the first
  # directory only, so the seeds stay as committed.
  # rav1d leaks a few bytes a decoded AV1 picture (fuzz/lsan-suppressions.txt).
  LSAN_OPTIONS="suppressions=$PWD/fuzz/lsan-suppressions.txt" \
  "$bin/$t" "$work/$t" "fuzz/corpus/$t" \
    -max_total_time="$seconds" -rss_limit_mb=1024 -timeout=10 \
    -max_len="$(max_len "$t")" -print_final_stats=1 \
    -artifact_prefix="fuzz/artifacts/$t/" >"$log" 2>&1 || status=$?
  # The last progress line (runs, cov:, ft:, exec/s, rss) and the totals.
  grep -E '^#[0-9]+' "$log" | tail -n 1 || true
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" | tr '\n' ' ' || true
  echo
  if [[ $status -ne 0 ]]; then
    echo "!! $t FAILED (exit $status):" >&2
    grep -E 'ERROR: libFuzzer|ERROR: AddressSanitizer|panicked at|SUMMARY|Test unit written' "$log" | head -n 8 >&2 || true
    failed+=("$t")
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz.sh: failed: ${failed[*]} (inputs in fuzz/artifacts/; rerun one with $bin/TARGET FILE)" >&2
  exit 1
fi
echo "fuzz.sh: ${targets[*]}: no crash, no input over 1 GiB or 10 s in ${seconds} s each"
