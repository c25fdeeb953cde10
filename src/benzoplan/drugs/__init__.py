"""The drug knowledge base: one sourced data file per drug, validated at load."""

from benzoplan.drugs.equivalence import Conversion, convert, diazepam_equivalent
from benzoplan.drugs.loader import (
    KnowledgeBase,
    bibliography,
    get_drug,
    knowledge_base,
    list_drugs,
)
from benzoplan.drugs.schema import Drug, IndicationDosing, Measured, Product, Source

__all__ = [
    "Conversion",
    "Drug",
    "IndicationDosing",
    "KnowledgeBase",
    "Measured",
    "Product",
    "Source",
    "bibliography",
    "convert",
    "diazepam_equivalent",
    "get_drug",
    "knowledge_base",
    "list_drugs",
]
