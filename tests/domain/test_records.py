"""`record`: a slotted value dataclass that mypy treats as frozen (see its module)."""

from __future__ import annotations

import dataclasses
import pickle
import textwrap
from dataclasses import field
from pathlib import Path

import pytest

from coinpilot.domain.records import record


@record
class Point:
    x: int
    y: int = 2
    tags: list[str] = field(default_factory=list)


def test_value_semantics_like_a_frozen_dataclass() -> None:
    p = Point(1)
    assert (p.x, p.y, p.tags) == (1, 2, [])
    assert Point(1).tags is not p.tags
    assert Point(x=5, y=6) == Point(5, 6) != Point(5, 7)
    assert hash(Point(1, 2, ())) == hash(Point(1, 2, ()))  # type: ignore[arg-type]
    assert not hasattr(p, "__dict__")
    assert dataclasses.replace(p, y=9) == Point(1, 9)
    assert pickle.loads(pickle.dumps(p)) == p


def test_mypy_rejects_assignment_to_a_record_field(tmp_path: Path) -> None:
    api = pytest.importorskip("mypy.api")
    snippet = tmp_path / "snippet.py"
    snippet.write_text(textwrap.dedent("""
        from coinpilot.domain.records import record

        @record
        class Point:
            x: int

        p = Point(1)
        p.x = 2
    """))
    out, _, status = api.run([str(snippet), "--no-incremental", "--follow-imports=silent",
                              "--config-file=", "--python-version=3.11"])
    assert status == 1, out
    assert 'Property "x" defined in "Point" is read-only' in out, out
    assert snippet.name in out
