"""Speed at scale: toolkit against the parse floor and check-jsonschema, in one run.

For each size, a synthetic corpus is scaled from the real one (``generate.py``),
then every tool runs on it as a subprocess, timed the same way (wall clock from
start to exit, CPU from ``wait4``, peak resident memory from ``wait4`` or, when
larger, the sum over the process and its forked children, sampled), best of
``--repeat`` rounds (three times as many for corpora under 50,000 files), tools
interleaved within a round so that a busy machine slows them all alike:

- floor: find and parse every YAML file with PyYAML's C loader (``floor.py``);
- validate: ``toolkit validate CORPUS``, the whole pipeline (strict YAML, schemas,
  references, evidence quotes, dates);
- validate-library: the same through the library (``toolkit.validate``), which
  shows how much of a small run is the command line's own start-up;
- check-jsonschema: schema-only validation of the same files with the same schemas,
  one run per kind folder (it takes one schema per run), ``$ref``s resolved from
  the local schema folder through ``--base-uri``;
- export: ``toolkit export --format all`` (or every format whose module imports);
- find: ``toolkit find``'s index built once over the loaded corpus, then a few
  queries searched (the search alone must stay under a second at 100,000 records).
- report: ``toolkit report``, the static site (issue 18: within 2x the export).

``--tools export report`` measures only those (the report's comparison alone).
- the incremental cache (issue 19), each row set up first, unmeasured:
  validate-cold-cache (``toolkit validate CORPUS`` with the cache folder removed:
  it writes the cache), validate-warm-unchanged (again, nothing changed),
  validate-warm-one-file (one event file edited, then ``toolkit validate FILE``, as
  the pre-commit hook runs it: its findings and those of the rules that span files)
  and lsp-didchange (``toolkit lsp``, a didChange of one open file answered with
  its diagnostics, ``lsp_didchange.py``; the latency alone, not the process).
  The validate rows without these names run with ``--no-cache``: cold, as before.

Per-record costs are given two ways: the whole run divided by the records, and
the marginal cost, (T(N) - T(seed)) / (N - seed records), which leaves out the
start-up every run pays once. Results go to stdout and to a JSON file.

Usage: python benchmarks/run.py [--sizes 1000 10000 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate
from toolkit.exporters import FORMATS
from toolkit.kinds import KINDS

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BIN = Path(sys.executable).parent
TOOLS = ("floor", "validate", "validate-library", "check-jsonschema", "export", "report")
# The incremental cache's rows (issue 19), measured by ``measure_cache``.
CACHE_TOOLS = ("validate-cold-cache", "validate-warm-unchanged", "validate-warm-one-file", "lsp-didchange")
# A file written less than two seconds before a run is not trusted from the cache
# (toolkit/cache.py, git's "racy" files): an edit waits this long before it is timed.
RACY_WAIT_S = 2.1
# The library in a process of its own, as the floor runs: the CLI's start-up left out.
LIBRARY_VALIDATE = "import sys, toolkit; sys.exit(toolkit.validate([sys.argv[1]]).failed())"
# toolkit find (issue 16): the corpus loaded through the library, the index built once,
# then each query searched, best of a few rounds; times printed as JSON. The load is
# validate's and measured there; the target is the search itself.
FIND_QUERIES = ("MİT", "MTI", "Turkish intelligence", "Cavusoglu", "foreign minister", "evt-lapid")
FIND_SCRIPT = """
import json, sys, time
from toolkit.record_search import SearchIndex, read_corpus
records = read_corpus(sys.argv[1]).records
started = time.perf_counter()
index = SearchIndex.build(records)
built = time.perf_counter() - started
searches = {}
for query in json.loads(sys.argv[2]):
    best = None
    for _round in range(3):
        started = time.perf_counter()
        found = index.search(query)
        took = time.perf_counter() - started
        best = took if best is None else min(best, took)
    searches[query] = {"search_s": best, "found": len(found)}
