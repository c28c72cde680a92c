"""The checks that need the whole set: every node reachable, each keyword leading to one node, only known
languages and sources named. Plain functions: each takes what it needs and returns the problems it found."""

from __future__ import annotations

from collections.abc import Iterable

from bot.flow import Language, Node, Place, Problem, Source
from bot.flowfile import ParsedFile
from bot.match import command_form

# node id -> (the file that defines it, its path there): how a problem about a node finds its line.
Places = dict[str, tuple[ParsedFile, tuple]]


def _at(node_at: Places, node_id: str, below: tuple, message: str) -> Problem:
    parsed, at = node_at[node_id]
    return Problem(parsed.name, parsed.line_of(at + below), node_id, message)


def unreachable(nodes: dict[str, Node], start: str, node_at: Places) -> list[Problem]:
    """Nodes no menu option or next leads to, from the start: text nobody can ever be shown."""
    reached, queue = {start}, [start]
    while queue:
        node = nodes[queue.pop()]
        for target in [o.target for o in node.options] + [node.next]:
            if target and target not in reached:
                reached.add(target)
                queue.append(target)
    return [_at(node_at, node_id, (), f"cannot be reached from the start ({start}): "
                                      "no menu option or next leads to it.")
            for node_id in nodes if node_id not in reached]


def keyword_clashes(nodes: dict[str, Node], node_at: Places, places: Iterable[Place],
                    place_at: Places) -> list[Problem]:
    """A keyword that leads to two places (nodes, or kinds of place in places.yaml): a message holding only it
    gets a question instead of an answer. A warning, since asking is safe; staff may mean it."""
    problems: list[Problem] = []
    owner: dict[str, str] = {}

    def claim(word: str, target: str, parsed: ParsedFile, at: tuple, node: str) -> None:
        key = command_form(word.rstrip("*"))  # the same folding the bot uses when it matches
        first = owner.setdefault(key, target)
        if first != target:
            problems.append(Problem(parsed.name, parsed.line_of(at), node,
                                    f"the keyword {word!r} also leads to {first}: a message with only it will get "
                                    "a question, not an answer.", warning=True))

    for node_id, node in nodes.items():
        parsed, at = node_at[node_id]
        counted: dict[str | None, int] = {}
        for word, lang in node.keywords:
            index = counted[lang] = counted.get(lang, -1) + 1  # the word's line: its language's group, its place
            claim(word, node_id, parsed, at + (("keywords", lang, index) if lang else ("keywords", index)), node_id)
    for place in places:
        parsed, at = place_at[place.id]
        for index, word in enumerate(place.keywords):
            claim(word, f"places:{place.id}", parsed, at + ("keywords", index), f"places:{place.id}")
    return problems


def languages_named(nodes: dict[str, Node], languages: dict[str, Language], node_at: Places) -> list[Problem]:
    """Keyword groups and language options may only name languages that languages.yaml defines."""
    problems = []
    for node_id, node in nodes.items():
        for _word, lang in node.keywords:
            if lang and lang not in languages:
                problems.append(_at(node_at, node_id, ("keywords",), f"keywords are grouped under {lang!r}, a "
                                                                     "language languages.yaml does not define."))
                break  # one sentence per node is enough: the group's name is wrong, not each word
        for option in node.options:
            if option.language and option.language not in languages:
                problems.append(_at(node_at, node_id, (), f"option {option.key} picks the language "
                                                          f"{option.language!r}, which languages.yaml "
                                                          "does not define."))
    return problems


def sources_cited(cited: list[tuple[str, ParsedFile, tuple, str | None]], sources: dict[str, Source]) -> list[Problem]:
    """Every fact names a source that sources.yaml lists; `cited` is (source id, file, path, node) per citation."""
    return [Problem(parsed.name, parsed.line_of(path), node,
                    f"cites the source {source_id!r}, which sources.yaml does not list.")
            for source_id, parsed, path, node in cited if source_id not in sources]
