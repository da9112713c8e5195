"""Recognition on real people's questions: vmdocker's matcher against two rapidfuzz peers.

Reads benchmarks/recognition/{dev,test,fresh}.yaml and prints, per split, how often in-scope
questions are answered with a right entry, a wrong entry, offered the right entry only as
"did you mean", or declined, and how often off-topic questions are declined. The peers are
`rapidfuzz.process.extractOne` with WRatio and with token_set_ratio over every entry's title,
example questions and keywords; each answers at or above a threshold picked on dev only.
`both` is dev and test, `all` adds fresh (a frozen third batch); misses are listed for dev or
test only, never for fresh, so that nobody tunes to its questions one by one.

    .venv/bin/python benchmarks/bench_recognition.py [--split dev|test|fresh|both|all]
        [--misses dev|test] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

from bot.core.answers import Answers
from bot.core.models import Band

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "recognition"
SYSTEMS = ("vmdocker", "wratio", "token_set")
SPLITS = {
    "dev": ["dev"],
    "test": ["test"],
    "fresh": ["fresh"],
    "both": ["dev", "test"],
    "all": ["dev", "test", "fresh"],
}
PEERS: dict[str, Callable[..., float]] = {"wratio": fuzz.WRatio, "token_set": fuzz.token_set_ratio}


@dataclass(frozen=True)
class Verdict:
    """One system's reply to one question: band, top entry id, score, ids it suggested."""

    band: Band
    got: str | None
    score: float
    offered: frozenset[str] = frozenset()  # best and runner-ups, for the suggest band


Pair = tuple[list[Verdict], list[Verdict]]  # (in-scope verdicts, off-topic verdicts)


@dataclass
class Split:
    name: str
    in_scope: list[dict[str, Any]]
    off_topic: list[dict[str, Any]]
    skipped: int
    verdicts: dict[str, Pair] = field(default_factory=dict)


def load_split(name: str, known: set[str]) -> Split:
    """Items of `name`.yaml; in-scope items none of whose expected ids exist are skipped."""
    path = DATA / f"{name}.yaml"
    if not path.is_file():
        sys.exit(f"bench_recognition: missing data file {path}")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    items = data.get("in_scope") or []
    kept = [item for item in items if known & set(item["expect"])]
    return Split(name, kept, data.get("off_topic") or [], len(items) - len(kept))


def vmdocker(answers: Answers, question: str, timings: list[float]) -> Verdict:
    tick = time.perf_counter()
    match = answers.match(question)
    timings.append((time.perf_counter() - tick) * 1000)
    ids = [c.entry.id for c in match.runner_ups]
    got = match.entry.id if match.entry else None
    offered = frozenset([*ids, got] if got else ids)
    return Verdict(match.band, got, match.score, offered)


def peer_raw(question: str, *, phrases: list[str], ids: list[str], scorer: Any) -> Verdict:
    """The peer's best phrase before any threshold (band ANSWER; `thresholded` cuts it)."""
    found = process.extractOne(question, phrases, scorer=scorer, processor=default_process)
    got = ids[found[2]] if found else None
    return Verdict(Band.ANSWER if got else Band.NONE, got, found[1] if found else 0.0)


def run(split: Split, system: Callable[[str], Verdict]) -> Pair:
    return [system(i["q"]) for i in split.in_scope], [system(i["q"]) for i in split.off_topic]


def thresholded(raw: Pair, threshold: int) -> Pair:
    def cut(v: Verdict) -> Verdict:
        return v if v.got and v.score >= threshold else Verdict(Band.NONE, v.got, v.score)

    return [cut(v) for v in raw[0]], [cut(v) for v in raw[1]]


def tally(split: Split, system: str) -> dict[str, int]:
    ins, offs = split.verdicts[system]
    counts = dict.fromkeys(["right", "wrong", "suggest_right", "declined"], 0)
    for item, v in zip(split.in_scope, ins, strict=True):
        expect = set(item["expect"])
        if v.band is Band.ANSWER:
            counts["right" if v.got in expect else "wrong"] += 1
        elif v.band is Band.SUGGEST and v.offered & expect:
            counts["suggest_right"] += 1
        else:
            counts["declined"] += 1
    bands = [v.band for v in offs]
    return {
        "in_scope": len(ins),
        **counts,
        "off_topic": len(offs),
        "off_declined": bands.count(Band.NONE),
        "off_answered": bands.count(Band.ANSWER),
        "off_suggested": bands.count(Band.SUGGEST),
    }


def objective(counts: dict[str, int]) -> int:
    return counts["right"] + counts["off_declined"] - 2 * counts["wrong"]


