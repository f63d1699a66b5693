"""The floor: find and parse every YAML file of a corpus with PyYAML's C loader, nothing more.

No tool that reads these files can be faster than this without a faster parser;
``benchmarks/run.py`` times ``toolkit`` against it. Usage: python benchmarks/floor.py CORPUS
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml


def main() -> None:
    for path in sorted(Path(sys.argv[1]).rglob("*.yaml")):
        yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)


if __name__ == "__main__":
    main()
