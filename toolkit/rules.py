"""Every rule the toolkit checks: its stable id, default severity and a summary.

Reporters (SARIF, docs) read this table; checks name rules by id. Adding a rule
means adding a line here, a check that emits it, and an example folder under
``tests/rules/``.
"""

from __future__ import annotations

from dataclasses import dataclass

from toolkit.model import Finding, Severity


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule: its id, default severity, summary, and whether its verdict spans files.

    ``spans_files`` marks the rules whose finding in one file can be caused by
    another file (a record deleted, an id taken twice, an article text edited): a
    run over some files (paths given, ``--changed-since``, a pre-commit hook)
    reports their findings wherever they land, so that it reaches the verdict a
    whole-corpus run reaches.
    """

    id: str
    severity: Severity
    summary: str
    spans_files: bool = False


_E, _W = Severity.ERROR, Severity.WARNING

RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in [
        # Reading files
        Rule(
            "file-unreadable",
            _E,
            "The file or folder cannot be read (missing, not a regular file, no permission, "
            "a symlink out of the corpus, a symlinked folder).",
        ),
        Rule("file-too-large", _E, "The file is larger than the size cap for one annotation file."),
        Rule("file-kind-unknown", _E, "The file is not in a folder that names a kind of record."),
        # Strict YAML
        Rule("yaml-encoding", _E, "The file is not UTF-8 text, or starts with a byte-order mark."),
        Rule(
            "yaml-unsafe-character",
            _E,
            "A character that makes the text shown for review differ from the text "
            "parsed: a line break only YAML sees, a control, bidi or invisible character.",
        ),
        Rule("yaml-empty", _E, "The file holds no record."),
        Rule("yaml-tab", _E, "A tab is used for indentation."),
        Rule("yaml-syntax", _E, "The file is not well-formed YAML."),
        Rule("yaml-multiple-documents", _E, "The file holds more than one YAML document."),
        Rule("yaml-not-mapping", _E, "The top level of the file is not a mapping of field names to values."),
        Rule("yaml-duplicate-key", _E, "A mapping repeats a key (YAML loaders keep the last one silently)."),
        Rule("yaml-tag", _E, "A YAML tag such as !!python/object is used."),
        Rule("yaml-alias", _E, "An anchor or alias is used; records must spell out their values."),
        Rule("yaml-too-deep", _E, "Collections are nested deeper than any record needs."),
        Rule("yaml-non-string-key", _E, "A mapping key is not text."),
        # JSON Schema
        Rule("schema-required", _E, "A required field is missing."),
        Rule("schema-unknown-field", _E, "A field that the schema does not define."),
        Rule("schema-type", _E, "A value of the wrong type (text, number, list, mapping)."),
        Rule("schema-vocabulary", _E, "A value that is not in the controlled vocabulary."),
        Rule("schema-format", _E, "A value that does not have the required form (id pattern, date, code)."),
        Rule("schema-invalid", _E, "Any other violation of the record's schema."),
        # Corpus-wide rules
        Rule("id-duplicate", _E, "Two records share one id.", spans_files=True),
        Rule("id-file-name", _E, "A record's id differs from its file name."),
        Rule("ref-unresolved", _E, "A reference to a record that does not exist.", spans_files=True),
        Rule("ref-wrong-kind", _E, "A reference to a record of the wrong kind.", spans_files=True),
        Rule(
            "evidence-quote-not-found",
            _E,
            "An evidence quote does not occur in the cited source's text.",
            spans_files=True,
        ),
        Rule(
            "source-text-missing",
            _E,
            "A source's text file is missing, unreadable, or not plain UTF-8 text "
            "(not UTF-8, a byte-order mark, NUL bytes).",
            spans_files=True,
        ),
        Rule(
            "source-text-outside",
            _E,
            "A source's text path leaves the corpus (absolute, '..', or a symlink out).",
            spans_files=True,
        ),
        Rule(
            "source-sha256-mismatch", _E, "A source's text file does not match its recorded SHA-256.", spans_files=True
        ),
        Rule("date-range-order", _E, "A date range ends before it starts."),
        Rule(
            "date-after-publication",
            _E,
            "A record is dated after its source was published (its start, or its range's end), but is not "
            "planned; or a claim in it is dated after that (planned or not).",
            spans_files=True,
        ),
        Rule(
            "date-weekday-mismatch",
            _E,
            "A date of one day (or a range of one day) resolved from a weekday expression falls on another weekday.",
        ),
        Rule("date-invalid", _E, "A date that does not exist in the calendar (2022-02-30)."),
        Rule(
            "date-expression-not-in-text",
            _E,
            "A date's expression (the words it was resolved from) is in neither the record's evidence "
            "nor the text of a source it cites.",
            spans_files=True,
        ),
        Rule(
            "advisory-supersedes-issuer", _E, "An advisory supersedes one issued by another issuer.", spans_files=True
        ),
        Rule("advisory-supersedes-cycle", _E, "Advisories supersede each other in a cycle.", spans_files=True),
        Rule(
            "name-duplicate",
            _W,
            "Two actors (or two locations) have names or aliases that differ only in case, accents "
            "or punctuation: likely one record made twice.",
            spans_files=True,
        ),
        Rule("link-to-itself", _E, "A record links to itself (denies, answers or is part of itself)."),
        Rule(
            "link-one-sided",
            _E,
            "A symmetric link (same-as) whose other side is missing, or whose two sides differ in certainty.",
            spans_files=True,
        ),
        # Claims: on whose word (toolkit/checks/claims.py, docs/annotating.md "Claims: on whose word")
        Rule(
            "claim-without-claimant",
            _E,
            "A claim names neither its claimant (by) nor that no one is named (unattributed), or both; "
            "or an alleged event has no claim: an allegation with no one alleging it.",
        ),
        Rule(
            "claim-unmarked",
            _W,
            "A hostile part (a perpetrator) rests on the article's own word while the event's evidence "
            "hedges (alleged, reportedly, deemed, scare quotes): it rests on a claim not marked as one.",
        ),
        Rule("claim-hedge-not-in-evidence", _E, "A claim's hedge is not words of the record's evidence quotes."),
        Rule(
            "claim-source-ungraded",
            _W,
            "An actor who makes or relays a claim (by, via) has no reliability grade.",
            spans_files=True,
        ),
        Rule("claim-chain-repeats", _E, "An actor is both the claimant (by) and a relay (via) of one claim."),
        Rule(
            "denial-without-target",
            _E,
            "A denial that points at nothing (no denies link), a denies link from a record that is not a "
            "denial, or a denied participant that is not on the link or not in the target event.",
            spans_files=True,
        ),
        Rule("outcome-not-hostile", _E, "An outcome on an event that is not hostile (outcomes are for ASSAULT)."),
        Rule("outcome-missing", _W, "A hostile event (ASSAULT) without an outcome."),
        Rule("fatalities-not-in-evidence", _E, "The number of fatalities is not given in the record's evidence."),
        Rule("unreferenced-actor", _W, "No record references this actor.", spans_files=True),
        Rule("unreferenced-location", _W, "No record references this location.", spans_files=True),
    ]
}


def finding(
    file: str, line: int | None, column: int | None, rule: str, message: str, path: str = "", hint: str | None = None
) -> Finding:
    """A finding of ``rule``, with the severity this table gives the rule (never passed by hand)."""
    return Finding(file, line, column, rule, RULES[rule].severity, message, path, hint)
