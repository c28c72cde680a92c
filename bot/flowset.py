"""Building the whole set: the parsed files become one Flows, nodes resolved across files, data read.
Per-node rules are checked while reading; the set-wide checks in flowcheck run once every file is read."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot import flowcheck, match
from bot.flow import (
    COMMANDS,
    DEFAULT_REMINDERS,
    DENVER,
    PHRASES,
    Event,
    FlowError,
    Flows,
    Hotline,
    Language,
    Node,
    Offset,
    Option,
    Place,
    Problem,
    Source,
    sort_key,
)
from bot.flowfile import ParsedFile, strings_of

# A source not checked for this long is named at every check, so someone looks at it again.
STALE_AFTER_DAYS = 180


def _when(text: str) -> datetime | date:
    """`2026-03-04 18:00` (America/Denver) or, when the time is not known, `2026-03-04`."""
    if " " in text:
        return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=DENVER)
    return date.fromisoformat(text)


class Builder:
    """Gathers the parsed files into one Flows, checking what no single file can check alone."""

    def __init__(self, files: list[ParsedFile], today: date):
        self.files = files
        self.today = today  # what dates are judged by: a source's `checked`
        self.problems: list[Problem] = []  # what the set gets wrong; each file's own are in its problems
        self.nodes: dict[str, Node] = {}
        self.node_at: dict[str, tuple[ParsedFile, tuple]] = {}  # node id -> (its file, its path there)
        self.strings: dict[str, str] = {}
        self.refs: dict[str, tuple[str, int]] = {}
        self.system: ParsedFile | None = None
        self.languages: dict[str, Language] = {}
        self.sources: dict[str, Source] = {}
        self.places: list[Place] = []
        self.place_at: flowcheck.Places = {}  # place id -> (its file, its path there), as node_at for nodes
        self.events: list[Event] = []
        self.hotlines: list[Hotline] = []
        self.cited: list[tuple[str, ParsedFile, tuple, str | None]] = []  # source id, where, node

    def fail(self, parsed: ParsedFile, path: tuple, message: str, node: str | None = None) -> None:
        self.problems.append(Problem(parsed.name, parsed.line_of(path), node, message))

    def one_of_a_kind(self, kind: str) -> ParsedFile | None:
        found = [f for f in self.files if f.kind == kind]
        if len(found) > 1:
            for extra in found[1:]:
                self.fail(extra, (), f"only one file may hold {kind.replace('_file', '')}; "
                                     f"{found[0].name} already does.")
        return found[0] if found else None

    def build(self) -> Flows:
        good = [f for f in self.files if f.kind and not f.errors]
        for parsed in good:
            for message_id, text, line in strings_of(parsed):
                self.strings[message_id] = text
                self.refs[message_id] = (parsed.name, line)
        self.read_languages()
        self.read_sources()
        self.read_data()
        flow_files = [parsed for parsed in good if parsed.kind == "flow_file"]
        for parsed in flow_files:
            self.register_nodes(parsed)
        for parsed in flow_files:
            self.read_flow(parsed)
        self.system = self.one_of_a_kind("system_file")
        start = language_node = None
        if self.system is None:
            self.problems.append(Problem("flows/system.yaml", 1, None,
                                         "is missing: it names the start node and holds the system phrases."))
        elif not self.system.errors:
            start = self.resolve(self.system.data["start"], None, self.system, ("start",))
            language_node = self.resolve(self.system.data["language_node"], None, self.system,
                                         ("language_node",))
        if start is not None:  # without a start neither reachability nor keywords can be judged fairly
            self.problems += flowcheck.unreachable(self.nodes, start, self.node_at)
            self.problems += flowcheck.keyword_clashes(self.nodes, self.node_at, self.places, self.place_at)
        self.problems += flowcheck.sources_cited(self.cited, self.sources)
        self.problems += flowcheck.languages_named(self.nodes, self.languages, self.node_at)
        found = [p for f in self.files for p in f.problems] + self.problems
        errors = [p for p in found if not p.warning]
        warnings = [p for p in found if p.warning]
        if errors:
            raise FlowError(errors, warnings)
        assert start is not None and language_node is not None  # a missing one is an error above
        return Flows(
            nodes=self.nodes, start=start, language_node=language_node, strings=self.strings,
            refs=self.refs, languages=self.languages, places=tuple(self.places),
            events=tuple(sorted(self.events, key=lambda e: sort_key(e.start))),
            hotlines=tuple(self.hotlines), sources=self.sources, warnings=tuple(warnings),
        )

    def resolve(self, target: str, flow: str | None, parsed: ParsedFile, path: tuple,
                node: str | None = None) -> str | None:
        full = target if ":" in target else f"{flow}:{target}"
        if full not in self.nodes:
            self.fail(parsed, path, f"points to '{full}', which does not exist.", node)
            return None
        return full

    def register_nodes(self, parsed: ParsedFile) -> None:
        """First pass over every flow file: know every node, so targets resolve in any file order."""
        flow = parsed.data["flow"]
        for name in parsed.data["nodes"]:
            node_id = f"{flow}:{name}"
            if node_id in self.nodes:
                other = self.node_at[node_id][0]
                self.fail(parsed, ("nodes", name), f"the node {node_id} is defined twice "
                                                   f"(also in {other.name}).", node_id)
                continue
            self.node_at[node_id] = (parsed, ("nodes", name))
            self.nodes[node_id] = Node(id=node_id)  # a placeholder until read_flow fills it in

    def read_flow(self, parsed: ParsedFile) -> None:
        flow = parsed.data["flow"]
        mine = [name for name in parsed.data["nodes"] if self.node_at[f"{flow}:{name}"][0] is parsed]
        for name in mine:
            raw = parsed.data["nodes"][name]
            node_id = f"{flow}:{name}"
            at = ("nodes", name)
            options: list[tuple[dict, tuple]] = []
            seen: dict[str, int] = {}
            for index, option in enumerate(raw.get("options", [])):
                where = at + ("options", index)
                if option["key"] in seen:
                    self.fail(parsed, where + ("key",), f"option key {option['key']} is used twice in this "
                                                        f"menu (first on line {seen[option['key']]}).", node_id)
                seen.setdefault(option["key"], parsed.line_of(where))
                if "target" not in option and "language" not in option:
                    self.fail(parsed, where, f"option {option['key']} needs a target or a language.", node_id)
                options.append((option, where))
            kinds = [k for k in ("options", "next", "data", "end") if raw.get(k)]
            if not kinds:
                self.fail(parsed, at, "is a dead end: give it options, a next node, a data list, "
                                      "or mark it `end: true`.", node_id)
            if raw.get("lookup") and not raw.get("data"):
                self.fail(parsed, at + ("lookup",), "a lookup needs the data list it looks in.", node_id)
            for source_id in raw.get("sources", []):
                self.cited.append((source_id, parsed, at + ("sources",), node_id))
            self.finish_node(parsed, node_id, options, raw)

    def finish_node(self, parsed: ParsedFile, node_id: str, options: list[tuple[dict, tuple]], raw: dict) -> None:
        """Replace the node's placeholder with the real one; every target resolves, as all are registered."""
        flow = node_id.split(":")[0]
        at = self.node_at[node_id][1]
        built = []
        for option, where in options:
            target = None
            if "target" in option:
                target = self.resolve(option["target"], flow, parsed, where + ("target",), node_id)
            label = f"language:{option['language']}" if "language" in option else f"{node_id}/{option['key']}"
            built.append(Option(key=option["key"], label=label, target=target,
                                language=option.get("language")))
        next_node = self.resolve(raw["next"], flow, parsed, at + ("next",), node_id) if "next" in raw else None
        self.nodes[node_id] = Node(
            id=node_id, options=tuple(built), next=next_node, data=raw.get("data"), lookup=raw.get("lookup"),
            keywords=_keywords(raw.get("keywords", [])), sources=tuple(raw.get("sources", [])),
            end=bool(raw.get("end")),
        )

    def read_languages(self) -> None:
        parsed = self.one_of_a_kind("languages_file")
        if parsed is None:
            self.problems.append(Problem("flows/languages.yaml", 1, None, "is missing."))
            return
        if parsed.errors:
            return
        for code, raw in parsed.data["languages"].items():
            self.languages[code] = Language(
                code=code, name=raw["name"], enabled=raw["enabled"], names=tuple(raw["names"]),
                greetings=tuple(raw["greetings"]), voice=raw.get("voice"), speech=raw.get("speech"),
                voice_language=raw.get("voice_language") or raw.get("speech"),
                commands={name: tuple(raw["commands"][name]) for name in COMMANDS},
                phrases={kind: tuple(raw.get("phrases", {}).get(kind, ())) for kind in PHRASES},
            )
            self.check_phrases(parsed, code, raw.get("phrases", {}))
        if "en" not in self.languages or not self.languages["en"].enabled:
            self.fail(parsed, ("languages",), "English (en) must be defined and enabled: it is the source.")

    def check_phrases(self, parsed: ParsedFile, code: str, phrases: dict) -> None:
        """A stop or forget phrase counts anywhere in a message, so it must never be one word ("stop" would
        unsubscribe "the bus stop"), nor mean both."""
        meaning: dict[str, str] = {}
        for kind in ("stop", "forget"):
            for index, phrase in enumerate(phrases.get(kind, [])):
                words = match.command_form(phrase)
                at = ("languages", code, "phrases", kind, index)
                if " " not in words and not match.is_han(words):
                    self.fail(parsed, at, f"the {kind} phrase {phrase!r} is a single word, and a phrase counts "
                                          f"anywhere in a message; put it under commands.{kind}, where a word "
                                          "counts only as the whole message.")
                elif meaning.setdefault(words, kind) != kind:
                    self.fail(parsed, at, f"the phrase {phrase!r} is both a stop and a forget phrase.")

    def read_sources(self) -> None:
        parsed = self.one_of_a_kind("sources_file")
        if parsed is None or parsed.errors:
            return
        for index, raw in enumerate(parsed.data["sources"]):
            at = ("sources", index)
            if raw["id"] in self.sources:
                self.fail(parsed, (*at, "id"), f"the source id {raw['id']!r} is used twice.")
            dates = {name: self.read_date(parsed, (*at, name), raw[name])
                     for name in ("published", "checked", "seen_in_copy", "review_by")
                     if raw.get(name) not in (None, "not yet")}
            review_by = dates.get("review_by")
            if review_by is None:
                continue  # a date that is no date: reported, and the source left out
            source = Source(raw["id"], raw["publisher"], raw.get("title") or raw["about"], raw.get("url"),
                            dates.get("checked"), review_by, dates.get("published"), dates.get("seen_in_copy"))
            self.sources[raw["id"]] = source
            self.check_dates(parsed, at, source)

    def read_date(self, parsed: ParsedFile, path: tuple, text: str) -> date | None:
        """A date as staff typed it; one that does not exist (2026-02-30) is an error naming its line."""
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.fail(parsed, path, f"{text!r} is not a date that exists (YYYY-MM-DD).")
            return None

    def check_dates(self, parsed: ParsedFile, at: tuple, source: Source) -> None:
        """An old or missing check asks for a look, yet the fact may well still be right: warnings, never errors."""
        node, today = f"sources:{source.id}", self.today.isoformat()
        if source.checked is None:
            seen = f" (seen in a saved copy on {source.seen_in_copy.isoformat()})" if source.seen_in_copy else ""
            parsed.problem((*at, "checked"), f"has not been checked on its live page by a person{seen}: open "
                           f"{source.url or 'it'}, confirm each fact cited to it, and set `checked` to that day.",
                           node, warning=True)
        elif source.checked < self.today - timedelta(days=STALE_AFTER_DAYS):
            parsed.problem((*at, "checked"), f"was last checked on {source.checked.isoformat()}, more than "
                           f"{STALE_AFTER_DAYS} days ago; re-check it and update `checked`.", node, warning=True)
        elif source.checked > self.today:  # a mistyped year would keep the re-check warning away for years
            parsed.problem((*at, "checked"), f"says it was checked on {source.checked.isoformat()}, after today "
                           f"({today}); correct the date, or no reminder to re-check it will come.", node, warning=True)
        if source.review_by < self.today:
            parsed.problem((*at, "review_by"), f"was due for review on {source.review_by.isoformat()}: look at it "
                           "again, then set a new `review_by`.", node, warning=True)

    def read_data(self) -> None:
        for kind, section in (("places_file", "places"), ("events_file", "events"), ("hotlines_file", "hotlines")):
            parsed = self.one_of_a_kind(kind)
            if parsed is None or parsed.errors:
                continue
            ids: set[str] = set()
            for index, raw in enumerate(parsed.data[section]):
                at = (section, index)
                if raw["id"] in ids:
                    self.fail(parsed, at + ("id",), f"the id {raw['id']!r} is used twice in {section}.")
                ids.add(raw["id"])
                self.cited.append((raw["source"], parsed, at + ("source",), f"{section}:{raw['id']}"))
                if section == "places":
                    self.places.append(Place(raw["id"], raw["protection"], tuple(raw["keywords"]), raw["source"]))
                    self.place_at[raw["id"]] = (parsed, at)
                elif section == "hotlines":
                    self.hotlines.append(Hotline(raw["id"], raw["phone"], raw["source"]))
                else:
                    self.read_event(parsed, at, raw)

    def read_event(self, parsed: ParsedFile, at: tuple, raw: dict) -> None:
        try:
            start, end = _when(raw["start"]), (_when(raw["end"]) if raw.get("end") else None)
        except ValueError as error:
            self.fail(parsed, at, f"has a date or time that does not exist ({error}).", f"events:{raw['id']}")
            return
        if end is not None and sort_key(end) < sort_key(start):
            self.fail(parsed, at + ("end",), "ends before it starts.", f"events:{raw['id']}")
        if not raw.get("place") and not raw.get("link"):
            self.fail(parsed, at, "needs a place or a link, so people know where to go.", f"events:{raw['id']}")
        offsets = []
        for index, text in enumerate(raw.get("reminders", DEFAULT_REMINDERS)):
            try:
                offsets.append(Offset.parse(text))
            except ValueError as error:
                self.fail(parsed, at + ("reminders", index), f"{error}.", f"events:{raw['id']}")
        self.events.append(Event(raw["id"], start, end, raw.get("place"), raw.get("link"), raw.get("contact"),
                                 raw["language"], raw["source"], tuple(offsets)))



def _keywords(raw: list | dict) -> tuple[tuple[str, str | None], ...]:
    if isinstance(raw, dict):
        return tuple((word, lang) for lang, words in raw.items() for word in words)
    return tuple((word, None) for word in raw)

