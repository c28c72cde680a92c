"""Flows at scale: load-and-check time and peak memory for the shipped flows and for generated sets of
1,000 and 10,000 nodes in five languages; engine step and keyword-matching time per message."""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bot import engine, flow, match, sms
from bot.config import ROOT
from bot.i18n import Translator
from bot.turn import Message, State
from bot.vocabulary import Vocabulary

NODES_PER_FILE = 500  # each file stays under the 512 KiB cap


def generate(folder: Path, nodes: int) -> Path:
    """A tree of `nodes` menus and scripts (7 choices a menu), each node with its own keyword, in the
    shipped set's five languages, beside the shipped data files."""
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(ROOT / "flows", folder)
    for name in ("main.yaml", "rights.yaml", "safe.yaml"):
        (folder / name).unlink()
    files = (nodes + NODES_PER_FILE - 1) // NODES_PER_FILE
    for index in range(files):
        lines = ["# yaml-language-server: $schema=schema.json", "version: 1", f"flow: g{index}", "nodes:"]
        for number in range(index * NODES_PER_FILE, min(nodes, (index + 1) * NODES_PER_FILE)):
            children = [child for child in range(number * 7 + 1, number * 7 + 8) if child < nodes]
            lines += [f"  n{number}:", f'    text: "Generated node {number}: what to do, in a sentence or two."',
                      f'    keywords: {{en: ["topic{number}"], es: ["tema{number}"]}}']
            if children:
                lines.append("    options:")
                for key, child in enumerate(children, start=1):
                    lines += [f'      - key: "{key}"', f'        label: "Choice {child}"',
                              f"        target: g{child // NODES_PER_FILE}:n{child}"]
                if number == 0:  # the root also leads to the language menu
                    lines += ['      - key: "8"', '        label: "Language"', "        target: main:language"]
            else:
                lines.append("    end: true")
        (folder / f"g{index}.yaml").write_text("\n".join(lines) + "\n")
    language_node = ["  language:", '    text: "Choose a language:"', "    options:"]
    for key, code in enumerate(("en", "es", "vi", "zh_Hans", "ar"), start=1):
        language_node += [f'      - key: "{key}"', f'        label: "{code}"', f"        language: {code}"]
    header = ["# yaml-language-server: $schema=schema.json", "version: 1", "flow: main", "nodes:"]
    (folder / "lang.yaml").write_text("\n".join([*header, *language_node]) + "\n")
    system = (folder / "system.yaml").read_text().replace("start: main:menu", "start: g0:n0")
    (folder / "system.yaml").write_text(system)
    return folder


_CHILD = """
import json, re, resource, sys, time
from pathlib import Path
from bot import flow
def rss():
    return int(re.search(r"VmRSS:\\s+(\\d+)", Path("/proc/self/status").read_text()).group(1))
before, peak_before = rss(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
loaded = flow.load(sys.argv[1])
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "held_mib": (rss() - before) / 1024, "nodes": len(loaded.nodes),
                  "peak_mib": max(0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024}))
"""


