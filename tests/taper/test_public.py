import benzoplan.taper as taper


def test_public_surface_is_intentional() -> None:
    assert sorted(taper.__all__) == [
        "Administration", "DispensingItem", "Fill", "PatientFactors", "ProductOptions",
        "ProductRef", "Revision", "ScheduledDose", "StepLimit", "TaperFinding", "TaperPlan",
        "TaperRequest", "TaperStep", "plan_taper",
    ]
    for name in taper.__all__:
        assert getattr(taper, name) is not None


def test_rules_cite_known_sources() -> None:
    from benzoplan.taper._rules import rules, taper_sources

    known = taper_sources()
    for r in rules().values():
        assert r.source in known and r.text
