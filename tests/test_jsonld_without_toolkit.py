"""corpus.jsonld parses anywhere: plain rdflib and plain pyld, in a Python that has no toolkit, fetching nothing.

A fresh virtual environment is made in a temporary folder and given only rdflib,
pyld and what they need, copied from this environment's installed distributions
(no network, no index: the suite never downloads). A child process there parses
the export with each library as a user would, with every socket refused and pyld's
document loader replaced by one that raises, and writes the triples it read. The
parent holds them equal to the triples of the toolkit's own path (the context
served by ``offline_document_loader``).

Beside it: a state that is also a place is one thing in the graph (``schema:sameAs``),
and publishers and memberships point at Organizations, as schema.org expects.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import venv
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import rdflib
from packaging.requirements import Requirement
from pyld import jsonld
from rdflib.compare import isomorphic

from corpus_overlay import built_export_corpus
from toolkit.exporters.jsonld import DOCUMENT_NAME, offline_document_loader
from toolkit.exporters.jsonld_terms import CONTEXT_IRI, ID_BASE, NAMESPACES
from toolkit.exporting import export

REPO_ROOT = Path(__file__).parent.parent
FIXTURE_CORPUS = built_export_corpus()
REAL_CORPUS = REPO_ROOT / "annotations"
SCHEMA = rdflib.Namespace(NAMESPACES["schema"])
ID = rdflib.Namespace(ID_BASE)

# What the child runs: only the two libraries, as their documentation shows them.
CHILD = r"""
import json, socket, sys

def refuse(*args, **kwargs):
    raise OSError("the network was used")

socket.socket.connect = refuse
socket.create_connection = refuse

try:
    import toolkit
except ImportError:
    has_toolkit = False
else:
    has_toolkit = True

import rdflib
from pyld import jsonld

fetched = []

def loader(url, options=None):
    fetched.append(url)
    raise RuntimeError("pyld tried to load " + url)

jsonld.set_document_loader(loader)
path, out = sys.argv[1], sys.argv[2]
graph = rdflib.Graph().parse(path, format="json-ld")
with open(path, encoding="utf-8") as stream:
    document = json.load(stream)
nquads = jsonld.to_rdf(document, {"format": "application/n-quads"})
expanded_dropped = []
jsonld.expand(document, on_property_dropped=expanded_dropped.append)
graph.serialize(out + ".rdflib.nt", format="nt", encoding="utf-8")
with open(out + ".pyld.nq", "w", encoding="utf-8") as stream:
    stream.write(nquads)
print(json.dumps({"has_toolkit": has_toolkit, "fetched": fetched, "dropped": expanded_dropped, "rdflib": len(graph)}))
"""


def _closure(names: list[str]) -> list[metadata.Distribution]:
    """The installed distributions of ``names`` and of everything they require (no extras)."""
    found: dict[str, metadata.Distribution] = {}
    todo = list(names)
    while todo:
        name = todo.pop()
        dist = metadata.distribution(name)
        key = dist.metadata["Name"].lower().replace("_", "-")
        if key in found:
            continue
        found[key] = dist
        for line in dist.requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return list(found.values())


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment holding rdflib, pyld and their requirements, and not the toolkit."""
    root = tmp_path_factory.mktemp("bare-venv")
    venv.EnvBuilder(with_pip=False).create(root)
    python = root / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    for dist in _closure(["rdflib", "pyld"]):
        base = Path(str(dist.locate_file("")))
        for file in dist.files or []:
            if file.parts[0] == ".." or "__pycache__" in file.parts:
                continue  # scripts in bin/, and compiled files the new Python makes again
            target = site / file
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(base / file, target)
    return python


