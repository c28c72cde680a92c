"""`rightsline routing check`: residents' labelled messages through the real, signed webhooks, and where each
one led: right, clarified, not understood, a wrong answer, or an opt-out nobody asked for. Judged on what the
person reads or hears, by finding the words of each destination (in its language) in the reply."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from bot.chat import WebhookCaller, WebhookPhone
from bot.flow import Flows
from bot.i18n import Translator
from bot.turn import MessageRef, Say

# The order says how bad: an opt-out nobody asked for is the worst thing the line can do.
VERDICTS = ("right", "clarified", "not understood", "wrong", "unasked opt-out")
SCRIPTS = {"door": "rights:door", "street": "rights:street", "car": "rights:car", "work": "rights:work",
           "detained": "rights:detained", "family_plan": "rights:plan", "events": "main:events",
           "help_lines": "main:help"}
PLACE_IDS = {"hospital": "hospitals", "school": "schools", "church": "churches", "courthouse": "courthouses",
             "city_building": "city_buildings", "community_center": "community_centers",
             "library": "libraries", "shelter": "shelters", "dv_center": "dv_centers"}
LANGS = {"zh": "zh_Hans"}  # the file's language codes that the flows spell otherwise
MARK_LENGTH = 32  # this much of a message's opening is enough to know it, and short of any placeholder


@dataclass(frozen=True)
class Example:
    lang: str
    text: str
    intent: str
    trap: tuple[str, ...] = ()

    @classmethod
    def read(cls, path: Path) -> list[Example]:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [cls(LANGS.get(r["lang"], r["lang"]), r["text"], r["intent"], tuple(r.get("trap", ())))
                for r in rows]


@dataclass
class Result:
    example: Example
    verdict: str
    reached: tuple[str, ...]  # the destinations found in the reply
    reply: str


@dataclass
class Report:
    results: list[Result] = field(default_factory=list)

    def count(self, key) -> dict[str, Counter]:
        table: dict[str, Counter] = defaultdict(Counter)
        for result in self.results:
            table[key(result)][result.verdict] += 1
        return table

    def share(self, *verdicts: str, intents: tuple[str, ...] | None = None) -> float:
        chosen = [r for r in self.results if intents is None or r.example.intent in intents]
        return sum(r.verdict in verdicts for r in chosen) / len(chosen) if chosen else 1.0

    def table(self, worst: int = 12) -> str:
        lines = []
        for title, key in (("language", lambda r: r.example.lang), ("intent", lambda r: r.example.intent)):
            lines.append(f"{'by ' + title:<24}" + "".join(f"{v:>17}" for v in VERDICTS))
            for name, counts in sorted(self.count(key).items()):
                lines.append(f"  {name:<22}" + "".join(f"{counts[v]:>17}" for v in VERDICTS))
            lines.append("")
        total = Counter(r.verdict for r in self.results)
        lines.append(f"{'all ' + str(len(self.results)):<24}" + "".join(f"{total[v]:>17}" for v in VERDICTS))
        bad = sorted((r for r in self.results if r.verdict not in ("right", "clarified")),
                     key=lambda r: -VERDICTS.index(r.verdict))[:worst]
        if bad:
            lines += ["", "worst:"]
            for r in bad:
                reached = ", ".join(r.reached) or "nothing it knows"
                lines.append(f"  [{r.verdict}] {r.example.lang} {r.example.intent}: {r.example.text!r} -> {reached}")
        return "\n".join(lines)


class Judge:
    """Knows each destination by its opening words, in every language the line speaks."""

    def __init__(self, flows: Flows, translator: Translator, voice: bool):
        self.flows, self.translator, self.voice = flows, translator, voice
        self.marks: dict[str, list[tuple[str, str]]] = {}  # destination -> [(language, opening words)]
        destinations = {**{f"script:{k}": v for k, v in SCRIPTS.items()},
                        "privacy": "main:privacy", "about": "main:about", "menu": flows.start,
                        "languages": "system:choose_language", "stopped": "system:stopped",
                        "forgotten": "system:forgotten", "forget asked": "system:forget_confirm",
                        "safe places": "safe:menu", "clarify": "system:clarify",
                        "language menu": flows.language_node}
        unprotected = next((p for p in flows.places if p.protection == "none"), None)
        if unprotected:  # the honest answer for a kind of place no rule covers
            destinations["no entry"] = f"places:{unprotected.id}/note"
        # A place by its name line (the notes open alike: "Under the county"); a question offers it by its name.
        self.labels: dict[str, list[tuple[str, str]]] = {}
        for kind, pid in PLACE_IDS.items():
            place = next((p for p in flows.places if p.id == pid), None)
            if place:
                named = MessageRef(place.name)
                self.marks[f"place:{kind}"] = [
                    (lang, translator.render(lang, Say.of("system:place_found", name=named, note="")).strip())
                    for lang in flows.enabled_languages]
                self.labels[f"place:{kind}"] = [(lang, translator.text(lang, place.name))
                                                for lang in flows.enabled_languages]
        for name, message_id in destinations.items():
            if message_id in flows.strings:
                self.marks[name] = [(lang, self._opening(lang, message_id)) for lang in flows.enabled_languages]
        # A question offers a script by its menu label.
        labels = {o.target: o.label for node in flows.nodes.values() for o in node.options if o.target}
        for name, node_id in SCRIPTS.items():
            if node_id in labels:
                self.labels[f"script:{name}"] = [(lang, translator.text(lang, labels[node_id]))
                                                 for lang in flows.enabled_languages]

    def _opening(self, lang: str, message_id: str) -> str:
        if self.voice and f"{message_id}/voice" in self.flows.strings:
            message_id = f"{message_id}/voice"
        text = self.translator.text(lang, message_id).split("{")[0]
        return " ".join(text.split())[:MARK_LENGTH].strip()

    def reached(self, reply: str) -> dict[str, set[str]]:
        """Each destination whose opening words are in the reply, with the languages it was found in."""
        flat = " ".join(reply.split())
        found: dict[str, set[str]] = {}
        for name, marks in self.marks.items():
            for lang, opening in marks:
                if opening and opening in flat:
                    found.setdefault(name, set()).add(lang)
        return found

    def verdict(self, example: Example, reply: str) -> tuple[str, tuple[str, ...]]:
        found = self.reached(reply)
        names = tuple(sorted(found))
        intent = example.intent
        if ("stopped" in found or "forgotten" in found) and intent not in ("opt_out", "forget"):
            return "unasked opt-out", names
        if intent == "opt_out":
            return ("right" if "stopped" in found else "not understood"), names
        if intent == "forget":  # erased at once, or asked back first: both are right
            return ("right" if found.keys() & {"forgotten", "forget asked"} else "not understood"), names
        if "forget asked" in found:
            return "wrong", names  # a question about deleting, to someone who did not ask for it
        right = self._right(intent, example.lang)
        if "clarify" in found:
            offered = self.offered(reply)
            return ("clarified" if right & offered and len(offered) <= 3 else "not understood"), names
        destinations = {n for n in found
                        if n.startswith(("script:", "place:")) or n in ("privacy", "about", "no entry")}
        if destinations - right:
            return "wrong", names  # another script, a place or a page it did not ask for: worse than a question
        if destinations & right or intent in ("greeting", "unclear"):
            return "right", names  # a greeting or a vague word gets a menu or a question; no script is right
        if intent.startswith("language:") and self._in_language(found, intent.split(":")[1]):
            return "right", names
        if intent.startswith("safe_place:") and not destinations and "safe places" in found:
            return "right", names  # a kind the line has nothing on: the safe places menu, never a claim
        return "not understood", names

    def offered(self, reply: str) -> set[str]:
        """The scripts and places a clarifying question offers, found by their labels."""
        flat = " ".join(reply.split())
        return {name for name, labels in self.labels.items() if any(label in flat for _lang, label in labels)}

    def _right(self, intent: str, lang: str) -> set[str]:
        if intent in SCRIPTS:
            return {f"script:{intent}"}
        if intent.startswith("safe_place:"):
            kind = intent.split(":", 1)[1]
            # A kind of place the line has no entry for: the honest "no entry" answer is right.
            return {f"place:{kind}"} if f"place:{kind}" in self.marks else {"no entry"}
        if intent == "privacy":
            return {"privacy", "about"}
        return set()

    @staticmethod
    def _in_language(found: dict[str, set[str]], code: str) -> bool:
        code = LANGS.get(code, code)
        return code in found.get("menu", set()) or "languages" in found or "language menu" in found


def check(examples: list[Example], client, flows: Flows, translator: Translator, auth_token: str,
          mode: str = "first", channel: str = "sms") -> Report:
    """Send each example through the app behind `client` (a Flask test client) as a new number's first text,
    after a greeting (`session`), or as words said at a call's main menu (channel `voice`)."""
    judge = Judge(flows, translator, voice=channel == "voice")
    report = Report()
    language_keys = {o.language: o.key for o in flows.nodes[flows.language_node].options}
    for index, example in enumerate(examples):
        number = f"+1505{7000000 + index:07d}"  # fictional numbers, a new one for every message
        lang = example.lang if example.lang in flows.enabled_languages else "en"
        if channel == "voice":
            caller = WebhookCaller(auth_token, number, client=client)
            caller.dial()
            if caller.heard.action and "s=language" in caller.heard.action:
                caller.press(language_keys.get(lang, "1"))
            reply = caller.say(example.text).text
        else:
            phone = WebhookPhone(auth_token, number, client=client)
            if mode == "session":
                phone.send(flows.languages[lang].greetings[0])
            reply = phone.send(example.text)
        verdict, reached = judge.verdict(example, reply)
        report.results.append(Result(example, verdict, reached, reply))
    return report
