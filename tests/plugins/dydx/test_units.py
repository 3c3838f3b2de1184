"""The venue reference's worked unit examples, exactly."""

from decimal import Decimal

from plugins.dydx.units import GENESIS


def test_btc_worked_example():
    _, p = GENESIS["BTC-USD"]
    assert p.price_of_subticks(10_033_200_000) == Decimal(100332)
    assert p.size_of_quantums(839_000_000) == Decimal("0.0839")
    inst = p.instrument("dydx", "BTC-USD")
    assert inst.tick_size == Decimal(1) and inst.lot_size == Decimal("0.0001")
    assert inst.price(10_033_200_000 // p.subticks_per_tick) == Decimal(100332)
    assert inst.size(839_000_000 // p.step_base_quantums) == Decimal("0.0839")
    # notional cross-check: 8417.8548 USDC
    assert Decimal(839_000_000 * 10_033_200_000).scaleb(p.quantum_conversion_exponent - 6) == Decimal("8417.8548")


def test_eth_worked_example():
    _, p = GENESIS["ETH-USD"]
    assert p.price_of_subticks(3_631_800_000) == Decimal("3631.8")
    assert p.size_of_quantums(1_101_000_000) == Decimal("1.101")
    inst = p.instrument("dydx", "ETH-USD")
    assert inst.tick_size == Decimal("0.1") and inst.lot_size == Decimal("0.001")
