#!/usr/bin/env bash
# Compile the hot paths in place with mypyc (setup.py, framework/tools/native.py), or
# say loudly why this machine runs them as pure Python. `make install` runs it.
#
#   tools/build-native.sh PYTHON [STAMP]
#   tools/build-native.sh --remove [STAMP]    # only remove them (`make pure`)
#
# Exits 0 with a compiled tree (and touches STAMP), or with a pure tree and a
# loud note when BACKPLANE_PURE is set, the machine has no C compiler or no
# Python headers, or the build fails (STAMP untouched: the next make tries
# again). With BACKPLANE_REQUIRE_NATIVE=1 (CI) a failed build exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${1:?usage: tools/build-native.sh PYTHON|--remove [STAMP]}"
STAMP="${2:-}"

# The compiled modules sit beside their .py files and win imports: remove them
# all (and the stamp that says they are current).
remove_compiled() {
    [ -z "$STAMP" ] || rm -f "$STAMP"
    find framework plugins -name '*.so' -delete
    rm -f ./*__mypyc*.so  # where builds before framework.tools.native put the runtime
    rm -rf build
}

if [ "$PY" = "--remove" ]; then
    remove_compiled
    exit 0
fi

if [ -n "${BACKPLANE_PURE:-}" ]; then
    remove_compiled
    echo "build-native: BACKPLANE_PURE is set: the hot paths run as pure Python" >&2
    exit 0
fi
HEADERS="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
if ! command -v cc >/dev/null 2>&1 || [ ! -f "$HEADERS/Python.h" ]; then
    remove_compiled
    cat >&2 <<MSG
build-native: NOTE: no C compiler (cc) or no Python headers ($HEADERS/Python.h),
so the hot paths (books, dYdX and Polymarket codecs, limiter window) run as
pure Python, about half as fast. Install gcc and python3-dev (Debian:
libpythonX.Y-dev) and run \`make install\` again to compile them.
MSG
    exit 0
fi

# A failed build must not leave a mix of old and new modules behind.
remove_compiled
echo "build-native: compiling the hot paths with mypyc (about a minute)..." >&2
if ! BACKPLANE_MYPYC=1 PYTHONWARNINGS=ignore "$PY" setup.py --quiet build_ext --inplace >/dev/null; then
    remove_compiled
    echo "build-native: WARNING: the compiled build FAILED (output above); the hot paths run as pure Python" >&2
    [ -z "${BACKPLANE_REQUIRE_NATIVE:-}" ] || exit 1
    exit 0
fi
# The shared mypyc runtime must live inside a package: a top-level one is
# importable only from the repo root, not by the editable install elsewhere.
if ls ./*__mypyc* >/dev/null 2>&1; then
    echo "build-native: the mypyc runtime library was built at the top level" >&2
    exit 1
fi
"$PY" -c '
from framework.tools.native import NATIVE_MODULES, compiled_modules
n = compiled_modules()
assert n == len(NATIVE_MODULES), f"only {n} of {len(NATIVE_MODULES)} modules compiled"
print(f"build-native: {n} modules compiled")' >&2
[ -z "$STAMP" ] || touch "$STAMP"
