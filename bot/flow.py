"""The flows and data files staff edit, loaded once and checked whole: schema, graph, facts' sources.
A problem names its file, line and node in a plain sentence; a set with any problem is never served."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import jsonschema
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError

from bot.match import normalize

DENVER = ZoneInfo("America/Denver")
MAX_FILE_BYTES = 512 * 1024
# Which top-level key makes a file which kind, and the schema definition that checks it.
FILE_KINDS = {"flow": "flow_file", "phrases": "system_file", "languages": "languages_file",
              "sources": "sources_file", "places": "places_file", "events": "events_file",
              "hotlines": "hotlines_file"}
COMMANDS = ("menu", "back", "help", "more", "language", "stop", "start", "forget")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    node: str | None
    message: str
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        node = f" {self.node}:" if self.node else ""
        return f"{where}:{node} {self.message}"


class FlowError(Exception):
    """The flows have problems; str() lists them all, one a line."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Option:
    key: str
    label: object  # the label's message id; in the options the engine makes (events), a Say
    target: str | None = None
    language: str | None = None
    event: str | None = None  # the engine's event options: show this event
    remind: str | None = None  # ... or ask for a reminder of this event


@dataclass(frozen=True)
class Node:
    id: str  # "flow:node"; also the message id of its text
    options: tuple[Option, ...] = ()
    next: str | None = None
    data: str | None = None
    lookup: str | None = None
    keywords: tuple[tuple[str, str | None], ...] = ()  # (word, language or None for any)
    sources: tuple[str, ...] = ()
    end: bool = False


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    url: str
    checked: date


@dataclass(frozen=True)
class Place:
    id: str
    protection: str
    keywords: tuple[str, ...]
    source: str

    @property
    def name(self) -> str:
        return f"places:{self.id}/name"

    @property
    def note(self) -> str:
        return f"places:{self.id}/note"


# "1 day before at 10:00", "1 hour before", "30 minutes before": when a reminder goes out.
OFFSET = re.compile(r"^(\d{1,2}) (day|days|hour|hours|minute|minutes) before(?: at (\d{1,2}):(\d{2}))?$")
DEFAULT_REMINDERS = ("1 day before at 10:00", "1 hour before")


@dataclass(frozen=True)
class Offset:
    """When a reminder goes out, relative to its event: a span before it, or a day before it at a set time."""

    text: str  # as staff wrote it; also part of the reminder's job id
    before: timedelta
    at: time | None = None

    @classmethod
    def parse(cls, text: str) -> Offset:
        found = OFFSET.match(text.strip())
        if not found:
            raise ValueError(f"{text!r} is not a reminder time; write it like \"1 day before at 10:00\" "
                             "or \"1 hour before\"")
        amount, unit, hour, minute = found.groups()
        span = {"day": timedelta(days=1), "hour": timedelta(hours=1), "minute": timedelta(minutes=1)}
        before = int(amount) * span[unit.rstrip("s")]
        at = time(int(hour), int(minute)) if hour is not None else None
        if at is not None and not unit.startswith("day"):
            raise ValueError(f"{text!r}: only a number of days before can have \"at HH:MM\"")
        return cls(text.strip(), before, at)

    def moment(self, start: datetime | date) -> datetime | None:
        """The reminder's moment for an event starting at `start`; None when it cannot be known
        (an event without a time has no "1 hour before")."""
        if self.at is not None:
            day = (start.astimezone(DENVER).date() if isinstance(start, datetime) else start) - self.before
            return datetime.combine(day, self.at, DENVER)
        if not isinstance(start, datetime):
            return None
        return start - self.before


