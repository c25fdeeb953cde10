"""Scoring against published bands and hand-computed cases, one block per instrument."""

from __future__ import annotations

from typing import Any

import pytest

from benzoplan.errors import InputError, UnknownItem
from benzoplan.instruments import Instrument, get_instrument, list_instruments, score


def answers_for(name: str, values: list[int]) -> dict[str, int]:
    return {str(i + 1): v for i, v in enumerate(values)}


def test_all_seven_instruments_present() -> None:
    names = [i.name for i in list_instruments()]
    assert names == ["ciwa-b", "bwsq", "sds", "isi", "phq-9", "cows", "c-ssrs"]


# --- PHQ-9: Kroenke, Spitzer & Williams 2001 (5, 10, 15, 20 = mild … severe) ---------------
@pytest.mark.parametrize(("total", "band"), [
    (0, "none-minimal"), (4, "none-minimal"), (5, "mild"), (9, "mild"), (10, "moderate"),
    (14, "moderate"), (15, "moderately-severe"), (19, "moderately-severe"), (20, "severe"),
    (27, "severe")])
def test_phq9_bands_kroenke_2001(total: int, band: str) -> None:
    values = [min(3, max(0, total - 3 * i)) for i in range(9)]
    values[8], values[7] = values[7], values[8]  # keep item 9 low where possible
    assert sum(values) == total
    s = score("phq-9", answers_for("phq-9", values))
    assert s.total == total and s.band.code == band and s.band.verified


def test_phq9_hand_computed_with_item9_safety_alert() -> None:
    # 2+1+3+2+0+1+0+2+1 = 12 → moderate; PHQ-2 = 3; item 9 = 1 → urgent alert.
    s = score("phq-9", answers_for("phq-9", [2, 1, 3, 2, 0, 1, 0, 2, 1]))
    assert s.total == 12 and s.band.code == "moderate"
    assert s.subscales == {"phq-2": 3}
    assert [a.code for a in s.alerts] == ["phq9-item9"] and s.alerts[0].level == "urgent"
    assert "988" in s.alerts[0].action
    # drivers: highest items first until the band floor (10) is reached: 3+2+2+2+1 = 10
    assert [d.item for d in s.drivers] == [3, 1, 4, 8, 2]


def test_phq9_item9_alert_even_at_minimal_total() -> None:
    s = score("phq-9", answers_for("phq-9", [0] * 8 + [1]))
    assert s.total == 1 and s.band.code == "none-minimal" and s.drivers == ()
    assert s.alerts and s.alerts[0].item == 9


def test_phq9_no_alert_when_item9_zero() -> None:
    assert score("phq-9", answers_for("phq-9", [3] * 8 + [0])).alerts == ()


def test_phq9_loinc_codes() -> None:
    inst = get_instrument("PHQ9")
    assert inst.loinc == "44249-1" and inst.total_loinc == "44261-6"
    assert inst.item(9).loinc == "44260-8" and inst.item(9).safety
    assert inst.item(1).text == "Little interest or pleasure in doing things"


# --- CIWA-B -------------------------------------------------------------------------------
def test_ciwa_b_hand_computed_parts() -> None:
    values = [2] * 17 + [1, 3, 0]  # patient 34, clinician 4 → 38 moderate
    s = score("ciwa-b", answers_for("ciwa-b", values))
    assert s.total == 38 and s.subscales == {"patient": 34, "clinician": 4}
    assert s.band.code == "moderate" and not s.band.verified
    assert s.max_total == 80


@pytest.mark.parametrize(("total", "band"), [(0, "none"), (1, "mild"), (20, "mild"),
                                              (21, "moderate"), (40, "moderate"),
                                              (41, "severe"), (60, "severe"),
                                              (61, "very-severe"), (80, "very-severe")])
def test_ciwa_b_band_edges(total: int, band: str) -> None:
    values = [min(4, max(0, total - 4 * i)) for i in range(20)]
    assert score("ciwa-b", answers_for("ciwa-b", values)).band.code == band


