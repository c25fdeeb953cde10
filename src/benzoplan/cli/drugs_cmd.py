"""`benzoplan drugs list|show`."""

from __future__ import annotations

import typer
from rich.table import Table

from benzoplan.cli.app import app, console, emit_json
from benzoplan.drugs import get_drug, list_drugs
from benzoplan.drugs.schema import Measured
from benzoplan.drugs.serialize import drug_json, drug_summary_json

drugs_app = typer.Typer(help="The drug knowledge base.", no_args_is_help=True)
app.add_typer(drugs_app, name="drugs")

JSON = typer.Option(False, "--json", help="Print JSON with stable keys.")


def _range(m: Measured) -> str:
    # fractions (unit "1") read as percentages, as in the JSON form
    scale, unit = (100.0, "%") if m.unit == "1" else (1.0, f" {m.unit}")
    typical = f"{m.typical * scale:g}{unit}"
    if m.low is None and m.high is None:
        return typical
    lo = m.low if m.low is not None else m.typical
    hi = m.high if m.high is not None else m.typical
    return f"{typical} ({lo * scale:g}–{hi * scale:g})"


@drugs_app.command("list")
def drugs_list(as_json: bool = JSON) -> None:
    """List every drug with its brands, class and half-life."""
    drugs = list_drugs()
    if as_json:
        emit_json([drug_summary_json(d) for d in drugs])
        return
    t = Table(title="benzoplan drugs")
    for col in ("drug", "class", "brands", "half-life", "≡ diazepam 10 mg"):
        t.add_column(col)
    for d in drugs:
        eq = d.equivalence.get()
        t.add_row(d.name, d.drug_class, ", ".join(d.brand_names()), _range(d.pk.half_life),
                  f"{eq.dose.value:g} {eq.dose.unit} ({eq.table})")
    console.print(t)


@drugs_app.command("show")
def drugs_show(name: str = typer.Argument(..., help="Drug, brand or synonym"),
               as_json: bool = JSON) -> None:
    """Everything the knowledge base holds on one drug, with sources."""
    d = get_drug(name)
    if as_json:
        emit_json(drug_json(d))
        return
    rxnorm = d.rxnorm.code if d.rxnorm else "n/a"
    console.print(f"[bold]{d.name}[/] ({d.drug_class}; ATC {d.atc.code}; RxNorm {rxnorm})")
    console.print(f"Brands: {', '.join(d.brand_names()) or '—'}   Mechanism: {d.mechanism.text}")
    pk = Table(title="Pharmacokinetics")
    for col in ("parameter", "value (range)", "source"):
        pk.add_column(col)
    for label, m in (("oral bioavailability", d.pk.bioavailability), ("Tmax", d.pk.tmax),
                     ("half-life", d.pk.half_life),
                     ("volume of distribution", d.pk.volume_of_distribution),
                     ("clearance (CL/F)", d.pk.clearance),
                     ("protein binding", d.pk.protein_binding)):
        if m is not None:
            pk.add_row(label, _range(m), m.source)
    for met in d.pk.metabolites:
        hl = _range(met.half_life) if met.half_life else "—"
        pk.add_row(f"metabolite {met.name} ({'active' if met.active else 'inactive'})", hl,
                   met.source)
    console.print(pk)
    eq = Table(title="Equivalent to diazepam 10 mg (approximate; tables disagree)")
    for col in ("table", "dose", "source"):
        eq.add_column(col)
    for v in d.equivalence.values:
        mark = " (default)" if v.table == d.equivalence.default else ""
        eq.add_row(v.table + mark, f"{v.dose.value:g} {v.dose.unit}", v.source)
    console.print(eq)
    pr = Table(title="Products")
    for col in ("market", "product", "brand", "source"):
        pr.add_column(col)
    for p in d.products:
        pr.add_row(p.market, p.label(), p.brand or "", p.source)
    console.print(pr)
    ind = Table(title="Dosing by indication")
    for col in ("indication", "population", "market", "start", "titration", "maximum", "source"):
        ind.add_column(col)
    for i in d.indications:
        step = (f"+{i.titration_step.value:g} {i.titration_step.unit} every "
                f"{i.titration_interval_days} d" if i.titration_step else "—")
        mx = f"{i.maximum.value:g} {i.maximum.unit}" if i.maximum else "—"
        label = i.indication + ("" if i.on_label else " (off-label)")
        ind.add_row(label, i.population, i.market, f"{i.start.value:g} {i.start.unit}", step,
                    mx, i.source)
    console.print(ind)
    console.print(f"Withdrawal symptoms: {', '.join(d.withdrawal_symptoms.items)}")
    console.print(f"Overdose signs: {', '.join(d.overdose_signs.items)}")
    for item in d.monitoring:
        console.print(f"Monitoring: {item.test}, {item.when} [{item.source}]", markup=False)