print(json.dumps({"records": len(records), "keys": len(index.keys), "index_s": built, "searches": searches}))
"""
FIND_WITHIN_S = 1.0
# The targets of issue 6, as (numerator, denominator, bound): numerator / denominator <= bound.
TARGETS = {
    "validate <= 1.5x floor": ("validate", "floor", 1.5),
    "validate >= 5x faster than check-jsonschema": ("validate", "check-jsonschema", 1 / 5),
    "export all <= 2.5x floor": ("export", "floor", 2.5),
    # Issue 18: the static site costs at most twice the export of every format.
    "report <= 2x export all": ("report", "export", 2.0),
    # Issue 19: the cache, against a cold whole-corpus validate without it.
    "warm one-file validate <= 5% of cold validate": ("validate-warm-one-file", "validate", 0.05),
    "warm nothing-changed validate <= 15% of cold validate": ("validate-warm-unchanged", "validate", 0.15),
    "cold validate with the cache <= 1.05x without": ("validate-cold-cache", "validate", 1.05),
}
# Targets in seconds: (tool, bound).
ABSOLUTE_TARGETS = {"lsp didChange answered within 0.5 s": ("lsp-didchange", 0.5)}
FLAT_WITHIN = 0.20
# Ratios shown beside the targets, to explain them.
ALSO_SHOWN = {
    "validate through the library / floor": ("validate-library", "floor"),
    "marginal cost: validate / floor": ("validate", "floor"),
    "marginal cost: check-jsonschema / validate": ("check-jsonschema", "validate"),
}


@dataclass
class Measurement:
    """One tool on one corpus: the best wall time of the rounds, with its CPU time and peak memory."""

    wall_s: float
    cpu_s: float
    peak_rss_kb: int
    runs: int = 1
    all_wall_s: list[float] = field(default_factory=list)  # every round, to show the spread


def child_environment(work: Path) -> dict[str, str]:
    """The environment of every timed process: bytecode cached, as for any installed package.

    Where ``PYTHONDONTWRITEBYTECODE`` is set, every run would compile the
    toolkit's modules from source (0.05 s); the cache goes under ``work``.
    """
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    environment["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    return environment


def _resident_kb(pid: int) -> tuple[int, list[int]]:
    """A process's resident memory (KB) and its children's pids; (0, []) once it has gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            resident = next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as children:
            return resident, [int(child) for child in children.read().split()]
    except (OSError, ValueError):
        return 0, []


class TreeMemory(threading.Thread):
    """The largest summed resident memory of a process and its descendants, sampled every 20 ms.

    ``wait4`` gives the peak of the largest single process of a tree, which says
    too little of a command that forks workers (``toolkit export`` writes its
    formats in forked children). Pages a child shares with its parent count in
    both here, so the sum is an upper bound.
    """

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.peak_kb = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.02):
            total, pending = 0, [self.root]
            while pending:
                resident, children = _resident_kb(pending.pop())
                total += resident
                pending += children
            self.peak_kb = max(self.peak_kb, total)


def run_once(commands: list[tuple[list[str], Path]], environment: dict[str, str]) -> Measurement:
    """Run commands one after the other; sum their times, keep the largest peak memory."""
    wall = cpu = 0.0
    peak = 0
    for args, cwd in commands:
        start = time.perf_counter()
        process = subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=environment)
        memory = TreeMemory(process.pid)
        memory.start()
        output = process.stdout.read() if process.stdout else b""
        _pid, status, usage = os.wait4(process.pid, 0)
        wall += time.perf_counter() - start
        memory.done.set()
        memory.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise SystemExit(
                f"{' '.join(args[:4])}... exited {process.returncode} in {cwd}:\n{output.decode()[-2000:]}"
            )
        cpu += usage.ru_utime + usage.ru_stime
        peak = max(peak, usage.ru_maxrss, memory.peak_kb)  # kilobytes on Linux
    return Measurement(wall, cpu, peak)