@dataclass(frozen=True)
class Event:
    id: str
    start: datetime | date
    end: datetime | date | None
    place: str | None
    link: str | None
    contact: str | None
    language: str
    source: str
    reminders: tuple[Offset, ...] = ()

    def reminder_moments(self, now: datetime) -> tuple[tuple[Offset, datetime], ...]:
        """The reminders still ahead of `now`, soonest first, each before the event begins."""
        begins = _sort_key(self.start)
        found = [(offset, moment) for offset in self.reminders
                 if (moment := offset.moment(self.start)) is not None and now < moment < begins]
        return tuple(sorted(found, key=lambda pair: pair[1]))

    @property
    def title(self) -> str:
        return f"events:{self.id}/title"

    def is_upcoming(self, now: datetime) -> bool:
        """An event stays listed until it ends (or, with no time given, until its day is over)."""
        last = self.end or self.start
        if isinstance(last, datetime):
            return last > now
        return last >= now.astimezone(DENVER).date()


@dataclass(frozen=True)
class Hotline:
    id: str
    phone: str
    source: str

    @property
    def name(self) -> str:
        return f"hotlines:{self.id}/name"

    @property
    def note(self) -> str:
        return f"hotlines:{self.id}/note"


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    enabled: bool
    names: tuple[str, ...]
    greetings: tuple[str, ...]
    commands: dict[str, tuple[str, ...]]
    voice: str | None = None  # Twilio's <Say> voice; None: not offered on the phone
    speech: str | None = None  # Twilio's speech-recognition language; None: keypad only
    voice_language: str | None = None  # <Say language>, the speech code unless set apart


@dataclass(frozen=True)
class Flows:
    nodes: dict[str, Node]
    start: str
    language_node: str
    strings: dict[str, str]  # message id -> English source text
    refs: dict[str, tuple[str, int]]  # message id -> (file, line), for translators and errors
    languages: dict[str, Language]
    places: tuple[Place, ...] = ()
    events: tuple[Event, ...] = ()
    hotlines: tuple[Hotline, ...] = ()
    sources: dict[str, Source] = field(default_factory=dict)
    warnings: tuple[Problem, ...] = ()

    def event(self, event_id: str) -> Event | None:
        return next((e for e in self.events if e.id == event_id), None)

    @property
    def enabled_languages(self) -> tuple[str, ...]:
        return tuple(code for code, lang in self.languages.items() if lang.enabled)


# ---------------------------------------------------------------- reading one file


@dataclass
class ParsedFile:
    path: Path
    name: str  # as shown in problems: relative to the flows folder's parent
    kind: str | None = None
    data: object = None
    lines: dict[tuple, int] = field(default_factory=dict)  # path in the document -> 1-based line
    problems: list[Problem] = field(default_factory=list)

    def line_of(self, path: tuple) -> int:
        """The line of the deepest part of `path` that has one."""
        for cut in range(len(path), -1, -1):
            if path[:cut] in self.lines:
                return self.lines[path[:cut]]
        return 1

    def problem(self, path: tuple, message: str, node: str | None = None, warning: bool = False) -> None:
        self.problems.append(Problem(self.name, self.line_of(path), node, message, warning))


def _has_anchor(value) -> bool:
    anchor = getattr(value, "anchor", None)
    if anchor is not None and getattr(anchor, "value", None):
        return True
    if hasattr(value, "items"):
        return any(_has_anchor(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_anchor(item) for item in value)
    return False


def _plain(value, path: tuple, lines: dict) -> object:
    """ruamel's tree as plain JSON-like values, noting each key's and item's line on the way."""
    if hasattr(value, "items"):
        out = {}
        for key, item in value.items():
            position = value.lc.data.get(key) if hasattr(value, "lc") else None
            if position:
                lines[path + (key,)] = position[0] + 1
            out[key] = _plain(item, path + (key,), lines)
        return out
    if isinstance(value, list):
        out = []
        for index, item in enumerate(value):
            position = value.lc.data.get(index) if hasattr(value, "lc") else None
            if position:
                lines[path + (index,)] = position[0] + 1
            out.append(_plain(item, path + (index,), lines))
        return out
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return float(value)
    return value


def _describe(value) -> str:
    if value is None:
        return "null (nothing)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, (int, float)):
        return f"{value} (a number)"
    return repr(value)


def _field(path: tuple) -> str:
    parts = []
    for part in path:
        parts.append(f"[{part + 1}]" if isinstance(part, int) else ("." if parts else "") + str(part))
    return "".join(parts) or "the file"


def _schema_message(error: jsonschema.ValidationError) -> str:
    where = _field(tuple(error.absolute_path))
    if error.validator == "type" and error.validator_value == "string":
        return (f"{where} must be text, but YAML read {_describe(error.instance)}. "
                f"Put it in quotes: \"{error.instance if error.instance is not None else ''}\".")
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed)) if isinstance(error.instance, dict) else []
        hint = f" (allowed: {', '.join(allowed)})" if allowed else ""
        return f"{where} has an unknown field {', '.join(map(repr, extra))}{hint}."
    if error.validator == "required":
        return f"{where} is missing {error.message.split(' is a required')[0]}."
    if error.validator == "pattern":
        return f"{where}: {error.instance!r} is not in the expected form."
    if error.validator == "enum":
        choices = ", ".join(map(str, error.validator_value))
        return f"{where}: {error.instance!r} is not one of: {choices}."
    return f"{where}: {error.message}"


