import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benzoplan.cli import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_score_json_contract(tmp_path: Path) -> None:
    f = tmp_path / "answers.json"
    f.write_text(json.dumps({str(i): 2 for i in range(1, 21)}))
    code, out, _ = run("score", "ciwa-b", str(f), "--json")
    assert code == 0
    d = json.loads(out)
    assert set(d) >= {"instrument", "total", "subscales", "band", "drivers", "alerts"}
    assert d["instrument"] == "ciwa-b" and d["total"] == 40
    assert d["subscales"] == {"patient": 34, "clinician": 6}
    assert d["band"]["code"] == "moderate" and d["band"]["verified"] is False


def test_score_text_shows_alert(tmp_path: Path) -> None:
    f = tmp_path / "phq.json"
    f.write_text(json.dumps({**{str(i): 0 for i in range(1, 9)}, "9": 2}))
    code, out, _ = run("score", "phq-9", str(f))
    assert code == 0 and "URGENT" in out and "[kroenke-2001]" in out


@pytest.mark.parametrize(("content", "message"), [
    ('{"1": 1}', "is missing"),
    ("{not json", "not valid JSON"),
])
def test_score_bad_input_exit_2(tmp_path: Path, content: str, message: str) -> None:
    f = tmp_path / "a.json"
    f.write_text(content)
    code, out, err = run("score", "isi", str(f), "--json")
    assert code == 2 and message in err and out == ""


def test_score_unknown_instrument_and_missing_file(tmp_path: Path) -> None:
    code, _, err = run("score", "hamd", str(tmp_path / "x.json"))
    assert code == 2 and "unknown instrument 'hamd'" in err
    code, _, err = run("score", "isi", str(tmp_path / "missing.json"))
    assert code == 2 and "cannot read answers file" in err


def test_instruments_list_and_show() -> None:
    code, out, _ = run("instruments", "list", "--json")
    assert code == 0 and [i["name"] for i in json.loads(out)][:2] == ["ciwa-b", "bwsq"]
    code, out, _ = run("instruments", "show", "phq-9", "--json")
    d = json.loads(out)
    assert code == 0 and d["items"][8]["allowed"] == [0, 1, 2, 3] and d["loinc"] == "44249-1"
    code, out, _ = run("instruments", "show", "c-ssrs")
    assert code == 0 and "licensed text" in out
    code, out, _ = run("instruments", "list")
    assert code == 0 and "domains only" in out
