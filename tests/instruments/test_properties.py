"""Hypothesis: totals stay in range, bands are monotone in the score, drivers explain the band."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benzoplan.instruments import Instrument, get_instrument, list_instruments, score

NAMES = [i.name for i in list_instruments()]


@st.composite
def valid_answers(draw: st.DrawFn, inst: Instrument) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in inst.items:
        if item.ask_if is not None and out.get(str(item.ask_if.item)) not in item.ask_if.values:
            continue
        out[str(item.number)] = draw(st.sampled_from(item.allowed))
    return out


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_total_in_range_and_band_contains_total(name: str, data: st.DataObject) -> None:
    inst = get_instrument(name)
    s = score(inst, data.draw(valid_answers(inst)))
    assert inst.min_total <= s.total <= inst.max_total
    assert s.band.low <= s.total <= s.band.high
    for sub in inst.subscales:
        assert 0 <= s.subscales[sub.name] <= s.total if inst.scoring == "sum" else True


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_band_monotone_in_score(name: str, data: st.DataObject) -> None:
    inst = get_instrument(name)
    a = score(inst, data.draw(valid_answers(inst)))
    b = score(inst, data.draw(valid_answers(inst)))
    order = [band.code for band in inst.bands]
    if a.total <= b.total:
        assert order.index(a.band.code) <= order.index(b.band.code)
    else:
        assert order.index(a.band.code) >= order.index(b.band.code)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_raising_one_answer_never_lowers_the_band(name: str, data: st.DataObject) -> None:
    inst = get_instrument(name)
    answers = data.draw(valid_answers(inst))
    key = data.draw(st.sampled_from(sorted(answers)))
    item = inst.item(int(key))
    higher = [v for v in item.allowed if v > answers[key]]
    if not higher or item.reverse:
        return
    raised = {**answers, key: data.draw(st.sampled_from(higher))}
    if any(i.ask_if is not None and i.ask_if.item == int(key) for i in inst.items):
        return  # opening a skip branch changes which items are asked
    order = [band.code for band in inst.bands]
    assert order.index(score(inst, raised).band.code) >= order.index(
        score(inst, answers).band.code)


@pytest.mark.parametrize("name", [n for n in NAMES if get_instrument(n).scoring == "sum"])
@given(data=st.data())
def test_drivers_alone_reach_the_band(name: str, data: st.DataObject) -> None:
    inst = get_instrument(name)
    s = score(inst, data.draw(valid_answers(inst)))
    assert sum(d.value for d in s.drivers) >= s.band.low
    assert sum(d.value for d in s.drivers[:-1]) < s.band.low or not s.drivers
