"""JSON form of an instrument (`benzoplan instruments show NAME --json`)."""

from __future__ import annotations

from typing import Any

from benzoplan.instruments.schema import Instrument

__all__ = ["instrument_json"]


def instrument_json(inst: Instrument) -> dict[str, Any]:
    return {
        "name": inst.name,
        "title": inst.title,
        "description": inst.description,
        "timeframe": inst.timeframe,
        "scoring": inst.scoring,
        "min_total": inst.min_total,
        "max_total": inst.max_total,
        "loinc": inst.loinc,
        "total_loinc": inst.total_loinc,
        "source": inst.source,
        "licence": inst.licence.model_dump(),
        "items": [
            {
                "number": str(i.number),
                "domain": i.domain,
                "part": i.part,
                "text": i.text,
                "placeholder": None if i.text else inst.placeholder,
                "allowed": list(i.allowed),
                "options": [{"value": o.value, "label": o.label} for o in i.options],
                "reverse": i.reverse,
                "loinc": i.loinc,
                "safety": i.safety,
                "ask_if": None if i.ask_if is None else {"item": str(i.ask_if.item),
                                                         "values": list(i.ask_if.values)},
            }
            for i in inst.items
        ],
        "subscales": [{"name": s.name, "items": [str(n) for n in s.items], "loinc": s.loinc,
                       "source": s.source} for s in inst.subscales],
        "bands": [b.to_json() for b in inst.bands],
        "alerts": [{"code": a.code, "level": a.level, "source": a.source,
                    "item": None if a.item is None else str(a.item), "at_least": a.at_least,
                    "bands": list(a.bands)} for a in inst.alerts],
    }
