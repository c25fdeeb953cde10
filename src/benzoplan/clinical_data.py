"""Load and validate every packaged clinical data file at once.

Each core package reads its data files (drugs, PK covariates and PD, taper rules, safety
rules and medicine classes, instruments, monitoring symptoms and parameters) on first use and
keeps them. A long-running process calls :func:`load_all` when it starts, so that an invalid
file stops it there with a :class:`~benzoplan.errors.DataError` instead of failing a request
later, and no request pays for the loading.
"""

from __future__ import annotations

__all__ = ["load_all"]


def load_all() -> dict[str, int]:
    """Load every data file; returns how many records of each kind were loaded."""
    from benzoplan.drugs import knowledge_base
    from benzoplan.instruments import list_instruments
    from benzoplan.monitoring._data import sources as monitoring_sources
    from benzoplan.monitoring._data import symptoms
    from benzoplan.pk._data import covariate_data, pd_data, pk_sources
    from benzoplan.safety.knowledge import safety_data
    from benzoplan.taper._rules import rules as taper_rules
    from benzoplan.taper._rules import taper_sources

    covariate_data()
    pd_data()
    return {
        "drugs": len(knowledge_base().drugs),
        "pk_sources": len(pk_sources()),
        "taper_rules": len(taper_rules()),
        "taper_sources": len(taper_sources()),
        "safety_rules": len(safety_data().rules),
        "instruments": len(list_instruments()),
        "symptoms": len(symptoms()),
        "monitoring_sources": len(monitoring_sources()),
    }