_SCHEMA_CACHE: dict[Path, dict] = {}


def _validator(schema_path: Path, kind: str) -> jsonschema.Draft202012Validator:
    if schema_path not in _SCHEMA_CACHE:
        _SCHEMA_CACHE[schema_path] = json.loads(schema_path.read_text())
    schema = _SCHEMA_CACHE[schema_path]
    return jsonschema.Draft202012Validator({"$ref": f"#/$defs/{kind}", "$defs": schema["$defs"]})


def parse_file(path: Path, shown_as: str | None = None) -> ParsedFile:
    """Read one YAML file: size cap, aliases, duplicate keys, syntax, then its kind's schema."""
    parsed = ParsedFile(path, shown_as or path.name)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        parsed.problem((), f"the file is {size // 1024} KiB; the limit is {MAX_FILE_BYTES // 1024} KiB. "
                           "Split it into smaller files.")
        return parsed
    text = path.read_text(encoding="utf-8")
    yaml = YAML(typ="rt")  # YAML 1.2: `no` stays text; ruamel refuses duplicate keys by default.
    try:
        document = yaml.load(text)
        # An alias needs an anchor (&name) first, so the slow event scan that finds the alias's line
        # runs only for a file that has one; parsing is most of the time a load takes.
        if "&" in text and _has_anchor(document):
            for event in yaml.parse(text):
                if type(event).__name__ == "AliasEvent":
                    parsed.problems.append(Problem(
                        parsed.name, event.start_mark.line + 1, None,
                        f"uses the alias *{event.anchor}; write the text out in full so each place can be "
                        "translated and checked on its own."))
            if parsed.problems:
                return parsed
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        problem = (error.problem or "not valid YAML").strip()
        if "duplicate key" in problem:
            problem = problem.split(" with value")[0] + "; each key may appear once"
        parsed.problems.append(Problem(parsed.name, line, None, f"{problem}."))
        return parsed
    parsed.data = _plain(document, (), parsed.lines)
    if not isinstance(parsed.data, dict):
        parsed.problem((), "must be a mapping of keys to values.")
        return parsed
    kinds = [kind for key, kind in FILE_KINDS.items() if key in parsed.data]
    if len(kinds) != 1:
        parsed.problem((), "must start with exactly one of: " + ", ".join(FILE_KINDS) + ".")
        return parsed
    parsed.kind = kinds[0]
    validator = _validator(path.parent / "schema.json", parsed.kind)
    for error in sorted(validator.iter_errors(parsed.data), key=lambda e: list(map(str, e.absolute_path))):
        error_path = tuple(error.absolute_path)
        line_path = error_path
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            extra = [k for k in error.instance if k not in error.schema.get("properties", {})]
            line_path = error_path + tuple(extra[:1])  # the unknown field's own line
        node = None
        if parsed.kind == "flow_file" and len(error_path) >= 2 and error_path[0] == "nodes":
            node = f"{parsed.data.get('flow')}:{error_path[1]}"
        parsed.problem(line_path, _schema_message(error), node)
    return parsed


# ---------------------------------------------------------------- strings, for translators and the bot