def test_ciwa_b_ships_domains_not_text() -> None:
    inst = get_instrument("ciwa-b")
    assert all(i.text is None for i in inst.items)
    assert [i.part for i in inst.items].count("clinician") == 3


# --- BWSQ ---------------------------------------------------------------------------------
def test_bwsq_hand_computed() -> None:
    values = [1] * 10 + [2] * 5 + [0] * 5  # 10 + 10 = 20 → at the quoted cut-off
    s = score("bwsq", answers_for("bwsq", values))
    assert s.total == 20 and s.band.code == "at-or-above-cutoff" and not s.band.verified
    assert s.alerts == ()


def test_bwsq_perceptual_item_alert() -> None:
    values = [0] * 20
    values[16] = 1  # item 17: seeing or hearing things that are not there
    s = score("bwsq", answers_for("bwsq", values))
    assert [a.code for a in s.alerts] == ["bwsq-perceptual"]


# --- SDS: de las Cuevas et al. 2000 (> 6 = problematic benzodiazepine use) ----------------
@pytest.mark.parametrize(("values", "band"), [([2, 1, 1, 1, 1], "below-cutoff"),
                                              ([2, 2, 1, 1, 1], "dependence-likely"),
                                              ([3, 3, 3, 3, 3], "dependence-likely")])
def test_sds_benzodiazepine_cutoff_de_las_cuevas_2000(values: list[int], band: str) -> None:
    s = score("sds", answers_for("sds", values))
    assert s.band.code == band and s.band.verified


# --- ISI: Bastien et al. 2001 bands as printed on the VA form ------------------------------
@pytest.mark.parametrize(("values", "total", "band"), [
    ([1, 1, 1, 1, 1, 1, 1], 7, "none"), ([2, 1, 1, 1, 1, 1, 1], 8, "subthreshold"),
    ([2, 2, 2, 2, 2, 2, 2], 14, "subthreshold"), ([3, 2, 2, 2, 2, 2, 2], 15, "clinical-moderate"),
    ([3, 3, 3, 3, 3, 3, 4], 22, "clinical-severe")])
def test_isi_bands_bastien_2001(values: list[int], total: int, band: str) -> None:
    s = score("isi", answers_for("isi", values))
    assert (s.total, s.band.code) == (total, band)


# --- COWS: item-specific values (Wesson & Ling 2003) -----------------------------------------
def test_cows_hand_computed_and_item_specific_values() -> None:
    # pulse 101–120 (2), sweat 1, restless 3, pupils 1, aches 2, nose 2, GI 2, tremor 1,
    # yawning 1, anxiety 2, gooseflesh 0 → 17 moderate
    s = score("cows", answers_for("cows", [2, 1, 3, 1, 2, 2, 2, 1, 1, 2, 0]))
    assert s.total == 17 and s.band.code == "moderate"
    with pytest.raises(InputError, match=r"item 1 \(resting pulse rate\): 3 is not an allowed"):
        score("cows", answers_for("cows", [3, 1, 3, 1, 2, 2, 2, 1, 1, 2, 0]))


def test_cows_maximum_is_48() -> None:
    inst = get_instrument("cows")
    best = [max(i.allowed) for i in inst.items]
    assert score("cows", answers_for("cows", best)).total == 48 == inst.max_total


# --- C-SSRS screener: skip logic and triage ------------------------------------------------
def test_cssrs_negative_screen_skips_3_to_5() -> None:
    s = score("c-ssrs", {"1": 0, "2": 0, "6": 0})
    assert s.total == 0 and s.band.code == "negative" and s.alerts == ()


def test_cssrs_wish_to_be_dead_is_positive_low_risk() -> None:
    s = score("c-ssrs", {"1": 1, "2": 0, "6": 0})
    assert s.band.code == "low-risk" and [a.code for a in s.alerts] == ["cssrs-positive"]