def _load_in_child(folder: Path) -> dict:
    """Load and check in a fresh process: its time, and how much its peak resident memory grew."""
    out = subprocess.run([sys.executable, "-c", _CHILD, str(folder)], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _vocabulary_ms(loaded: flow.Flows) -> float:
    translator = Translator(loaded, ROOT / "translations")
    started = time.perf_counter()
    Vocabulary.build(loaded, translator.text)
    return (time.perf_counter() - started) * 1e3


def _per_call_us(function, inputs: list, repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        for item in inputs:
            function(item)
    return (time.perf_counter() - started) / (repeat * len(inputs)) * 1e6


def run(work: Path) -> dict:
    result: dict = {}
    lines = ["Flows at scale                        load+check   peak memory   vocabulary"]
    sets = [("shipped", ROOT / "flows", 5)]
    for nodes in (1_000, 10_000):
        sets.append((f"{nodes:,} generated nodes", generate(work / f"flows-{nodes}", nodes), 3 if nodes < 5000 else 1))
    lines[0] = "Flows at scale (a fresh process each)   load+check   peak / held RSS   vocabulary"
    for name, folder, rounds in sets:
        try:
            runs = [_load_in_child(folder) for _ in range(rounds)]
        except subprocess.CalledProcessError as error:
            result[name] = {"error": error.stderr[-500:]}
            lines.append(f"  {name:<34} refused or failed: {error.stderr.strip().splitlines()[-1]}")
            continue
        seconds = statistics.median(run["seconds"] for run in runs)
        peak = statistics.median(run["peak_mib"] for run in runs)
        held = statistics.median(run["held_mib"] for run in runs)
        loaded = flow.load(folder) if rounds > 1 else None
        vocabulary_ms = _vocabulary_ms(loaded) if loaded else None
        result[name] = {"nodes": runs[0]["nodes"], "load_ms": seconds * 1e3, "peak_mib": peak, "held_mib": held,
                        "vocabulary_ms": vocabulary_ms}
        shown = f"{vocabulary_ms:>9.0f} ms" if vocabulary_ms is not None else "        -"
        lines.append(f"  {name:<34} {seconds * 1e3:>8.0f} ms {peak:>7.1f} / {held:>5.1f} MiB {shown}")
    # The engine on the shipped flows: one step per message, from a session at the main menu.
    loaded = flow.load(ROOT / "flows")
    translator = Translator(loaded, ROOT / "translations")
    vocabulary = Vocabulary.build(loaded, translator.text)
    now = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)
    state = State(loaded.start, "en")
    inputs = ["1", "2", "back", "more", "safe places", "hospitl", "derechoz", "zzz", "ayuda", "0"]
    step_us = _per_call_us(lambda text: engine.step(loaded, vocabulary, state, Message(text), now), inputs, 300)
    pool = vocabulary.fuzzy[("en", loaded.start)][1]
    fuzzy_us = _per_call_us(lambda text: match.fuzzy_pick(text, pool), ["hospitl", "derechoz", "zzz"], 300)
    labels = sum(len(v) for v in vocabulary.labels.values())
    understanding = vocabulary.understanding
    keywords = len(understanding.han) + sum(len(found) for found in (*understanding.by_first_word.values(),
                                                                      *understanding.by_stem.values()))
    result["engine"] = {"step_us": step_us, "fuzzy_us": fuzzy_us, "keywords": keywords,
                        "labels": labels, "global_pool": len(pool)}
    lines.append(f"  engine step (shipped flows): {step_us:.0f} µs a message; fuzzy match against the "
                 f"{len(pool)} global words: {fuzzy_us:.0f} µs ({keywords} keywords, "
                 f"{labels} labels in all languages)")
    # Understanding people's own words: residents' sentences (the project's labelled examples), as a first text
    # (language told from the words) and at the main menu; a whole text adds laying the reply out in pages.
    sentences = [json.loads(line)["text"] for line in
                 (ROOT / "tests" / "routing" / "examples.jsonl").read_text(encoding="utf-8").splitlines() if line]
    first_us = _per_call_us(lambda text: engine.step(loaded, vocabulary, None, Message(text), now), sentences, 30)
    menu_us = _per_call_us(lambda text: engine.step(loaded, vocabulary, state, Message(text), now), sentences, 30)
    whole_us = _per_call_us(lambda text: sms.render_text(translator, engine.step(
        loaded, vocabulary, None, Message(text), now), 3), sentences, 30)
    result["understanding"] = {"first_step_us": first_us, "menu_step_us": menu_us, "whole_text_us": whole_us}
    lines.append(f"  understanding, {len(sentences)} residents' sentences: step {first_us:.0f} µs as a first text, "
                 f"{menu_us:.0f} µs at the menu; a whole text laid out in pages {whole_us:.0f} µs "
                 "(targets 1,000 and 2,000)")
    result["lines"] = lines
    return result