def strings_of(parsed: ParsedFile):
    """Every user-facing string of one parsed file: (message id, English text, line)."""
    data, kind = parsed.data, parsed.kind
    if kind == "flow_file":
        flow = data["flow"]
        for name, node in data["nodes"].items():
            node_id = f"{flow}:{name}"
            yield node_id, node["text"], parsed.line_of(("nodes", name, "text"))
            if "voice" in node:
                yield f"{node_id}/voice", node["voice"], parsed.line_of(("nodes", name, "voice"))
            for index, option in enumerate(node.get("options", [])):
                if "language" in option:
                    continue  # shown as the language's own name, from languages.yaml
                yield (f"{node_id}/{option['key']}", option["label"],
                       parsed.line_of(("nodes", name, "options", index, "label")))
    elif kind == "system_file":
        for name, text in data["phrases"].items():
            yield f"system:{name}", text, parsed.line_of(("phrases", name))
    elif kind in ("places_file", "hotlines_file"):
        section = "places" if kind == "places_file" else "hotlines"
        for index, item in enumerate(data[section]):
            yield f"{section}:{item['id']}/name", item["name"], parsed.line_of((section, index, "name"))
            yield f"{section}:{item['id']}/note", item["note"], parsed.line_of((section, index, "note"))
    elif kind == "events_file":
        for index, item in enumerate(data["events"]):
            yield f"events:{item['id']}/title", item["title"], parsed.line_of(("events", index, "title"))


def _when(text: str | None) -> datetime | date | None:
    if text is None:
        return None
    if " " in text:
        return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=DENVER)
    return date.fromisoformat(text)


# ---------------------------------------------------------------- the whole set


