#!/usr/bin/env bash
# CI: a C compiler and Python's headers, so that `make test` compiles the hot
# paths (tools/build-native.sh) as a user's machine with them does. Installed
# from Debian's packages when missing; a machine that cannot get them goes on
# (make then tests pure Python, and says so).
#
#   bash .ci/compiler.sh            # for $PYTHON, default python3 (the Makefile's)
set -euo pipefail
PY="${PYTHON:-python3}"
. "$(dirname "$0")/apt.sh"

HEADERS="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
DEV="$("$PY" -c 'import sys; print(f"libpython{sys.version_info[0]}.{sys.version_info[1]}-dev")')"
command -v cc >/dev/null 2>&1 || apt_install gcc || echo "compiler.sh: no C compiler: make will test pure Python only" >&2
[ -f "$HEADERS/Python.h" ] || apt_install "$DEV" || echo "compiler.sh: no $HEADERS/Python.h: make will test pure Python only" >&2
