"""Writes BENCHMARKS.md from the results of bench/run.

Usage: report.py RESULTS_DIR PACTS EVENTS CSV STORE
"""

import datetime
import json
import os
import platform
import sys
from pathlib import Path

results, pacts, events, csv, store = sys.argv[1:6]
results = Path(results)


def medians(name):
    data = json.loads((results / f"{name}.json").read_text())
    return [r["median"] for r in data["results"]]


def rss(name):
    path = results / f"{name}.rss"
    return int(path.read_text().split()[-1]) if path.exists() else None


def ms(seconds):
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def cpu():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def memory():
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            return f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    return "?"


store_bytes = sum(p.stat().st_size for p in Path(store).glob("*.jsonl"))
rows = []


def exists(name):
    return (results / f"{name}.json").exists()


b1 = medians("b1")
rows.append(("B1 `status P --on D --json`", b1[0], "SQLite indexed point query", b1[1], "≤ 1.0"))
if len(b1) > 2:
    rows.append(("B1, the statically linked build", b1[2], "SQLite indexed point query", b1[1], "≤ 1.0"))
b2cold = medians("b2cold")[0]
b2warm = medians("b2warm")[0]
b2sqlite = medians("b2sqlite")[0]
b2jq = medians("b2jq")[0]
rows.append(("B2 `list --on D --json`, warm cache", b2warm, "SQLite's best query: a recursive walk of the index, one probe per pact", b2sqlite, "≤ 0.5"))
if exists("b2duckdb"):
    rows.append(("B2 `list --on D --json`, cold (only `*.jsonl`)", b2cold, "DuckDB `read_json` over the same files, no load before (whole process)", medians("b2duckdb")[0], "≤ 0.25"))
rows.append(("B2 `list --on D --json`, cold (only `*.jsonl`)", b2cold, "jq over the same files, one `reduce`", b2jq, "≤ 0.05"))
b3 = medians("b3")
rows.append(("B3 `verify`", b3[0], "`openssl dgst -sha256` of the stream files, one core", b3[1], "≤ 1.5"))
b4 = medians("b4")
rows.append(("B4 `import` of the CSV", b4[0], "sqlite3 `.import` and index", b4[1], "≤ 1.0"))
if exists("b4shuffled"):
    b4s = medians("b4shuffled")
    rows.append(("B4 `import` of the same rows shuffled", b4s[0], "sqlite3 `.import` and index of the shuffled file", b4s[1], "≤ 1.5"))
    rows.append(("B4 `import --dry-run` of the shuffled rows", b4s[2], "`import` of the shuffled rows", b4s[0], "≤ 1.0"))
b5 = medians("b5")
rows.append(("B5 one durable append (`note`)", b5[0], "one SQLite INSERT, synchronous=FULL", b5[1], "≤ 1.0"))
if exists("one"):
    one = medians("one")
    rows.append(("`status` on one pact of 1,000,000 events", one[0], "`openssl dgst -sha256` of that stream file", one[1], "≤ 1.5"))
if exists("onecsv"):
    onecsv = medians("onecsv")
    rows.append(("`export --csv` of that pact", onecsv[0], "`export` (JSON Lines) of it", onecsv[1], "≤ 2.0"))

out = []
out.append("# Benchmarks\n")
out.append(
    "Made by `bench/run` (see `bench/README.md`): each command is a whole process, "
    "timed by hyperfine; the figures are medians of the same run, and a ratio is "
    "pactlog's median divided by the comparator's.\n"
)
out.append(f"- Date: {datetime.date.today().isoformat()}")
out.append(f"- Machine: {os.cpu_count()} cores ({cpu()}), {memory()} of memory, {platform.system()} {platform.release()}")
out.append(
    f"- Data: {int(pacts):,} pacts × {int(events):,} status events = {int(pacts) * int(events):,} events; "
    f"the store holds {store_bytes / 1e6:.0f} MB of JSON Lines, the CSV {Path(csv).stat().st_size / 1e6:.0f} MB\n"
)
out.append("| benchmark | pactlog | comparator | comparator time | ratio | target | met |")
out.append("| --- | --- | --- | --- | --- | --- | --- |")
for name, ours, comparator, theirs, target in rows:
    ratio = ours / theirs
    limit = float(target.split()[-1])
    out.append(
        f"| {name} | {ms(ours)} | {comparator} | {ms(theirs)} | {ratio:.2f} | {target} | {'yes' if ratio <= limit else 'no'} |"
    )