def test_cssrs_intent_is_high_risk() -> None:
    s = score("c-ssrs", {"1": 1, "2": 1, "3": 1, "4": 1, "5": 0, "6": 0})
    assert s.total == 3 and s.band.code == "high-risk"
    assert [a.code for a in s.alerts] == ["cssrs-high-risk"]
    assert {d.item for d in s.drivers} == {4}


def test_cssrs_recent_behaviour_is_high_risk_older_is_moderate() -> None:
    assert score("c-ssrs", {"1": 0, "2": 0, "6": 2}).band.code == "high-risk"
    assert score("c-ssrs", {"1": 0, "2": 0, "6": 1}).band.code == "moderate-risk"


def test_cssrs_items_3_to_5_required_when_item_2_yes() -> None:
    with pytest.raises(InputError, match=r"item 3 .* is missing"):
        score("c-ssrs", {"1": 1, "2": 1, "6": 0})


def test_cssrs_item_3_cannot_be_yes_when_not_asked() -> None:
    with pytest.raises(InputError, match="asked only if item 2"):
        score("c-ssrs", {"1": 0, "2": 0, "3": 1, "6": 0})


# --- reverse items (scoring rule supported by the schema) -----------------------------------
def test_reverse_item_is_mirrored() -> None:
    inst = Instrument.model_validate({
        "name": "demo", "title": "t", "description": "d", "timeframe": "now", "scoring": "sum",
        "source": "s", "placeholder": "p",
        "licence": {"redistribute_text": False, "note": "n", "source": "s"},
        "items": [{"number": 1, "domain": "a", "options": [{"value": v, "label": str(v)}
                                                             for v in range(4)]},
                  {"number": 2, "domain": "b", "reverse": True,
                   "options": [{"value": v, "label": str(v)} for v in range(4)]}],
        "bands": [{"low": 0, "high": 6, "code": "all", "label": "all", "clinical": False,
                   "verified": False, "source": "s"}]})
    assert score(inst, {"1": 3, "2": 0}).total == 6
    assert score(inst, {"1": 0, "2": 3}).total == 0


# --- bad input: clear error, no partial result ---------------------------------------------
@pytest.mark.parametrize(("answers", "message"), [
    ({str(i): 1 for i in range(1, 9)}, r"item 9 \(thoughts of death or self-harm\) is missing"),
    ({**{str(i): 1 for i in range(1, 10)}, "2": 4},
     r"item 2 \(depressed mood\): 4 is not an allowed answer"),
    ({**{str(i): 1 for i in range(1, 10)}, "10": 1}, "unknown item '10'"),
    ({**{str(i): 1 for i in range(1, 10)}, "3": "2"}, "item 3: answer '2' is not a whole"),
    ({**{str(i): 1 for i in range(1, 10)}, "3": True}, "item 3: answer True is not a whole"),
    ({**{str(i): 1 for i in range(1, 10)}, "4": -1},
     r"item 4 \(fatigue\): -1 is not an allowed answer"),
])
def test_bad_answers_raise_input_error(answers: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        score("phq-9", answers)


def test_every_problem_reported_at_once() -> None:
    with pytest.raises(InputError) as exc:
        score("isi", {"1": 9, "3": 1})
    msg = str(exc.value)
    assert "item 1" in msg and "item 2" in msg and "item 7" in msg


def test_answers_must_be_an_object() -> None:
    with pytest.raises(InputError, match="answers must be an object"):
        score("isi", [1, 2, 3])  # type: ignore[arg-type]


def test_unknown_instrument_suggests() -> None:
    with pytest.raises(UnknownItem, match="did you mean 'ciwa-b'") as exc:
        get_instrument("ciwa")
    assert exc.value.suggestions[0] == "ciwa-b"
    with pytest.raises(UnknownItem, match="Known instruments"):
        get_instrument("hamd")
