"""JSON views of drugs (the stable keys of `drugs list/show --json` and the API)."""

from __future__ import annotations

from typing import Any

from benzoplan.drugs.loader import bibliography
from benzoplan.drugs.schema import Amount, Drug, IndicationDosing, Measured, iter_sources
from benzoplan.units import quantity_json

__all__ = ["drug_json", "drug_summary_json", "measured_json", "source_json"]




def measured_json(m: Measured) -> dict[str, Any]:
    unit = "%" if m.unit == "1" else m.unit
    scale = 100.0 if m.unit == "1" else 1.0

    def q(v: float | None) -> dict[str, Any]:
        return quantity_json((m.typical if v is None else v) * scale, unit)

    out: dict[str, Any] = {"typical": q(m.typical), "low": q(m.low), "high": q(m.high),
                           "source": m.source}
    if m.note:
        out["note"] = m.note
    return out


def _amount(a: Amount | None) -> dict[str, Any] | None:
    return None if a is None else quantity_json(a.value, a.unit)


def _indication(i: IndicationDosing) -> dict[str, Any]:
    return {
        "indication": i.indication,
        "population": i.population,
        "market": i.market,
        "on_label": i.on_label,
        "start": _amount(i.start),
        "start_low": _amount(i.start_low),
        "divided_doses": i.divided_doses,
        "titration_step": _amount(i.titration_step),
        "titration_step_low": _amount(i.titration_step_low),
        "titration_interval_days": i.titration_interval_days,
        "usual_low": _amount(i.usual_low),
        "usual_high": _amount(i.usual_high),
        "maximum": _amount(i.maximum),
        "max_duration_days": i.max_duration_days,
        "weight_limit": _amount(i.weight_limit),
        "age_limit_years": i.age_limit_years,
        "min_age_years": i.min_age_years,
        "discontinuation": i.discontinuation.text if i.discontinuation else None,
        "notes": list(i.notes),
        "source": i.source,
    }


def source_json(key: str) -> dict[str, Any]:
    s = bibliography()[key]
    return {k: (str(v) if k == "accessed" and v is not None else v)
            for k, v in s.model_dump().items() if v is not None}


def drug_summary_json(d: Drug) -> dict[str, Any]:
    return {
        "name": d.name,
        "brands": list(d.brand_names()),
        "class": d.drug_class,
        "atc": d.atc.code,
        "half_life": measured_json(d.pk.half_life),
    }


def drug_json(d: Drug) -> dict[str, Any]:
    eq_default = d.equivalence.get()
    values = d.equivalence.values
    lows = [v.low or v.dose for v in values] + [v.dose for v in values]
    highs = [v.high or v.dose for v in values] + [v.dose for v in values]
    low = min(lows, key=lambda a: a.quantity().to("mg").magnitude)
    high = max(highs, key=lambda a: a.quantity().to("mg").magnitude)
    sources = sorted(set(iter_sources(d)))
    return {
        "name": d.name,
        "class": d.drug_class,
        "brands": list(d.brand_names()),
        "synonyms": list(d.synonyms),
        "mechanism": d.mechanism.text,
        "atc": d.atc.code,
        "rxnorm": d.rxnorm.code if d.rxnorm else None,
        "half_life": measured_json(d.pk.half_life),
        "tmax": measured_json(d.pk.tmax),
        "bioavailability": measured_json(d.pk.bioavailability),
        "volume_of_distribution": measured_json(d.pk.volume_of_distribution),
        "clearance": measured_json(d.pk.clearance) if d.pk.clearance else None,
        "protein_binding": measured_json(d.pk.protein_binding),
        "metabolism": d.pk.metabolism.text,
        "metabolites": [
            {
                "name": m.name,
                "active": m.active,
                "half_life": measured_json(m.half_life) if m.half_life else None,
                "source": m.source,
            }
            for m in d.pk.metabolites
        ],
        "equivalence": {
            "diazepam_10mg": {
                "default": quantity_json(eq_default.dose.value, eq_default.dose.unit),
                "default_table": d.equivalence.default,
                "low": quantity_json(low.value, low.unit),
                "high": quantity_json(high.value, high.unit),
                "tables": {
                    v.table: quantity_json(v.dose.value, v.dose.unit)
                    for v in d.equivalence.values
                },
                "sources": sorted({v.source for v in d.equivalence.values}),
            }
        },
        "products": [
            {
                "market": p.market,
                "form": p.form,
                "strength": quantity_json(p.strength.value, p.strength.unit),
                "scored": p.scored,
                "brand": p.brand,
                "label": p.label(),
                "source": p.source,
            }
            for p in d.products
        ],
        "indications": [_indication(i) for i in d.indications],
        "effects": list(d.effects.items),
        "adverse_effects": {
            "common": list(d.adverse_effects_common.items),
            "serious": list(d.adverse_effects_serious.items),
        },
        "overdose_signs": list(d.overdose_signs.items),
        "withdrawal_symptoms": list(d.withdrawal_symptoms.items),
        "monitoring": [{"test": m.test, "when": m.when, "loinc": m.loinc, "source": m.source}
                       for m in d.monitoring],
        "sources": [source_json(k) for k in sources],
    }
