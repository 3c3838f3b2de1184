"""Regenerate ``plugins/polymarket/gen`` from ``protos/polymarket/v1/*.proto``.

Run ``python -m plugins.polymarket.protogen`` after editing a .proto. The
generated modules are checked in; ``tests/plugins/polymarket/test_protos.py``
regenerates them into a temporary folder and fails when the checked-in copy is
stale.

protoc writes ``from polymarket.v1 import enums_pb2``-style imports (the proto
package path). We flatten the output into ``gen/`` and rewrite those imports
to package-relative ones (``from . import enums_pb2``) so the generated code
needs no ``sys.path`` shim.
"""

from __future__ import annotations

import re
import sys
import tempfile
from importlib.resources import files
from pathlib import Path

__all__ = ["GEN_DIR", "PROTO_ROOT", "generate"]

REPO = Path(__file__).resolve().parents[2]
PROTO_ROOT = REPO / "protos"
GEN_DIR = Path(__file__).resolve().parent / "gen"
_IMPORT = re.compile(r"^from polymarket\.v1 import (\w+_pb2)", re.MULTILINE)
_HEADER = '"""Generated from protos/polymarket/v1 by plugins.polymarket.protogen; do not edit."""\n'


def generate(out_dir: Path) -> list[Path]:
    """Run protoc over every .proto into ``out_dir``; returns the files written."""
    from grpc_tools import protoc

    protos = sorted((PROTO_ROOT / "polymarket" / "v1").glob("*.proto"))
    well_known = str(files("grpc_tools") / "_proto")
    with tempfile.TemporaryDirectory() as tmp:
        args = [
            "protoc",
            f"-I{PROTO_ROOT}",
            f"-I{well_known}",
            f"--python_out={tmp}",
            f"--pyi_out={tmp}",  # type stubs for mypy
            f"--grpc_python_out={tmp}",
            *(str(p.relative_to(PROTO_ROOT)) for p in protos),
        ]
        if protoc.main(args) != 0:
            raise RuntimeError(f"protoc failed: {' '.join(args)}")
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for src in sorted((Path(tmp) / "polymarket" / "v1").glob("*.py*")):
            text = _IMPORT.sub(r"from . import \1", src.read_text())
            dst = out_dir / src.name
            dst.write_text(text if src.suffix == ".pyi" else _HEADER + text)
            written.append(dst)
    return written


if __name__ == "__main__":
    for path in generate(GEN_DIR):
        print(path.name)
    sys.exit(0)
