import json

import pytest
from typer.testing import CliRunner

from benzoplan.cli import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_drugs_list_json() -> None:
    code, out, _ = run("drugs", "list", "--json")
    assert code == 0
    data = json.loads(out)
    clz = next(d for d in data if d["name"] == "clonazepam")
    assert "Klonopin" in clz["brands"] and clz["class"] == "benzodiazepine"


def test_drugs_show_json_contract() -> None:
    code, out, _ = run("drugs", "show", "Klonopin", "--json")
    assert code == 0
    d = json.loads(out)
    for key in ("name", "brands", "half_life", "tmax", "bioavailability", "metabolites",
                "equivalence", "products", "indications", "sources"):
        assert key in d
    assert d["half_life"]["typical"] == {"value": 35, "unit": "h"}
    eq = d["equivalence"]["diazepam_10mg"]
    assert eq["default"] == {"value": 0.5, "unit": "mg"}
    assert eq["low"]["unit"] == "mg" and eq["sources"]
    forms = {p["form"] for p in d["products"]}
    assert {"tablet", "odt", "oral_solution"} <= forms
    sol = next(p for p in d["products"] if p["form"] == "oral_solution")
    assert sol["strength"]["unit"] == "mg/mL"


def test_drugs_show_table() -> None:
    code, out, _ = run("drugs", "show", "clonazepam")
    assert code == 0 and "Pharmacokinetics" in out


def test_convert_json_contract() -> None:
    code, out, _ = run("convert", "2 mg clonazepam", "--to", "diazepam", "--json")
    assert code == 0
    d = json.loads(out)
    assert d["from"] == {"value": 2, "unit": "mg"}
    assert d["drug"] == "clonazepam" and d["to"] == "diazepam"
    assert d["equivalent"] == {"value": 40, "unit": "mg"}
    assert d["range"]["low"] == {"value": 20, "unit": "mg"}
    assert d["sources"] and "approximate" in d["note"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("drugs", "show", "klonopn"), "did you mean 'Klonopin' (clonazepam)?"),
        (("convert", "2 mg klonopn", "--to", "diazepam"), "did you mean"),
        (("convert", "2 clonazepam", "--to", "diazepam"), "is not '<amount> <unit> <drug>'"),
        (("convert", "2 xyz clonazepam", "--to", "diazepam"), "unknown unit"),
        (("convert", "--to", "diazepam", "--", "-2 mg clonazepam"), "negative"),
        (("convert", "0 mg clonazepam", "--to", "diazepam"), "greater than zero"),
        (("convert", "2 mL clonazepam", "--to", "diazepam"), "unit of mass"),
        (("convert", "2 mg clonazepam", "--to", "diazpam"), "did you mean"),
        (("convert", "2 mg clonazepam", "--to", "diazepam", "--table", "x"), "no equivalence"),
    ],
)
def test_bad_input_exit_2(args: tuple[str, ...], message: str) -> None:
    code, out, err = run(*args)
    assert code == 2
    assert message in err
    assert "Traceback" not in out + err


def test_demo_runs() -> None:
    code, out, _ = run("demo")
    assert code == 0 and "Diazepam equivalent" in out