def _batches(names: list[str], limit: int) -> list[list[str]]:
    """Split file names into command lines that fit the system's argument limit, as xargs does."""
    batches: list[list[str]] = [[]]
    size = 0
    for name in names:
        if batches[-1] and size + len(name) + 1 > limit:
            batches.append([])
            size = 0
        batches[-1].append(name)
        size += len(name) + 1
    return batches


def commands_for(tool: str, corpus: Path, formats: list[str], scratch: Path) -> list[tuple[list[str], Path]]:
    """The command lines that run one tool on one corpus, with the folder each runs in."""
    if tool == "floor":
        return [([sys.executable, str(HERE / "floor.py"), corpus.name], corpus.parent)]
    if tool == "validate":
        return [([str(BIN / "toolkit"), "validate", "--no-cache", corpus.name], corpus.parent)]
    if tool in ("validate-cold-cache", "validate-warm-unchanged"):
        return [([str(BIN / "toolkit"), "validate", corpus.name], corpus.parent)]
    if tool == "validate-warm-one-file":
        edited = _edited_file(corpus).relative_to(corpus.parent)
        return [([str(BIN / "toolkit"), "validate", str(edited)], corpus.parent)]
    if tool == "validate-library":
        return [([sys.executable, "-c", LIBRARY_VALIDATE, corpus.name], corpus.parent)]
    if tool == "report":
        return [([str(BIN / "toolkit"), "report", corpus.name, "--out", str(scratch)], corpus.parent)]
    if tool == "export":
        chosen = ["all"] if formats == list(FORMATS) else formats
        options = [item for name in chosen for item in ("--format", name)]
        return [
            ([str(BIN / "toolkit"), "export", *options, "--out", str(scratch), "--corpus", corpus.name], corpus.parent)
        ]
    limit = os.sysconf("SC_ARG_MAX") // 2 - sum(len(k) + len(v) + 2 for k, v in os.environ.items())
    commands = []
    for kind in KINDS:
        folder = corpus / kind.folder
        schema = REPO / "schemas" / kind.schema_file
        names = sorted(p.name for p in folder.iterdir() if p.suffix == ".yaml")
        base = [str(BIN / "check-jsonschema"), "--schemafile", str(schema), "--base-uri", schema.as_uri()]
        commands += [([*base, *batch], folder) for batch in _batches(names, limit) if batch]
    return commands


def measure_find(corpus: Path, environment: dict[str, str]) -> dict:
    """``toolkit find`` on a corpus: the time to build the index once, and each query's best search time."""
    process = subprocess.run(
        [sys.executable, "-c", FIND_SCRIPT, corpus.name, json.dumps(FIND_QUERIES)],
        cwd=corpus.parent,
        env=environment,
        capture_output=True,
        check=False,
    )
    if process.returncode != 0:
        raise SystemExit(f"find exited {process.returncode} in {corpus}:\n{process.stderr.decode()[-2000:]}")
    result = json.loads(process.stdout)
    slowest = max(search["search_s"] for search in result["searches"].values())
    result["target"] = {"slowest_search_s": slowest, "bound_s": FIND_WITHIN_S, "met": slowest <= FIND_WITHIN_S}
    return result


def print_find(size: int, result: dict) -> None:
    """One line per query of the find row."""
    print(
        f"  find: {result['keys']:,} keys indexed in {result['index_s']:.2f} s; slowest search "
        f"{result['target']['slowest_search_s'] * 1000:.0f} ms ({'met' if result['target']['met'] else 'NOT met'}: "
        f"<= {FIND_WITHIN_S:.0f} s at {size:,} records)",
        flush=True,
    )
    for query, search in result["searches"].items():
        print(f"    {query!r}: {search['search_s'] * 1000:.1f} ms, {search['found']} found", flush=True)


def working_formats() -> list[str]:
    """The export formats whose module imports (exporters may still be in the making)."""
    formats = []
    for name, module in ((f.name, f.module) for f in FORMATS.values()):
        probe = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True)
        if probe.returncode == 0:
            formats.append(name)
    return formats


