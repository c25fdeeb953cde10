"""Every packaged clinical data file loads at once; the service refuses to start without them."""

import pytest

import benzoplan.api.app as app_module
from benzoplan.api import Settings, create_app
from benzoplan.clinical_data import load_all
from benzoplan.drugs import list_drugs
from benzoplan.errors import DataError
from benzoplan.instruments import list_instruments
from benzoplan.monitoring import symptoms


def test_load_all_loads_every_kind_of_data() -> None:
    counts = load_all()
    assert counts["drugs"] == len(list_drugs()) >= 12
    assert counts["instruments"] == len(list_instruments()) == 7
    assert counts["symptoms"] == len(symptoms()) > 0
    assert all(n > 0 for n in counts.values()), counts


def test_the_service_does_not_start_on_invalid_data(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> dict[str, int]:
        raise DataError("rules.toml: rule x has no source")

    monkeypatch.setattr(app_module, "load_all", broken)
    with pytest.raises(DataError, match="no source"):
        create_app(Settings(database_url="sqlite://", secret_key="k" * 40,  # type: ignore[arg-type]
                            compute_processes=0))
