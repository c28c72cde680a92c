"""Translation: gettext catalogs per language, keyed by message id as msgctxt and English as msgid.
Turns the engine's Say values into text in a language, with dates and times through Babel."""

from __future__ import annotations

import gettext
import io
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_skeleton, format_time
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.flow import DENVER, Flows
from bot.turn import MessageRef, Say

log = logging.getLogger(__name__)


def catalog_path(translations_dir: Path, lang: str, ext: str = "po") -> Path:
    return Path(translations_dir) / lang / "LC_MESSAGES" / f"messages.{ext}"


def load_catalog(translations_dir: Path, lang: str) -> gettext.GNUTranslations | None:
    """The compiled catalog; compiled here from the .po when the .mo is missing or older than it.

    Fuzzy entries are left out, as `pybabel compile` leaves them out: a string whose English changed
    is served in English until a translator reviews it."""
    po, mo = catalog_path(translations_dir, lang), catalog_path(translations_dir, lang, "mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    if not po.exists():
        return None
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@lru_cache(maxsize=32)
def babel_locale(lang: str) -> Locale:
    return Locale.parse(lang)


RLM = "\u200f"  # RIGHT-TO-LEFT MARK: zero width; it makes a phone lay a line out right to left


def for_sms(lang: str, text: str) -> str:
    """Text as a phone should lay it out. A right-to-left line (Arabic) that starts with a digit, a
    Latin name or a link would otherwise be laid out left to right and read in the wrong order, so every
    line starts with a right-to-left mark."""
    if babel_locale(lang).character_order != "right-to-left":
        return text
    return "\n".join(RLM + line if line and not line.startswith(RLM) else line for line in text.split("\n"))


class Translator:
    """Message ids to text in a language, falling back to the English source string by string."""

    def __init__(self, flows: Flows, translations_dir: Path):
        self.flows = flows
        self.catalogs: dict[str, gettext.GNUTranslations] = {}
        for lang in flows.enabled_languages:
            if lang == "en":
                continue
            catalog = load_catalog(translations_dir, lang)
            if catalog is None:
                log.warning("no catalog for enabled language %s: it will be answered in English", lang)
            else:
                self.catalogs[lang] = catalog

    def text(self, lang: str, message_id: str) -> str:
        """A message's text, not yet filled in."""
        if message_id.startswith("language:"):
            return self.flows.languages[message_id.split(":", 1)[1]].name
        english = self.flows.strings[message_id]
        catalog = self.catalogs.get(lang)
        if catalog is None:
            return english
        return catalog.pgettext(message_id, english)

    def render(self, lang: str, say: Say) -> str:
        lang = say.lang or lang
        values = {name: self.value(lang, value) for name, value in say.params}
        template = self.text(lang, say.id)
        try:
            return template.format_map(values)
        except (KeyError, ValueError, IndexError):
            # A translation whose placeholders were mangled: the English is better than nothing.
            log.warning("placeholders of %s in %s do not match the English", say.id, lang)
            return self.flows.strings[say.id].format_map(values)

    def value(self, lang: str, value: object) -> str:
        if isinstance(value, MessageRef):
            return self.text(lang, value.id)
        locale = babel_locale(lang)
        if isinstance(value, tuple | list):
            return format_list([self.value(lang, item) for item in value], locale=locale)
        if isinstance(value, datetime):
            local = value.astimezone(DENVER)
            text = f"{format_skeleton('MMMEd', local, locale=locale)}, {format_time(local, 'short', locale=locale)}"
        elif isinstance(value, date):
            text = format_skeleton("yMMMEd", value, locale=locale)
        else:
            return str(value)
        # CLDR puts narrow no-break spaces in times ("10:00 PM"); one such character would turn a
        # whole English SMS into UCS-2 and more than double its segments. A plain space reads the same.
        return text.translate(_PLAIN_SPACES)


_PLAIN_SPACES = str.maketrans({"\u202f": " ", "\u00a0": " ", "\u2009": " "})
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass
class Coverage:
    """One catalog against the flows: what is translated, what is not, and what needs a reviewer's eye."""

    reviewed: bool  # the catalog's header says a native speaker reviewed it
    translated: int = 0
    missing: list[str] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)  # the English changed since it was translated
    placeholders: list[str] = field(default_factory=list)  # {names} that differ from the English
    longest: tuple[int, str | None] = (0, None)  # the longest single string, in SMS segments, and its id


def coverage(flows: Flows, translations_dir: Path) -> dict[str, Coverage]:
    """Per language other than English: how complete its catalog is (see Coverage)."""
    from bot import segments

    report = {}
    for lang in flows.languages:
        if lang == "en":
            continue
        po = catalog_path(translations_dir, lang)
        catalog = None
        if po.exists():
            with po.open("rb") as handle:
                catalog = read_po(handle, locale=lang)
        reviewed = bool(catalog and re.search(r"Reviewed by a native speaker: yes", catalog.header_comment or ""))
        row = Coverage(reviewed)
        for message_id, english in flows.strings.items():
            entry = catalog.get(english, context=message_id) if catalog else None
            if entry is None or not entry.string:
                row.missing.append(message_id)
                continue
            if entry.fuzzy:
                row.fuzzy.append(message_id)
                continue
            row.translated += 1
            translated = entry.string if isinstance(entry.string, str) else entry.string[0]  # no plurals here
            if set(_PLACEHOLDER.findall(translated)) != set(_PLACEHOLDER.findall(english)):
                row.placeholders.append(message_id)
            cost = segments.count(translated)
            if cost > row.longest[0]:
                row.longest = (cost, message_id)
        report[lang] = row
    return report