def measure(
    corpus: Path,
    repeat: int,
    formats: list[str],
    scratch: Path,
    environment: dict[str, str],
    warm_up: tuple[str, ...] = ("floor",),
    only: tuple[str, ...] = TOOLS,
) -> dict[str, Measurement]:
    """Best of ``repeat`` rounds for each tool on a corpus (three times as many below 50,000 files).

    Small corpora take seconds a round, and a busy machine disturbs short runs the
    most. The ``warm_up`` tools run once first, unmeasured: the floor reads every
    file into the page cache; the first run of a tool writes its bytecode cache.
    """
    tools = [tool for tool in only if tool != "export" or formats]
    if sum(1 for _ in corpus.rglob("*.yaml")) < 50_000:
        repeat *= 3
    for tool in (tool for tool in warm_up if tool in tools):
        shutil.rmtree(scratch, ignore_errors=True)
        run_once(commands_for(tool, corpus, formats, scratch), environment)
    best: dict[str, Measurement] = {}
    for _round in range(repeat):
        for tool in tools:
            shutil.rmtree(scratch, ignore_errors=True)
            result = run_once(commands_for(tool, corpus, formats, scratch), environment)
            walls = [*best[tool].all_wall_s, result.wall_s] if tool in best else [result.wall_s]
            if tool not in best or result.wall_s < best[tool].wall_s:
                best[tool] = result
            best[tool].all_wall_s = walls
            best[tool].runs = len(walls)
    shutil.rmtree(scratch, ignore_errors=True)
    return best


def _edited_file(corpus: Path) -> Path:
    """The file the one-file rows edit: the first event of the corpus."""
    return sorted((corpus / "events").glob("*.yaml"))[0]


def _edit(path: Path, counter: int) -> None:
    """A real edit: one comment line more or less, so the file's size and stamp change."""
    text = path.read_text(encoding="utf-8").split("\n# benchmark edit")[0]
    path.write_text(text + ("\n# benchmark edit\n" if counter % 2 == 0 else ""), encoding="utf-8")


def measure_cache(corpus: Path, repeat: int, environment: dict[str, str], cache: Path) -> dict[str, Measurement]:
    """Best of ``repeat`` rounds of each cache row (three times as many below 50,000 files)."""
    if sum(1 for _ in corpus.rglob("*.yaml")) < 50_000:
        repeat *= 3
    environment = {**environment, "TOOLKIT_CACHE_DIR": str(cache)}
    edited = _edited_file(corpus)
    best: dict[str, Measurement] = {}

    def keep(tool: str, result: Measurement) -> None:
        walls = [*best[tool].all_wall_s, result.wall_s] if tool in best else [result.wall_s]
        if tool not in best or result.wall_s < best[tool].wall_s:
            best[tool] = result
        best[tool].all_wall_s = walls
        best[tool].runs = len(walls)

    for round_number in range(repeat):
        shutil.rmtree(cache, ignore_errors=True)
        time.sleep(RACY_WAIT_S)  # the files written by the round before count as unchanged

        def timed(tool: str) -> None:
            keep(tool, run_once(commands_for(tool, corpus, [], corpus), environment))

        timed("validate-cold-cache")
        timed("validate-warm-unchanged")
        _edit(edited, round_number)
        time.sleep(RACY_WAIT_S)
        timed("validate-warm-one-file")
        probe = subprocess.run(
            [sys.executable, str(HERE / "lsp_didchange.py"), str(BIN / "toolkit"), str(edited), "5"],
            capture_output=True,
            env=environment,
            check=True,
        )
        latency = json.loads(probe.stdout)
        keep("lsp-didchange", Measurement(latency["best_s"], 0.0, 0))
    _edit(edited, 1)  # as generated
    shutil.rmtree(cache, ignore_errors=True)
    return best