out.append("")
out.append(
    "The pactlog measured is the build a plain `cargo build --release` makes (dynamically linked); "
    "the second B1 row times the statically linked build that README.md's \"Set up\" offers for speed, "
    "in the same run.\n"
)
listed, named, authenticated, answered, least = medians("b2floor")
hashed = medians("b3par")[0]
cores = os.cpu_count()
out.append(
    "Bounds, measured in the same run: what any `list` that checks each stream must at least do, "
    "whatever it then does. The first three are `bench/floor.rs`, which takes a `stat` of each stream "
    "and does nothing else (the third also reads the cache file whole and takes one keyed BLAKE3 hash "
    "of it, on a third thread, as a warm `list` must before it trusts any of it). The next two take the "
    "`stat`s with every name known and write `list --json`'s answer, a row of its fields and about its "
    "length for each stream, serialized as `list` serializes it, answering nothing; the second also reads "
    "and authenticates five bytes of the cache for each status, as if a cache held each status's day and "
    "kind and nothing else.\n"
)
out.append("| bound | time | ratio to SQLite's B2 query |")
out.append("| --- | --- | --- |")
out.append(f"| warm: list the store and take one `stat` of each stream, on {cores} cores | {ms(listed)} | {listed / b2sqlite:.2f} |")
out.append(f"| warm: one `stat` of each stream, every name known beforehand, on {cores} cores | {ms(named)} | {named / b2sqlite:.2f} |")
out.append(f"| warm: list the store, one `stat` of each stream, and read and authenticate the cache beside them | {ms(authenticated)} | {authenticated / b2sqlite:.2f} |")
out.append(f"| warm: one `stat` of each stream, names known, and the answer's JSON written, nothing read | {ms(answered)} | {answered / b2sqlite:.2f} |")
out.append(f"| warm: the same, reading and authenticating five bytes a status (its day and kind) beside them | {ms(least)} | {least / b2sqlite:.2f} |")
out.append(f"| cold: `openssl dgst -sha256` hashes the stream files, on {cores} cores | {ms(hashed)} | {hashed / b2sqlite:.2f} |")
out.append(f"| cold: the same on one core (B3's comparator) | {ms(b3[1])} | {b3[1] / b2sqlite:.2f} |")
out.append("")
out.append("Peak memory (maximum resident set) of each pactlog command:\n")
out.append("| command | peak memory | target |")
out.append("| --- | --- | --- |")
for name, label, target in [
    ("b1", "B1 `status`", "< 64 MiB"),
    ("b2cold", "B2 `list`, cold cache", "< 64 MiB"),
    ("b2warm", "B2 `list`, warm cache", "< 64 MiB"),
    ("b3", "B3 `verify`", ""),
    ("b4", "B4 `import`", ""),
    ("b4shuffled", "B4 `import` of the shuffled rows", ""),
    ("b4dry", "B4 `import --dry-run` of the shuffled rows", ""),
    ("scalecold", "B2 `list`, cold, on five times the store", ""),
    ("scalewarm", "B2 `list`, warm, on five times the store", ""),
    ("scaleverify", "B3 `verify` on five times the store", ""),
    ("b5", "B5 `note`", ""),
]:
    kib = rss(name)
    if kib is not None:
        out.append(f"| {label} | {kib / 1024:.1f} MiB | {target} |")
out.append("")
if exists("scalecold"):
    cold5, warm5, verify5 = (medians(n)[0] for n in ("scalecold", "scalewarm", "scaleverify"))
    out.append(
        f"How cost grows, without a target: the same commands on a store five times the size "
        f"({int(pacts) * 5:,} pacts × {int(events):,} events), in the same run.\n"
    )
    out.append("| command | 1,000,000 events | 5,000,000 events | growth |")
    out.append("| --- | --- | --- | --- |")
    for label, small, big in [
        ("B2 `list`, cold", b2cold, cold5),
        ("B2 `list`, warm", b2warm, warm5),
        ("B3 `verify`", b3[0], verify5),
    ]:
        out.append(f"| {label} | {ms(small)} | {ms(big)} | {big / small:.2f}× |")
    out.append("")
# the figures of bench/memory, which measures memory at scale apart
memory = Path(__file__).with_name("MEMORY.md")
if memory.exists():
    out.append(memory.read_text().strip())
    out.append("")
notes = Path(__file__).with_name("NOTES.md")
if notes.exists():
    out.append(notes.read_text().strip())
    out.append("")
print("\n".join(out))
