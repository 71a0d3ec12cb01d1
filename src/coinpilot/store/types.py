"""Column types that keep money exact and time in UTC on SQLite and PostgreSQL alike.

- `DecimalType`: NUMERIC(38, 18) on PostgreSQL; on SQLite (which would store NUMERIC as a
  binary float) the exact decimal text. Floats are refused at bind time: money never passes
  through binary floating point on its way to disk (STYLE: no float money). Consequence on
  SQLite: compare and sum money in Python, not in SQL.
- `UTCDateTime`: refuses naive datetimes (SPEC P104: tz not validated on upsert), stores UTC,
  and always returns timezone-aware UTC datetimes.
- `json_dumps`: the engine's JSON serializer; raw venue payloads carry Decimals and datetimes.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import DateTime, Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from coinpilot.domain.money import decimal_places

MONEY_PRECISION = 38
MONEY_SCALE = 18


class DecimalType(TypeDecorator[Decimal]):
    """Exact decimal column: at most 18 digits after the point and 20 before."""

    impl = Numeric(MONEY_PRECISION, MONEY_SCALE, asdecimal=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(MONEY_PRECISION + 2))
        return dialect.type_descriptor(Numeric(MONEY_PRECISION, MONEY_SCALE, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise TypeError(
                f"money/quantity columns take Decimal, got {type(value).__name__} {value!r}; "
                "convert with coinpilot.domain.money.to_decimal"
            )
        d = value if type(value) is Decimal else Decimal(value)
        _, digits, exponent = d.as_tuple()
        if not isinstance(exponent, int):  # 'n', 'N', 'F': NaN, sNaN, Infinity
            raise ValueError(f"cannot store {d} in a money column")
        whole_digits = len(digits) + exponent
        # trailing zeros do not count as places: only a long exponent needs the normalize
        too_fine = exponent < -MONEY_SCALE and decimal_places(d) > MONEY_SCALE
        if too_fine or whole_digits > MONEY_PRECISION - MONEY_SCALE:
            raise ValueError(
                f"{d} does not fit NUMERIC({MONEY_PRECISION},{MONEY_SCALE}); round it with the "
                "symbol filters before storing"
            )
        return format(d, "f") if dialect.name == "sqlite" else d

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps in, timezone-aware UTC timestamps out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"timestamp columns take datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                f"naive datetime {value.isoformat()} refused: pass a timezone-aware time "
                "(e.g. datetime.now(UTC)); a naive value would be read back as the wrong hour"
            )
        utc = value.astimezone(UTC)
        # SQLite has no time zone type: store the UTC wall time and re-attach UTC on read
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_dumps(value: Any) -> str:
    """Compact JSON; Decimals become strings so they round-trip exactly."""
    return json.dumps(value, default=_json_default, separators=(",", ":"), ensure_ascii=False)