def summarise(
    records: int, seed_records: int, tools: dict[str, Measurement], seed_tools: dict[str, Measurement]
) -> dict:
    """Per-record costs, marginal costs and the ratios of one size."""
    rows = {}
    for tool, m in tools.items():
        base = seed_tools[tool]
        extra = max(1, records - seed_records)
        rows[tool] = {
            **asdict(m),
            "us_per_record": m.wall_s / records * 1e6,
            "marginal_us_per_record": (m.wall_s - base.wall_s) / extra * 1e6,
            "marginal_cpu_us_per_record": (m.cpu_s - base.cpu_s) / extra * 1e6,
            "marginal_kb_per_record": (m.peak_rss_kb - base.peak_rss_kb) / extra,
        }
    ratios = {}
    for name, (top, bottom, bound) in TARGETS.items():
        if top in tools and bottom in tools:
            value = tools[top].wall_s / tools[bottom].wall_s
            ratios[name] = {"ratio": value, "bound": bound, "met": value <= bound}
    for name, (tool, seconds) in ABSOLUTE_TARGETS.items():
        if tool in tools:
            ratios[name] = {"ratio": tools[tool].wall_s / seconds, "bound": 1.0, "met": tools[tool].wall_s <= seconds}
    also = {}
    for name, (top, bottom) in ALSO_SHOWN.items():
        if top in rows and bottom in rows:
            key = "marginal_us_per_record" if name.startswith("marginal") else "us_per_record"
            also[name] = rows[top][key] / rows[bottom][key]
    return {"records": records, "tools": rows, "ratios": ratios, "also": also}


def flatness(sizes: list[dict]) -> dict:
    """How much each tool's marginal per-record cost moves from the smallest size to the others.

    Also shown: the same against the floor's own move in the same run, which is
    what the machine adds at size for any tool that reads every file (a larger
    page cache, larger folders, memory further from the CPU); the verdict is on
    the plain change.
    """
    floor = [size["tools"]["floor"]["marginal_us_per_record"] for size in sizes if "floor" in size["tools"]]
    result = {}
    for tool in TOOLS:
        costs = [size["tools"][tool]["marginal_us_per_record"] for size in sizes if tool in size["tools"]]
        if len(costs) < 2 or costs[0] <= 0:
            continue
        changes = [cost / costs[0] - 1 for cost in costs]
        result[tool] = {"change_from_smallest": changes, "met": all(abs(change) <= FLAT_WITHIN for change in changes)}
        if tool != "floor" and len(floor) == len(costs) and all(cost > 0 for cost in floor):
            result[tool]["change_against_floor"] = [
                (cost / base) / (costs[0] / floor[0]) - 1 for cost, base in zip(costs, floor, strict=True)
            ]
    return result