class _Builder:
    """Gathers the parsed files into one Flows, checking what no single file can check alone."""

    def __init__(self, files: list[ParsedFile]):
        self.files = files
        self.problems: list[Problem] = [p for f in files for p in f.problems]
        self.nodes: dict[str, Node] = {}
        self.node_at: dict[str, tuple[ParsedFile, tuple]] = {}  # node id -> (its file, its path there)
        self.strings: dict[str, str] = {}
        self.refs: dict[str, tuple[str, int]] = {}
        self.system: ParsedFile | None = None
        self.languages: dict[str, Language] = {}
        self.sources: dict[str, Source] = {}
        self.places: list[Place] = []
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
        good = [f for f in self.files if f.kind and not f.problems]
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
        elif not self.system.problems:
            start = self.resolve(self.system.data["start"], None, self.system, ("start",))
            language_node = self.resolve(self.system.data["language_node"], None, self.system,
                                         ("language_node",))
        self.check_graph(start)
        self.check_sources()
        self.check_languages_named()
        if self.problems:
            raise FlowError(self.problems)
        return Flows(
            nodes=self.nodes, start=start, language_node=language_node, strings=self.strings,
            refs=self.refs, languages=self.languages, places=tuple(self.places),
            events=tuple(sorted(self.events, key=lambda e: _sort_key(e.start))),
            hotlines=tuple(self.hotlines), sources=self.sources,
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
            options, seen = [], {}
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

    def check_graph(self, start: str | None) -> None:
        if start is None:
            return
        reached, queue = {start}, [start]
        while queue:
            node = self.nodes[queue.pop()]
            for target in [o.target for o in node.options] + [node.next]:
                if target and target not in reached:
                    reached.add(target)
                    queue.append(target)
        for node_id in self.nodes:
            if node_id not in reached:
                parsed, at = self.node_at[node_id]
                self.fail(parsed, at, f"cannot be reached from the start ({start}): "
                                      "no menu option or next leads to it.", node_id)
        owner: dict[str, str] = {}
        for node_id, node in self.nodes.items():
            for word, _lang in node.keywords:
                key = normalize(word)  # the same folding the bot uses when it matches
                if key in owner:
                    parsed, at = self.node_at[node_id]
                    self.fail(parsed, at + ("keywords",), f"the keyword {word!r} already leads to "
                                                          f"{owner[key]}.", node_id)
                owner.setdefault(key, node_id)

    def check_languages_named(self) -> None:
        """Keyword groups and language options may only name languages that languages.yaml defines."""
        for node_id, node in self.nodes.items():
            for _word, lang in node.keywords:
                if lang and lang not in self.languages:
                    parsed, at = self.node_at[node_id]
                    self.fail(parsed, at + ("keywords",), f"keywords are grouped under {lang!r}, a language "
                                                          "languages.yaml does not define.", node_id)
                    break
            for option in node.options:
                if option.language and option.language not in self.languages:
                    parsed, at = self.node_at[node_id]
                    self.fail(parsed, at, f"option {option.key} picks the language {option.language!r}, "
                                          "which languages.yaml does not define.", node_id)

    def read_languages(self) -> None:
        parsed = self.one_of_a_kind("languages_file")
        if parsed is None:
            self.problems.append(Problem("flows/languages.yaml", 1, None, "is missing."))
            return
        if parsed.problems:
            return
        for code, raw in parsed.data["languages"].items():
            self.languages[code] = Language(
                code=code, name=raw["name"], enabled=raw["enabled"], names=tuple(raw["names"]),
                greetings=tuple(raw["greetings"]), voice=raw.get("voice"), speech=raw.get("speech"),
                voice_language=raw.get("voice_language") or raw.get("speech"),
                commands={name: tuple(raw["commands"][name]) for name in COMMANDS},
            )
        if "en" not in self.languages or not self.languages["en"].enabled:
            self.fail(parsed, ("languages",), "English (en) must be defined and enabled: it is the source.")

    def read_sources(self) -> None:
        parsed = self.one_of_a_kind("sources_file")
        if parsed is None or parsed.problems:
            return
        for index, raw in enumerate(parsed.data["sources"]):
            if raw["id"] in self.sources:
                self.fail(parsed, ("sources", index, "id"), f"the source id {raw['id']!r} is used twice.")
            self.sources[raw["id"]] = Source(raw["id"], raw["title"], raw["url"], date.fromisoformat(raw["checked"]))

    def read_data(self) -> None:
        for kind, section in (("places_file", "places"), ("events_file", "events"), ("hotlines_file", "hotlines")):
            parsed = self.one_of_a_kind(kind)
            if parsed is None or parsed.problems:
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
                elif section == "hotlines":
                    self.hotlines.append(Hotline(raw["id"], raw["phone"], raw["source"]))
                else:
                    self.read_event(parsed, at, raw)

    def read_event(self, parsed: ParsedFile, at: tuple, raw: dict) -> None:
        try:
            start, end = _when(raw["start"]), _when(raw.get("end"))
        except ValueError as error:
            self.fail(parsed, at, f"has a date or time that does not exist ({error}).", f"events:{raw['id']}")
            return
        if end is not None and _sort_key(end) < _sort_key(start):
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

    def check_sources(self) -> None:
        for source_id, parsed, path, node in self.cited:
            if source_id not in self.sources:
                self.fail(parsed, path, f"cites the source {source_id!r}, which sources.yaml does not list.", node)


def _keywords(raw: list | dict) -> tuple[tuple[str, str | None], ...]:
    if isinstance(raw, dict):
        return tuple((word, lang) for lang, words in raw.items() for word in words)
    return tuple((word, None) for word in raw)


def _sort_key(moment: datetime | date) -> datetime:
    if isinstance(moment, datetime):
        return moment
    return datetime.combine(moment, time(0, 0), DENVER)


def flow_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.yaml") if p.is_file())


def load(folder: Path) -> Flows:
    """Load and check every file in `folder`; raise FlowError listing every problem found."""
    folder = Path(folder)
    if not (folder / "schema.json").exists():
        raise FlowError([Problem(str(folder), 1, None, "has no schema.json beside the flow files.")])
    files = [parse_file(path, f"{folder.name}/{path.name}") for path in flow_files(folder)]
    if not files:
        raise FlowError([Problem(str(folder), 1, None, "holds no .yaml flow files.")])
    return _Builder(files).build()
