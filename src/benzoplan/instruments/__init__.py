"""Validated questionnaires as data, and their exact scoring.

Each instrument is a TOML file in ``instruments/data`` (items, options with values, scoring,
subscales, bands with sources and verification status, LOINC codes, alert rules). Item wording
is shipped only where the licence allows; otherwise the item's domain and a placeholder.
"""

from benzoplan.instruments.loader import bibliography, get_instrument, list_instruments
from benzoplan.instruments.schema import Band, Instrument, Item, Option
from benzoplan.instruments.scoring import Driver, InstrumentAlert, Score, score, validate_answers
from benzoplan.instruments.serialize import instrument_json

__all__ = [
    "Band",
    "Driver",
    "Instrument",
    "InstrumentAlert",
    "Item",
    "Option",
    "Score",
    "bibliography",
    "get_instrument",
    "instrument_json",
    "list_instruments",
    "score",
    "validate_answers",
]
