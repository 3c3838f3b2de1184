#!/usr/bin/env bash
# CI: the whole suite again on the pure-Python sources, after `make test` ran it
# on the compiled hot paths (tools/build-native.sh). The copy of the tracked
# files holds no compiled module and comes first on PYTHONPATH, also for the
# subprocesses the tests start. Nothing to do when make built no compiled
# modules (it tested the sources then). Exits non-zero on any failure.
#
#   bash .ci/pure.sh            # uses .venv/bin/python (make install), or $PYTHON
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || { echo "pure.sh: no $PY (run \`make install\` or set PYTHON)" >&2; exit 2; }

if [ "$("$PY" -c 'from framework.tools.native import compiled_modules; print(compiled_modules())')" = 0 ]; then
    echo "pure.sh: make test already ran on pure Python (nothing compiled here)" >&2
    exit 0
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/backplane-pure.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$TMP"

export PYTHONPATH="$TMP"
cd "$TMP"
"$PY" -c '
from framework.tools.native import compiled_modules
assert compiled_modules() == 0, "the pure copy imports compiled modules"
print("pure.sh: the suite on the pure-Python sources")'
"$PY" -m pytest -q -n 2 -p no:cacheprovider
