"""Dispensing lists: per fill period, how much of each product the schedule uses."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from fractions import Fraction

from benzoplan.taper._model import DispensingItem, Fill, TaperStep
from benzoplan.taper._products import ProductRef

__all__ = ["daily_use", "dispensing"]


def daily_use(step: TaperStep) -> dict[ProductRef, Fraction]:
    """Tablets (exact fractions) or mL of each product one day of ``step`` uses."""
    use: dict[ProductRef, Fraction] = {}
    for a in step.administrations:
        amount = a.volume_ml if a.volume_ml is not None else a.count
        assert amount is not None
        use[a.product] = use.get(a.product, Fraction(0)) + amount
    return use


def _order(p: ProductRef) -> tuple[str, bool, Fraction, str]:
    return (p.drug, p.liquid, -p.strength, p.form)


def dispensing(steps: Sequence[TaperStep], fill_days: int) -> tuple[Fill, ...]:
    """Fill periods of ``fill_days`` from the first step to the last dosing day.

    ``quantity`` is exactly what the days of the period use (a split tablet counts as its
    fraction), so quantities over all fills sum exactly to the schedule. ``dispense`` is what
    to hand out: whole tablets, with the unused part of a split tablet carried to the next
    fill, and the exact volume of a liquid.
    """
    dosing = [s for s in steps if s.kind != "stop" and s.days > 0]
    if not dosing:
        return ()
    first = dosing[0].start
    last = max(s.end for s in dosing)
    per_step = [(s.start, s.end, daily_use(s)) for s in dosing]
    fills: list[Fill] = []
    consumed: dict[ProductRef, Fraction] = {}
    handed: dict[ProductRef, Fraction] = {}
    f_start = first
    while f_start <= last:
        f_end = min(f_start + dt.timedelta(days=fill_days - 1), last)
        qty: dict[ProductRef, Fraction] = {}
        for s_start, s_end, use in per_step:
            lo, hi = max(s_start, f_start), min(s_end, f_end)
            if lo > hi:
                continue
            n = (hi - lo).days + 1
            for product, amount in use.items():
                qty[product] = qty.get(product, Fraction(0)) + amount * n
        items: list[DispensingItem] = []
        for product in sorted(qty, key=_order):
            q = qty[product]
            consumed[product] = consumed.get(product, Fraction(0)) + q
            if product.liquid:
                give = q
            else:
                give = Fraction(math.ceil(consumed[product])) - handed.get(product, Fraction(0))
            handed[product] = handed.get(product, Fraction(0)) + give
            items.append(DispensingItem(product=product, quantity=q, dispense=give))
        fills.append(Fill(start=f_start, end=f_end, items=tuple(items)))
        f_start = f_end + dt.timedelta(days=1)
    return tuple(fills)
