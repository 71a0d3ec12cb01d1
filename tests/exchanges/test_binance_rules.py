"""Binance exchangeInfo and leverage brackets → domain specs, against the bundled real payloads."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from coinpilot.domain.enums import OrderSide
from coinpilot.domain.errors import DataError, NotionalTooSmall, UnknownSymbolError
from coinpilot.domain.filters import BINANCE_FUTURES
from coinpilot.exchanges.binance.rules import (
    EXCHANGE_INFO_FILE,
    LEVERAGE_TIERS_FILE,
    bundled_catalog,
    ccxt_to_binance_id,
    leverage_tiers,
    load_exchange_info,
    load_leverage_tiers,
    parse_exchange_info,
)

D = Decimal
SLICE = (
    Path(__file__).resolve().parents[3]
    / "shared/reference/binance/exchange_info/fapi_v1_exchangeInfo_2025-12-24_alphadogs_slice_6symbols.json"
)


def test_bundled_files_ship_inside_the_package() -> None:
    data = resources.files("coinpilot.exchanges.binance").joinpath("data")
    assert data.joinpath(EXCHANGE_INFO_FILE).is_file()
    assert data.joinpath(LEVERAGE_TIERS_FILE).is_file()
    assert data.joinpath("README.md").is_file()


def test_bundled_catalog_counts_and_statuses() -> None:
    catalog = bundled_catalog()
    assert len(catalog) == 660
    assert len(catalog.symbols("binance", "futures", trading_only=True)) == 559


def test_btcusdt_filters_are_parsed_exactly() -> None:
    spec = bundled_catalog().get("binance", "futures", "BTCUSDT")
    f = spec.filters
    assert (spec.base, spec.quote, spec.margin_asset, spec.contract_type) == ("BTC", "USDT", "USDT", "PERPETUAL")
    assert spec.onboard_date == datetime(2019, 9, 25, 8, 0, tzinfo=UTC)
    assert (f.price.tick_size, f.price.min_price, f.price.max_price) == (D("0.10"), D("261.10"), D("809484"))
    assert (f.lot.step_size, f.lot.min_qty, f.lot.max_qty) == (D("0.001"), D("0.001"), D("1000"))
    assert f.market_lot is not None
    assert f.market_lot.step_size == D("0.001")
    assert f.min_notional == D("100")
    assert f.percent_price is not None
    assert f.percent_price.multiplier_up == D("1.0500")
    assert (f.price_precision, f.quantity_precision, f.max_num_orders) == (2, 3, 10000)
    assert f.style is BINANCE_FUTURES
    assert {"LIMIT", "STOP_MARKET"} <= spec.order_types
    assert "GTX" in spec.time_in_force


def test_min_notional_comes_from_exchange_info_not_hard_coded() -> None:
    """SPEC P104: the seed hard-coded MIN_NOTIONAL=5; the filter value differs per symbol."""
    catalog = bundled_catalog()
    btc = catalog.get("binance", "futures", "BTCUSDT").filters
    doge = catalog.get("binance", "futures", "DOGEUSDT").filters
    assert (btc.min_notional, doge.min_notional) == (D("100"), D("5"))
    with pytest.raises(NotionalTooSmall, match="no smaller than 100 "):
        btc.validate_order(OrderSide.BUY, D("0.001"), D("90000.0"))
    doge.validate_order(OrderSide.BUY, D("30"), D("0.200000"))


def test_c30_sizing_example_floors_to_the_symbol_step() -> None:
    """C30: balance 1000, 3 symbols, ratio 0.5, 10x, price 2.470853 → qty 674.5 (XRP step 0.1);
    DOGE needs integer quantities."""
    catalog = bundled_catalog()
    notional = D(1000) / 3 * D("0.5") * 10
    xrp = catalog.get("binance", "futures", "XRPUSDT").filters
    assert xrp.floor_qty_to_step(notional / D("2.470853")) == D("674.5")
    doge = catalog.get("binance", "futures", "DOGEUSDT").filters
    assert doge.floor_qty_to_step(notional / D("0.31234")) == D("5336")


def test_delivery_contracts_keep_their_own_ids() -> None:
    catalog = bundled_catalog()
    quarterly = catalog.get("binance", "futures", "BTC/USDT:USDT-260626")
    assert quarterly.symbol == "BTCUSDT_260626"
    assert quarterly.contract_type != "PERPETUAL"
    assert catalog.get("binance", "futures", "BTC/USDT:USDT").symbol == "BTCUSDT"


def test_the_six_symbol_slice_parses_to_the_same_specs() -> None:
    if not SLICE.is_file():
        pytest.skip(f"needs the shared reference payload at {SLICE}")
    sliced = load_exchange_info(SLICE)
    bundled = bundled_catalog()
    assert len(sliced) == 6
    for spec in sliced:
        assert bundled.get(spec.venue, spec.market, spec.symbol) == spec


def test_malformed_payloads_raise_data_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="symbols"):
        parse_exchange_info({"timezone": "UTC"})
    with pytest.raises(DataError, match="PRICE_FILTER"):
        parse_exchange_info({"symbols": [{"symbol": "X", "baseAsset": "X", "quoteAsset": "USDT",
                                          "filters": []}]})
    with pytest.raises(DataError, match="not found"):
        load_exchange_info(tmp_path / "missing.json")
    bad = tmp_path / "bad.json.gz"
    bad.write_bytes(gzip.compress(b"{not json"))
    with pytest.raises(DataError, match="not valid JSON"):
        load_exchange_info(bad)


def test_leverage_tiers_are_keyed_by_binance_id() -> None:
    tiers = load_leverage_tiers()
    assert len(tiers) == 349
    assert tiers["BTCUSDT"].tiers[0].max_leverage == 125
    assert tiers["BTCUSDT_241227"].tiers[0].max_leverage == 50  # quarterly ≠ perpetual brackets
    assert leverage_tiers("BTC/USDT:USDT") is leverage_tiers("btcusdt")
    with pytest.raises(UnknownSymbolError, match="Did you mean BTCUSDT"):
        leverage_tiers("BTCUSTD")


def test_ccxt_ids_map_to_venue_ids() -> None:
    assert ccxt_to_binance_id("1000PEPE/USDT:USDT") == "1000PEPEUSDT"
    assert ccxt_to_binance_id("ETH/USDT:USDT-250328") == "ETHUSDT_250328"


def test_custom_leverage_file(tmp_path: Path) -> None:
    path = tmp_path / "tiers.json"
    path.write_text(json.dumps({"ABC/USDT:USDT": [
        {"tier": 1, "minNotional": 0, "maxNotional": 100, "maintenanceMarginRate": 0.02, "maxLeverage": 10}]}))
    assert load_leverage_tiers(path)["ABCUSDT"].max_leverage(D(50)) == 10
    path.write_text(json.dumps({"ABC/USDT:USDT": [{"tier": 1}]}))
    with pytest.raises(DataError, match="ABC/USDT:USDT"):
        load_leverage_tiers(path)
