"""The public surface of instruments and monitoring is intentional."""

import benzoplan.instruments as instruments
import benzoplan.monitoring as monitoring


def test_instruments_surface() -> None:
    assert set(instruments.__all__) == {
        "Band", "Driver", "Instrument", "InstrumentAlert", "Item", "Option", "Score",
        "bibliography", "get_instrument", "instrument_json", "list_instruments", "score",
        "validate_answers"}


def test_monitoring_surface() -> None:
    assert set(monitoring.__all__) == {
        "EMERGENCY", "Alert", "DiaryEntry", "DoseEntry", "InstrumentEntry", "MonitoringResult",
        "PlanView", "Proposal", "SeizureEntry", "SleepEntry", "Symptom", "SymptomEntry",
        "diary_json_schema", "evaluate", "parameter", "parse_entry", "symptoms"}
    for name in monitoring.__all__:
        assert hasattr(monitoring, name)
