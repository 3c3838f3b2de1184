#!/usr/bin/env bash
# CI check of the optional compiled build (`make native`, see setup.py): in a
# throwaway copy of the tracked files, compile the hot-path modules with mypyc
# and run the book, dYdX, Polymarket and risk tests against the compiled modules. The
# copy keeps the checkout itself pure Python. Exits non-zero on any failure.
#
#   bash .ci/native.sh            # uses .venv/bin/python (make install), or $PYTHON
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || { echo "native.sh: no $PY (run \`make install\` or set PYTHON)" >&2; exit 2; }

# A C compiler and Python's headers (Debian's packages when missing, as for
# redis). The compiled build is optional: a machine that cannot get them skips
# this check, saying so loudly; a build or test failure still fails it.
apt_install() {
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "native.sh: installing $* (apt-get)" >&2
    $sudo apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >&2
}
skip() { echo "native.sh: SKIPPED, the compiled build was not tested: $*" >&2; exit 0; }
command -v cc >/dev/null 2>&1 || apt_install gcc || skip "no C compiler and apt-get could not install gcc"
HEADERS="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
DEV="$("$PY" -c 'import sys; print(f"libpython{sys.version_info[0]}.{sys.version_info[1]}-dev")')"
[ -f "$HEADERS/Python.h" ] || apt_install "$DEV" || skip "no Python.h in $HEADERS and apt-get could not install $DEV"
[ -f "$HEADERS/Python.h" ] || skip "no Python.h in $HEADERS"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/backplane-native.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

# The tracked files as they are in the working tree (no .venv, no stale builds).
git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$TMP"

"$PY" -c 'import mypyc' 2>/dev/null || "$PY" -m pip install --quiet mypy
cd "$TMP"
BACKPLANE_MYPYC=1 PYTHONWARNINGS=ignore "$PY" setup.py --quiet build_ext --inplace >/dev/null

# The shared mypyc library must live inside a package: a top-level one is
# importable only from the repo root, not by an editable install elsewhere.
if ls ./*__mypyc* >/dev/null 2>&1; then
    echo "native.sh: the mypyc runtime library was built at the top level" >&2
    exit 1
fi

# PYTHONPATH puts the copy (and its compiled modules) before an editable install.
export PYTHONPATH="$TMP"
"$PY" -c '
from bench._native import NATIVE_MODULES, compiled_modules
n = compiled_modules()
assert n == len(NATIVE_MODULES), f"{n} of {len(NATIVE_MODULES)} modules compiled"
print(f"native.sh: {n} compiled modules")'
"$PY" -m pytest -q -n 2 -p no:cacheprovider \
    tests/test_native_build.py \
    tests/framework/test_l2book.py tests/framework/test_l3book.py tests/framework/test_books_properties.py \
    tests/plugins/dydx tests/plugins/polymarket tests/framework/risk
