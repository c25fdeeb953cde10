"""benzoplan: clinical decision support for clonazepam and the other benzodiazepines.

It supports a clinician's decision; it never replaces one.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
