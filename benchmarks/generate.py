"""A synthetic corpus of any size, scaled from a real one.

The seed corpus (``annotations/`` by default) is copied as many times as it takes
to reach the wanted number of records. Each copy is the seed's own YAML text with
every id renamed (``act-iran`` becomes ``act-iran-c42``), so the files keep the
seed's kinds, shapes, formatting and quoting; references point into the same
copy, so they resolve; each copy of a source gets a text of its own (the seed's
article plus one generated line) with its SHA-256 recorded, so every quote
still occurs in the text its evidence cites and every checksum matches. The
names and aliases of actors and locations get the copy's mark too ("MIT c42"):
a real corpus of 100,000 records does not name one actor a thousand times, and
the ``name-duplicate`` rule would warn at every copy.

Usage: python benchmarks/generate.py OUT RECORDS [--seed annotations]
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from toolkit.kinds import KINDS, YAML_SUFFIXES


@dataclass(frozen=True)
class SeedFile:
    """One record file of the seed corpus, as text."""

    folder: str
    record_id: str
    text: str


@dataclass(frozen=True)
class Seed:
    """The record files and source texts of the seed corpus."""

    files: tuple[SeedFile, ...]
    texts: dict[str, bytes]  # source text file name -> bytes
    sha256: dict[str, str]  # source text file name -> the checksum the seed records

    @property
    def ids(self) -> list[str]:
        return [file.record_id for file in self.files]


def read_seed(root: Path) -> Seed:
    """Read every record file of a corpus folder, and the texts its sources name."""
    files: list[SeedFile] = []
    texts: dict[str, bytes] = {}
    sha256: dict[str, str] = {}
    for kind in KINDS:
        for path in sorted((root / kind.folder).glob("*")):
            if path.suffix not in YAML_SUFFIXES:
                continue
            text = path.read_text(encoding="utf-8")
            data = yaml.load(text, Loader=yaml.CSafeLoader)
            files.append(SeedFile(kind.folder, data["id"], text))
            if kind.name == "source":
                texts[data["text"]] = (path.parent / data["text"]).read_bytes()
                sha256[data["text"]] = data["sha256"]
    if not files:
        raise SystemExit(f"{root}: no records to scale")
    return Seed(tuple(files), texts, sha256)


def _renamer(names: list[str]) -> re.Pattern[str]:
    # Whole ids only: 'act-iran' must not rename the front of 'act-iranian-cell'.
    alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9_-])({alternatives})(?![A-Za-z0-9_-])")


# Kind folders whose records have names the name-duplicate rule compares.
NAMED_FOLDERS = ("actors", "locations")


def _marked_names(text: str, mark: str) -> str:
    """The record's text with ``mark`` added to its name and to each of its aliases."""
    lines, in_aliases = [], False
    for line in text.split("\n"):
        named = line.startswith('name: "') or (in_aliases and line.startswith('  - "'))
        if named and line.endswith('"'):
            line = f'{line[:-1]} {mark}"'
        if not line.startswith("  "):
            in_aliases = line == "aliases:"
        lines.append(line)
    return "\n".join(lines)


def generate(seed_root: Path, out: Path, records: int) -> int:
    """Write about ``records`` records into ``out`` (emptied first); return how many were written.

    The count is a whole number of copies of the seed, so that every reference
    resolves within its copy.
    """
    seed = read_seed(seed_root)
    copies = max(1, round(records / len(seed.files)))
    if out.exists():
        shutil.rmtree(out)
    for kind in KINDS:
        (out / kind.folder).mkdir(parents=True)
    text_stems = [name.removesuffix(".txt") for name in seed.texts]
    rename = _renamer(seed.ids + text_stems + list(seed.sha256.values()))
    for copy in range(copies):
        suffix = f"-c{copy}"
        replacements = {name: name + suffix for name in seed.ids + text_stems}
        for name, body in seed.texts.items():
            text = body + f"\nGenerated copy {copy} of this article, for the benchmark.\n".encode()
            new_name = name.removesuffix(".txt") + suffix + ".txt"
            replacements[seed.sha256[name]] = hashlib.sha256(text).hexdigest()
            (out / "sources" / new_name).write_bytes(text)
        for file in seed.files:
            body = rename.sub(lambda match: replacements[match.group(1)], file.text)  # noqa: B023 - called now, in this iteration
            if file.folder in NAMED_FOLDERS:
                body = _marked_names(body, f"c{copy}")
            (out / file.folder / f"{file.record_id}{suffix}.yaml").write_text(body, encoding="utf-8")
    return copies * len(seed.files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("records", type=int)
    parser.add_argument("--seed", type=Path, default=Path("annotations"))
    args = parser.parse_args()
    written = generate(args.seed, args.out, args.records)
    print(f"wrote {written} records to {args.out}")


if __name__ == "__main__":
    main()
