import sys
import types
from pathlib import Path

import pytest

from benzoplan.datafiles import read_toml
from benzoplan.errors import DataError


def test_reads_packaged_data() -> None:
    assert "sources" in read_toml("benzoplan.drugs", "bibliography.toml")


def test_missing_file_is_a_data_error() -> None:
    with pytest.raises(DataError, match="missing"):
        read_toml("benzoplan.drugs", "no-such-file.toml")


def test_malformed_file_is_a_data_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "brokenpkg"
    (pkg / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "data" / "bad.toml").write_text("x = [1,\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("brokenpkg", None)
    assert isinstance(__import__("brokenpkg"), types.ModuleType)
    with pytest.raises(DataError, match=r"brokenpkg/data/bad.toml is not valid TOML"):
        read_toml("brokenpkg", "bad.toml")
