"""What can be traded where: symbol specs and the catalog that finds them.

A `SymbolSpec` is venue-neutral (Binance USDⓈ-M perpetuals and Upbit KRW spot both fit); the
exchange packages build them from venue payloads. `MarketCatalog.get` is the single lookup and
answers a typo with "did you mean" suggestions. `CachedCatalog` keeps a catalog for a TTL (C34:
24 h) and can be invalidated when the venue rejects an order on a filter (A09).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from coinpilot.domain.enums import MarketType, Venue
from coinpilot.domain.errors import UnknownSymbolError
from coinpilot.domain.filters import SymbolFilters

_PLAIN_SYMBOL = re.compile(r"[A-Z0-9]{1,30}(?:-[A-Z0-9]{1,30})?")


def check_symbol_name(text: str) -> str:
    """`text` upper-cased if it is a plain venue symbol ('BTCUSDT', Upbit's 'KRW-BTC').

    Symbols become file and folder names in the candle store and results, so anything else
    (a '/', '..', spaces) is refused here rather than escaping the store. ValueError says why.
    """
    symbol = str(text).strip().upper()
    if not _PLAIN_SYMBOL.fullmatch(symbol):
        raise ValueError(
            f"{text!r} is not a plain symbol name: use the venue's id, letters and digits "
            "(BTCUSDT) or Upbit's KRW-BTC"
        )
    return symbol


@dataclass(frozen=True, slots=True)
class SymbolSpec:
    """One tradable instrument.

    `symbol` is the venue's own id ("BTCUSDT", "KRW-BTC"). `quote` is the currency prices are
    in; `margin_asset` is what margin and PnL settle in (the quote for spot). `contract_type`
    keeps the venue's word ("PERPETUAL", "CURRENT_QUARTER", "SPOT"). `status` is the venue's
    status ("TRADING" means orders are accepted).
    """

    venue: Venue
    market: MarketType
    symbol: str
    base: str
    quote: str
    margin_asset: str
    contract_type: str
    filters: SymbolFilters
    status: str = "TRADING"
    onboard_date: datetime | None = None
    order_types: frozenset[str] = field(default_factory=frozenset)
    time_in_force: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_trading(self) -> bool:
        return self.status == "TRADING"

    @property
    def unified(self) -> str:
        """The ccxt unified symbol: "BTC/USDT:USDT" for a linear perpetual,
        "BTC/USDT:USDT-250328" for a delivery contract (venue id "BTCUSDT_250328"), "BTC/KRW" spot.
        """
        pair = f"{self.base}/{self.quote}"
        if self.market is not MarketType.FUTURES:
            return pair
        _, _, expiry = self.symbol.partition("_")
        return f"{pair}:{self.margin_asset}" + (f"-{expiry}" if expiry else "")


def _key(venue: Venue | str, market: MarketType | str, symbol: str) -> tuple[Venue, MarketType, str]:
    return Venue(venue), MarketType(market), symbol.strip().upper()


class MarketCatalog:
    """Immutable set of SymbolSpecs keyed by (venue, market, symbol).

    Lookups accept the venue id or the ccxt unified symbol, in any letter case.
    """

    def __init__(self, specs: Iterable[SymbolSpec] = ()) -> None:
        self._specs: dict[tuple[Venue, MarketType, str], SymbolSpec] = {}
        self._aliases: dict[tuple[Venue, MarketType, str], str] = {}
        for spec in specs:
            key = _key(spec.venue, spec.market, spec.symbol)
            if key in self._specs:
                raise ValueError(f"duplicate symbol spec for {key}")
            self._specs[key] = spec
            self._aliases[_key(spec.venue, spec.market, spec.unified)] = key[2]

    def get(self, venue: Venue | str, market: MarketType | str, symbol: str) -> SymbolSpec:
        """The spec, or UnknownSymbolError naming close matches."""
        key = _key(venue, market, symbol)
        spec = self._specs.get(key)
        if spec is None and key in self._aliases:
            spec = self._specs[(key[0], key[1], self._aliases[key])]
        if spec is not None:
            return spec
        known = self.symbols(key[0], key[1])
        close = difflib.get_close_matches(key[2], known, n=3, cutoff=0.6)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        where = f"{key[0].value} {key[1].value}"
        raise UnknownSymbolError(
            f"unknown symbol {symbol!r} on {where} ({len(known)} symbols known).{hint}"
        )

    def symbols(self, venue: Venue | str, market: MarketType | str, *, trading_only: bool = False) -> list[str]:
        v, m = Venue(venue), MarketType(market)
        return sorted(
            s.symbol
            for (kv, km, _), s in self._specs.items()
            if kv is v and km is m and (s.is_trading or not trading_only)
        )

    def merged(self, other: MarketCatalog) -> MarketCatalog:
        """A catalog holding both; `other` wins where both list the same symbol."""
        combined = {**self._specs, **other._specs}
        return MarketCatalog(combined.values())

    def __contains__(self, key: object) -> bool:
        if not (isinstance(key, tuple) and len(key) == 3):
            return False
        try:
            self.get(*key)
        except (UnknownSymbolError, ValueError):
            return False
        return True

    def __iter__(self) -> Iterator[SymbolSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)


class CachedCatalog:
    """A catalog refreshed from `loader` when older than `ttl`, or after `invalidate()`.

    The clock is injected so tests (and the replay clock) control time. A loader failure with a
    catalog in hand keeps serving the old one (trading on day-old filters beats not trading) and
    retries after `retry_after`, not on every call, so an outage does not hammer the venue.
    """

    def __init__(
        self,
        loader: Callable[[], MarketCatalog],
        *,
        ttl: timedelta = timedelta(hours=24),
        retry_after: timedelta = timedelta(minutes=5),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._loader = loader
        self._ttl = ttl
        self._retry_after = min(retry_after, ttl)
        self._clock = clock
        self._catalog: MarketCatalog | None = None
        self._loaded_at: datetime | None = None

    def catalog(self) -> MarketCatalog:
        now = self._clock()
        stale = self._loaded_at is None or now - self._loaded_at >= self._ttl
        if self._catalog is None or stale:
            try:
                self._catalog = self._loader()
            except Exception:
                if self._catalog is None:
                    raise
                self._loaded_at = now - self._ttl + self._retry_after
            else:
                self._loaded_at = now
        return self._catalog

    def get(self, venue: Venue | str, market: MarketType | str, symbol: str) -> SymbolSpec:
        return self.catalog().get(venue, market, symbol)

    def invalidate(self) -> None:
        """Force a reload on next use (call after a filter rejection from the venue)."""
        self._loaded_at = None

    @property
    def loaded_at(self) -> datetime | None:
        return self._loaded_at
