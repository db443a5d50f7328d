#!/bin/sh
# The image's install steps (the Dockerfile's build stage runs exactly this), also run by
# tests/production/test_image.py in a fresh virtualenv where Docker is not available.
#
#   deploy/install.sh VENV [SRC]
#
# Makes a virtualenv at VENV, installs the project from SRC (default: .) with its
# dependencies as wheels (no editable install), checks the dependencies are consistent,
# and removes pip, setuptools and wheel from the virtualenv: the running image installs
# nothing.
set -eu
VENV="$1"
SRC="${2:-.}"
PYTHON="${PYTHON:-python3}"

"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --no-cache-dir --disable-pip-version-check --quiet "$SRC"
"$VENV/bin/python" -m pip check
"$VENV/bin/python" -m pip uninstall --yes --quiet pip setuptools wheel 2>/dev/null || true
"$VENV/bin/hocai" lessons check
