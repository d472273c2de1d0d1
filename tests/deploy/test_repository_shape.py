"""The layout stays readable: no source file over 400 lines outside migrations, tests and data."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("actions", "bot", "console", "dataservice", "privacy", "sentence_vectors", "signing", "scripts", "bench", "docker")
LIMIT = 400
# Generated or vendored: the web chat's built bundle and installed packages.
SKIP_PARTS = {"migrations", "node_modules", "dist", "vendor", "__pycache__"}


def source_files():
    for top in SOURCES:
        for path in (ROOT / top).rglob("*"):
            if path.suffix in {".py", ".js", ".sh"} and not SKIP_PARTS & set(path.parts):
                yield path


def test_no_source_file_is_over_400_lines():
    files = list(source_files())
    assert len(files) > 100  # the walk really found the sources
    long = {str(p.relative_to(ROOT)): n for p in files
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > LIMIT}
    assert long == {}
