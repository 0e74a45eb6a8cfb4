#!/usr/bin/env bash
# Every check and test of the repository: what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export CARGO_TERM_COLOR=never

step() { printf '\n== %s\n' "$*"; }

step "rustfmt"
cargo fmt --all -- --check

step "build (release)"
cargo build --release -j2 --workspace --all-targets
# openh264-sys2 drops its assembly silently when nasm is missing at build
# time and does not rebuild when nasm appears later: refuse such a build.
bash scripts/check_asm.sh "$(uname -m)" target/release/build

step "clippy"
cargo clippy --release -j2 --workspace --all-targets -- -D warnings

step "cargo test (release: the tests encode a lot)"
cargo test --release -j2 --workspace

step "Python package: the manylinux wheel (scripts/wheel.sh), installed; pytest tests it"
bash scripts/wheel.sh
python3 -m pip install -q --disable-pip-version-check "maturin>=1.5,<2" "pytest>=7" "hypothesis>=6" "matplotlib>=3.5" numpy ruff mypy cloudpickle "dask[array]" distributed "imageio>=2.28" "xarray" "pillow" "pyvista" 2>&1 | grep -v "as the 'root' user" || true
python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore --force-reinstall --no-deps dist/framesink-*-cp39-abi3-*manylinux_2_17_x86_64.whl

step "ruff, mypy, stubtest"
ruff check crates/framesink-py examples scripts
ruff format --check crates/framesink-py examples scripts
(cd crates/framesink-py && python3 -m mypy python/framesink)
python3 -m mypy.stubtest framesink._framesink

step "release workflow: actionlint, zizmor (it runs on GitHub's runners, never here)"
bash scripts/lint_workflows.sh

step "pytest"
FRAMESINK_REQUIRE_WHEEL=1 python3 -m pytest crates/framesink-py/tests -q -p no:cacheprovider

step "fuzz targets: build, and 20 s each (scripts/fuzz.sh; the long runs are in bench/results/)"
bash scripts/fuzz.sh 20
