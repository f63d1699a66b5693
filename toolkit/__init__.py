"""Validate and export curated annotations of actors, events and advisories in news articles.

The library API mirrors the command line::

    import toolkit
    report = toolkit.validate(["annotations"])      # -> Report with .findings
    toolkit.export(["csv", "stix"], out_dir="exports")

Imports are lazy so that ``toolkit --help`` and pre-commit runs start fast.
"""

from __future__ import annotations

import sys
import types
from typing import Any

__version__ = "0.1.0"
__all__ = ["validate", "export", "Finding", "Report", "ToolkitError", "__version__"]

_LAZY = {
    "Report": ("toolkit.validate", "Report"),
    "Finding": ("toolkit.findings", "Finding"),
    "export": ("toolkit.export", "export"),
    "ToolkitError": ("toolkit.errors", "ToolkitError"),
}


class _Package(types.ModuleType):
    """The package, whose ``validate`` stays the function of the same name.

    Importing the submodule ``toolkit.validate`` (the reporters do) binds it onto
    the package under that name, which would hide the lazy function: the setter
    ignores that binding, and the getter imports the function when first used.
    """

    @property
    def validate(self) -> Any:
        from toolkit.validate import validate

        return validate

    @validate.setter
    def validate(self, value: Any) -> None:
        if not isinstance(value, types.ModuleType):
            raise AttributeError("toolkit.validate cannot be replaced")


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module_name, attribute = _LAZY[name]
        return getattr(importlib.import_module(module_name), attribute)
    raise AttributeError(f"module 'toolkit' has no attribute {name!r}")
