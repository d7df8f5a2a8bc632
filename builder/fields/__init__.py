"""Field types, registered by name; every module of this package is loaded on import.

Adding a type means adding one class (in a new module or next to its relatives) decorated
with ``@register``.
"""

from __future__ import annotations

import importlib
import pkgutil

from builder.fields.base import FIELD_TYPES, MISSING, FieldType, MeaningContext, get_field_type

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["FIELD_TYPES", "MISSING", "FieldType", "MeaningContext", "get_field_type"]