def _read_without_toolkit(python: Path, document: Path, out: Path) -> dict[str, Any]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "VIRTUAL_ENV"))}
    result = subprocess.run(
        [str(python), "-I", "-c", CHILD, str(document), str(out)],
        check=False,
        capture_output=True,
        text=True,
        cwd=out.parent,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def _toolkit_graph(document: Path) -> rdflib.Graph:
    """The triples as the toolkit reads them: the context by its IRI, served from the package."""
    data = json.loads(document.read_text(encoding="utf-8"))
    data["@context"] = CONTEXT_IRI
    nquads = jsonld.to_rdf(data, {"documentLoader": offline_document_loader, "format": "application/n-quads"})
    return rdflib.Graph().parse(data=nquads, format="nt")


@pytest.fixture(scope="module", params=["fixture", "live"])
def exported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = FIXTURE_CORPUS if request.param == "fixture" else REAL_CORPUS
    return export(["jsonld"], tmp_path_factory.mktemp(request.param), corpus).folders["jsonld"] / DOCUMENT_NAME


@pytest.mark.slow
def test_plain_rdflib_and_plain_pyld_read_the_same_triples_as_the_toolkit_without_it_and_fetch_nothing(
    bare_python: Path, exported: Path, tmp_path: Path
) -> None:
    answer = _read_without_toolkit(bare_python, exported, tmp_path / "read")
    assert answer["has_toolkit"] is False
    assert answer["fetched"] == []
    assert answer["dropped"] == []
    expected = _toolkit_graph(exported)
    by_rdflib = rdflib.Graph().parse(tmp_path / "read.rdflib.nt", format="nt")
    by_pyld = rdflib.Graph().parse(tmp_path / "read.pyld.nq", format="nt")
    assert answer["rdflib"] == len(by_rdflib) == len(by_pyld) == len(expected) > 0
    assert isomorphic(by_rdflib, expected)
    assert isomorphic(by_pyld, expected)


@pytest.mark.slow
def test_the_live_corpus_reads_as_at_least_the_triples_it_had_before_the_context_went_inline(
    bare_python: Path, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    # The issue counted 4,494 triples on the live corpus before claims; the corpus only grows.
    document = export(["jsonld"], tmp_path_factory.mktemp("live-count"), REAL_CORPUS).folders["jsonld"] / DOCUMENT_NAME
    assert _read_without_toolkit(bare_python, document, tmp_path / "read")["rdflib"] >= 4494


# A state and its land; publishers and memberships (rdflib parses the inline context itself)


@pytest.fixture(scope="module")
def graph(exported: Path) -> rdflib.Graph:
    return rdflib.Graph().parse(exported, format="json-ld")


def test_a_state_and_the_country_of_its_code_are_the_same_thing_both_ways(graph: rdflib.Graph) -> None:
    # Both corpora hold Turkey as a state (act-turkey, TR) and as a country (loc-turkey, TR).
    assert (ID["act-turkey"], SCHEMA.sameAs, ID["loc-turkey"]) in graph
    assert (ID["loc-turkey"], SCHEMA.sameAs, ID["act-turkey"]) in graph


def test_only_states_are_the_same_as_a_country(graph: rdflib.Graph) -> None:
    linked = {
        (str(a).removeprefix(ID_BASE), str(b).removeprefix(ID_BASE))
        for a, b in graph.subject_objects(SCHEMA.sameAs)
        if str(a).startswith(ID_BASE) and str(b).startswith(ID_BASE)
    }
    assert linked
    state = rdflib.URIRef(NAMESPACES["eat"] + "actor-type/state")
    for one, other in linked:
        actor, location = sorted((one, other))  # act-... before loc-...
        assert actor.startswith("act-") and location.startswith("loc-"), (one, other)
        assert (ID[actor], rdflib.URIRef(NAMESPACES["eat"] + "actorType"), state) in graph
        assert (ID[location], rdflib.RDF.type, SCHEMA.Country) in graph


def test_publishers_and_memberships_are_organizations_or_people(graph: rdflib.Graph) -> None:
    agents = {SCHEMA.Organization, SCHEMA.GovernmentOrganization, SCHEMA.NewsMediaOrganization, SCHEMA.Person}
    pointed = [
        target
        for prop in (SCHEMA.publisher, SCHEMA.memberOf)
        for target in graph.objects(None, prop)
        if (target, rdflib.RDF.type, SCHEMA.OrganizationRole) not in graph  # the Role pattern's middle node
    ]
    assert pointed
    for target in pointed:
        types = set(graph.objects(target, rdflib.RDF.type))
        assert types & agents, (target, types)
