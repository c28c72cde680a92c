"""The flows model the engine reads (nodes, options, events, places, sources, languages) and `load()`.
Reading one file is in flowfile, building the set in flowset, the set-wide checks in flowcheck."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.problems import FlowError, Problem  # noqa: F401  (part of this module's interface)

DENVER = ZoneInfo("America/Denver")
COMMANDS = ("menu", "back", "help", "more", "language", "stop", "start", "forget")
PHRASES = ("stop", "forget", "confirm", "courtesy", "common")


@dataclass(frozen=True)
class Option:
    """A menu choice written in a flow file; the choices the engine makes itself are in bot/nodes.py."""

    key: str
    label: str  # the label's message id
    target: str | None = None  # where it leads; with `language`, the language menu's choice of where to go
    language: str | None = None  # picking it switches to this language


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
    publisher: str  # as the document says: never an author it does not have
    title: str  # its own title, or (for a document with none) what it is, in our words
    url: str | None  # only where a public copy was found
    checked: date | None  # the day a person confirmed it on the live page; None: not yet
    review_by: date
    published: date | None = None
    seen_in_copy: date | None = None  # confirmed in a saved copy only


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
        begins = sort_key(self.start)
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
    # stop and forget: phrases that mean it anywhere in a text; confirm: whole replies that say yes to forgetting;
    # courtesy: words that may stand around a command ("stop please")
    phrases: dict[str, tuple[str, ...]] = field(default_factory=dict)
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

    @property
    def voiced_languages(self) -> tuple[str, ...]:
        """The enabled languages Twilio can speak: the ones a call offers."""
        return tuple(code for code in self.enabled_languages if self.languages[code].voice)


def sort_key(moment: datetime | date) -> datetime:
    """An event's date or moment as a moment, so dated and timed events sort together (a date at 00:00)."""
    if isinstance(moment, datetime):
        return moment
    return datetime.combine(moment, time(0, 0), DENVER)


def flow_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.yaml") if p.is_file())


def load(folder: Path, today: date | None = None) -> Flows:
    """Load and check every file in `folder`; raise FlowError listing every problem found. Warnings never
    raise: they are in `Flows.warnings`. Dates are judged by `today`, by default today in Albuquerque."""
    folder = Path(folder)
    if not (folder / "schema.json").exists():
        raise FlowError([Problem(str(folder), 1, None, "has no schema.json beside the flow files.")])
    files = [flowfile.parse_file(path, f"{folder.name}/{path.name}") for path in flow_files(folder)]
    if not files:
        raise FlowError([Problem(str(folder), 1, None, "holds no .yaml flow files.")])
    return flowset.Builder(files, today or datetime.now(DENVER).date()).build()


# The reader and the builder import the model above, so they come last: importing bot.flow then means the
# loader is ready (jsonschema and ruamel loaded), and a load's time is the loading alone.
from bot import flowfile, flowset  # noqa: E402
