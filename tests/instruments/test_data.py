"""Integrity of the instrument files: sources resolve, licences respected, bands tile."""

from __future__ import annotations

from benzoplan.instruments import bibliography, get_instrument, instrument_json, list_instruments


def test_every_cited_source_resolves() -> None:
    keys = set(bibliography())
    for inst in list_instruments():
        cited = {inst.source, inst.licence.source, *(b.source for b in inst.bands),
                 *(a.source for a in inst.alerts), *(s.source for s in inst.subscales)}
        assert cited <= keys, inst.name


def test_text_only_where_licence_allows() -> None:
    for inst in list_instruments():
        for item in inst.items:
            assert (item.text is not None) == inst.licence.redistribute_text, inst.name
    assert not get_instrument("isi").licence.redistribute_text  # copyrighted (Morin)


def test_unverified_bands_say_so() -> None:
    assert not any(b.verified for b in get_instrument("ciwa-b").bands if b.low > 0)
    assert all(b.verified for b in get_instrument("isi").bands)
    bwsq = get_instrument("bwsq")
    assert all("ASSUMPTION" in (b.note or "") for b in bwsq.bands if not b.verified)


def test_show_json_lists_items_with_allowed_values() -> None:
    d = instrument_json(get_instrument("cows"))
    assert d["items"][0]["number"] == "1" and d["items"][0]["allowed"] == [0, 1, 2, 4]
    isi = instrument_json(get_instrument("isi"))
    assert isi["items"][0]["text"] is None and "licensed" in isi["items"][0]["placeholder"]
