"""Validate and export curated annotations of actors, events and advisories in news articles.

The library API mirrors the command line::

    import toolkit
    report = toolkit.validate(["annotations"])      # -> Report with .findings
    toolkit.export(["csv", "stix"], out_dir="exports")

Imports are lazy so that ``toolkit --help`` and pre-commit runs start fast.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Finding", "Report", "ToolkitError", "__version__", "export", "validate"]

_LAZY = {
    "validate": ("toolkit.validation", "validate"),
    "Report": ("toolkit.model", "Report"),
    "Finding": ("toolkit.model", "Finding"),
    "export": ("toolkit.exporting", "export"),
    "ToolkitError": ("toolkit.errors", "ToolkitError"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module_name, attribute = _LAZY[name]
        return getattr(importlib.import_module(module_name), attribute)
    raise AttributeError(f"module 'toolkit' has no attribute {name!r}")