def print_table(report: dict) -> None:
    """The table of README's Speed section, in Markdown."""
    print("\n| records | tool | wall s | us/record | marginal us/record | peak MB | marginal KB/record |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for size in report["sizes"]:
        for tool, row in size["tools"].items():
            print(
                f"| {size['records']:,} | {tool} | {row['wall_s']:.2f} | {row['us_per_record']:.0f} | "
                f"{row['marginal_us_per_record']:.0f} | {row['peak_rss_kb'] / 1024:.0f} | "
                f"{row['marginal_kb_per_record']:.1f} |"
            )
    print("\n| records | target | ratio | met |")
    print("|---:|---|---:|---|")
    for size in report["sizes"]:
        for name, ratio in size["ratios"].items():
            shown = f"{1 / ratio['ratio']:.1f}x faster" if "faster" in name else f"{ratio['ratio']:.2f}x"
            print(f"| {size['records']:,} | {name} | {shown} | {'yes' if ratio['met'] else 'NO'} |")
    for size in report["sizes"]:
        for name, value in size["also"].items():
            print(f"| {size['records']:,} | ({name}) | {value:.2f}x | |")
    for tool, flat in report["flatness"].items():
        changes = ", ".join(f"{change:+.0%}" for change in flat["change_from_smallest"])
        against_floor = ", ".join(f"{change:+.0%}" for change in flat.get("change_against_floor", []))
        print(
            f"marginal cost per record of {tool} against the smallest size: {changes} "
            f"({'flat' if flat['met'] else 'NOT flat'} within +-{FLAT_WITHIN:.0%})"
            + (f"; as a multiple of the floor's: {against_floor}" if against_floor else "")
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--repeat", type=int, default=3, help="rounds per size; the best is kept")
    parser.add_argument("--seed", type=Path, default=REPO / "annotations", help="the corpus to scale")
    parser.add_argument("--work", type=Path, default=HERE / "out", help="where corpora are generated")
    parser.add_argument("--results", type=Path, default=HERE / "results.json")
    parser.add_argument(
        "--find-only", action="store_true", help="measure toolkit find alone (prints; results.json is left as it is)"
    )
    parser.add_argument("--tools", nargs="+", choices=TOOLS, default=list(TOOLS), help="the tools to measure")
    parser.add_argument(
        "--no-cache-rows", dest="cache", action="store_false", help="leave out the incremental cache's rows"
    )
    parser.add_argument(
        "--only-cache-rows",
        dest="only_cache",
        action="store_true",
        help="at each size, the cache's rows and the cold validate they are compared with only",
    )
    args = parser.parse_args()
    if args.find_only:
        work = args.work.resolve()
        for size in args.sizes:
            corpus = work / f"corpus-{size}"
            records = generate(args.seed, corpus, size)
            print_find(records, measure_find(corpus, child_environment(work)))
            shutil.rmtree(corpus)
        return

    formats = working_formats()
    work = args.work.resolve()
    environment = child_environment(work)
    scratch = work / "export"
    report: dict = {
        "machine": {"python": platform.python_version(), "system": platform.platform(), "cpus": os.cpu_count()},
        "versions": {
            name: importlib.metadata.version(name)
            for name in (
                "event-annotation-toolkit",
                "check-jsonschema",
                "jsonschema",
                "jsonschema-rs",
                "PyYAML",
                "ruamel.yaml",
                "ruamel.yaml.clib",
            )
        },
        "repeat": args.repeat,
        "export_formats": formats,
        "sizes": [],
    }
    # A snapshot: the seed corpus may be edited while the benchmark runs.
    seed = work / "seed"
    shutil.rmtree(seed, ignore_errors=True)
    shutil.copytree(args.seed, seed)
    seed_corpus = work / "corpus-seed"
    seed_records = generate(seed, seed_corpus, 1)
    only = ("floor", "validate") if args.only_cache else tuple(args.tools)
    seed_tools = measure(seed_corpus, args.repeat, formats, scratch, environment, warm_up=only, only=only)
    if args.cache:
        seed_tools.update(measure_cache(seed_corpus, args.repeat, environment, work / "cache"))
    report["seed"] = {"records": seed_records, "tools": {tool: asdict(m) for tool, m in seed_tools.items()}}
    print(f"seed: {seed_records} records; export formats: {', '.join(formats) or 'none'}", flush=True)
    for size in args.sizes:
        corpus = work / f"corpus-{size}"
        started = time.perf_counter()
        records = generate(seed, corpus, size)
        print(f"{records:,} records generated in {time.perf_counter() - started:.1f} s; measuring...", flush=True)
        measured = measure(corpus, args.repeat, formats, scratch, environment, only=only)
        if args.cache:
            measured.update(measure_cache(corpus, args.repeat, environment, work / "cache"))
        summary = summarise(records, seed_records, measured, seed_tools)
        summary["find"] = measure_find(corpus, environment)
        print_find(records, summary["find"])
        report["sizes"].append(summary)
        for tool, row in summary["tools"].items():
            print(
                f"  {tool:17s} {row['wall_s']:8.2f} s {row['us_per_record']:8.0f} us/record "
                f"{row['peak_rss_kb'] / 1024:8.0f} MB",
                flush=True,
            )
        shutil.rmtree(corpus)
    report["flatness"] = flatness(report["sizes"])
    args.results.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print_table(report)
    print(f"\nwrote {args.results}")


if __name__ == "__main__":
    main()