def with_percents(figures: dict[str, dict[str, int]]) -> dict[str, dict[str, float]]:
    """Counts plus `<name>_pct` of in-scope N (or off-topic N for `off_*`)."""
    out: dict[str, dict[str, float]] = {}
    for system, c in figures.items():
        out[system] = dict(c)
        for key in ("right", "wrong", "suggest_right", "declined", "off_declined"):
            whole = c["off_topic" if key.startswith("off") else "in_scope"]
            out[system][f"{key}_pct"] = round(100 * c[key] / whole, 1) if whole else 0.0
    return out


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}% ({part:>3})" if whole else "    - (  0)"


def table(split: Split, figures: dict[str, dict[str, int]]) -> str:
    first = figures["vmdocker"]
    lines = [
        f"\n{split.name}: in-scope N={first['in_scope']} (skipped {split.skipped}: no expected "
        f"entry in the knowledge base), off-topic N={first['off_topic']}",
        "| system    | right        | wrong        | suggest-right | declined     "
        "| off-topic declined | off answered | off suggested |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for system, c in figures.items():
        n, m = c["in_scope"], c["off_topic"]
        lines.append(
            f"| {system:<9} | {pct(c['right'], n)} | {pct(c['wrong'], n)} "
            f"| {pct(c['suggest_right'], n)}  | {pct(c['declined'], n)} "
            f"| {pct(c['off_declined'], m)}       | {c['off_answered']:>12} "
            f"| {c['off_suggested']:>13} |"
        )
    return "\n".join(lines)


def misses(split: Split) -> str:
    ins, offs = split.verdicts["vmdocker"]
    lines = [
        f"\nvmdocker misses on {split.name}: in-scope not answered right, off-topic not declined"
    ]
    rows = [(i, v, f"expect={i['expect']}") for i, v in zip(split.in_scope, ins, strict=True)]
    rows += [(i, v, f"off-topic={i['topic']}") for i, v in zip(split.off_topic, offs, strict=True)]
    for item, v, label in rows:
        ok = (
            v.band is Band.NONE
            if "topic" in item
            else v.band is Band.ANSWER and v.got in item["expect"]
        )
        if not ok:
            lines.append(
                f"  [{v.band.value}] got={v.got} ({v.score:.0f}) {label}\n      {item['q'][:120]}"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=list(SPLITS), default="both")
    parser.add_argument("--misses", choices=["dev", "test"])
    parser.add_argument("--json", action="store_true", help="one JSON object instead of tables")
    args = parser.parse_args()
    shown = SPLITS[args.split]

    answers = Answers.load(ROOT / "knowledge")
    entries = answers.knowledge.entries
    pairs = [(p, e.id) for e in entries.values() for p in [e.title, *e.questions, *e.keywords]]
    phrases, ids = [p for p, _ in pairs], [i for _, i in pairs]
    names = dict.fromkeys(["dev", "test", *shown])  # dev picks thresholds; fresh only if shown
    splits = {n: load_split(n, set(entries)) for n in names}

    timings: list[float] = []
    raw: dict[tuple[str, str], Pair] = {}
    for split in splits.values():
        split.verdicts["vmdocker"] = run(split, lambda q: vmdocker(answers, q, timings))
        for name, scorer in PEERS.items():
            peer = partial(peer_raw, phrases=phrases, ids=ids, scorer=scorer)
            raw[name, split.name] = run(split, peer)

    thresholds: dict[str, int] = {}
    dev = splits["dev"]
    for name in PEERS:
        best_value = None
        for threshold in range(101):  # ties go to the higher threshold
            dev.verdicts[name] = thresholded(raw[name, "dev"], threshold)
            value = objective(tally(dev, name))
            if best_value is None or value >= best_value:
                best_value, thresholds[name] = value, threshold
        for split in splits.values():
            split.verdicts[name] = thresholded(raw[name, split.name], thresholds[name])

    figures = {n: {s: tally(splits[n], s) for s in SYSTEMS} for n in shown}
    median_ms = statistics.median(timings) if timings else 0.0
    if args.json:
        report = {
            "knowledge_entries": len(entries),
            "phrases": len(phrases),
            "peer_thresholds": thresholds,
            "vmdocker_median_ms": round(median_ms, 3),
            "splits": {
                n: {"skipped_in_scope": splits[n].skipped, "systems": with_percents(figures[n])}
                for n in shown
            },
        }
        print(json.dumps(report, indent=2))
    else:
        print(f"knowledge: {len(entries)} entries, {len(phrases)} phrases")
        print(f"peer thresholds (picked on dev): {thresholds}")
        print(f"vmdocker match: median {median_ms:.3f} ms per question ({len(timings)} questions)")
        print("declined = declined, or suggested without the right entry; peers never suggest")
        for n in shown:
            print(table(splits[n], figures[n]))
    if args.misses:
        print(misses(splits[args.misses]), file=sys.stderr if args.json else sys.stdout)


if __name__ == "__main__":
    main()
