"""Reading one flow or data file: size cap, aliases, YAML 1.2 with a line for every key, then its kind's schema.
Each problem is a plain sentence with the file and line; `strings_of` lists the file's user-facing strings."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jsonschema
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError

from bot.problems import Problem

MAX_FILE_BYTES = 512 * 1024
# The format every file states with `version:`. A file written for another one is refused by name rather
# than half-read: its fields may mean something else.
FORMAT_VERSION = 1
# Which top-level key makes a file which kind, and the schema definition that checks it. `version` sits
# beside that key in every file, so it is not a kind.
FILE_KINDS = {"flow": "flow_file", "phrases": "system_file", "languages": "languages_file",
              "sources": "sources_file", "places": "places_file", "events": "events_file",
              "hotlines": "hotlines_file"}


@dataclass
class ParsedFile:
    path: Path
    name: str  # as shown in problems: relative to the flows folder's parent
    kind: str | None = None
    data: Any = None  # plain JSON-like values; the builder reads them only once the schema has passed them
    lines: dict[tuple, int] = field(default_factory=dict)  # path in the document -> 1-based line
    problems: list[Problem] = field(default_factory=list)

    def line_of(self, path: tuple) -> int:
        """The line of the deepest part of `path` that has one."""
        for cut in range(len(path), -1, -1):
            if path[:cut] in self.lines:
                return self.lines[path[:cut]]
        return 1

    @property
    def errors(self) -> list[Problem]:
        """The problems that keep the set from being served; a warning only asks for attention."""
        return [p for p in self.problems if not p.warning]

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
        items: list[object] = []
        for index, item in enumerate(value):
            position = value.lc.data.get(index) if hasattr(value, "lc") else None
            if position:
                lines[path + (index,)] = position[0] + 1
            items.append(_plain(item, path + (index,), lines))
        return items
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
    parts: list[str] = []
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


def _version_problem(data: dict) -> tuple[tuple, str] | None:
    """Where the file's `version` is wrong and what to say; None when it is the version this code reads."""
    if "version" not in data:
        where = tuple(list(data)[:1])  # the first key's line, where it goes; an empty file has none
        return where, (f"has no `version: {FORMAT_VERSION}`; add it as the first key so the line "
                                     "knows which format this file is written in.")
    version = data["version"]
    if isinstance(version, bool) or not isinstance(version, int):  # `version: "1"` or `version: true`
        return ("version",), f"version must be the number {FORMAT_VERSION}, but YAML read {_describe(version)}."
    if version != FORMAT_VERSION:
        return ("version",), f"is written for format version {version}; this line reads version {FORMAT_VERSION}."
    return None


_SCHEMA_CACHE: dict[Path, dict] = {}


def _validator(schema_path: Path, kind: str) -> jsonschema.Draft202012Validator:
    if schema_path not in _SCHEMA_CACHE:
        _SCHEMA_CACHE[schema_path] = json.loads(schema_path.read_text())
    schema = _SCHEMA_CACHE[schema_path]
    return jsonschema.Draft202012Validator({"$ref": f"#/$defs/{kind}", "$defs": schema["$defs"]})


_DATE_LIKE = re.compile(r"(?<![\d-])\d{4}-\d{2}-\d{2}(?![\d-])")


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
    except ValueError as error:  # ruamel reads 2026-02-30 as a date and fails without a line: find it
        for number, typed in enumerate(text.splitlines(), 1):
            for found in _DATE_LIKE.finditer(typed):
                try:
                    date.fromisoformat(found.group())
                except ValueError:
                    parsed.problems.append(Problem(parsed.name, number, None, f"{found.group()!r} is not a date "
                                                   "that exists (YYYY-MM-DD)."))
        if not parsed.problems:
            parsed.problems.append(Problem(parsed.name, 1, None, f"could not be read: {error}."))
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
    if len(kinds) == 1:
        parsed.kind = kinds[0]  # known even when the version is wrong, so the file is not also called missing
    wrong_version = _version_problem(parsed.data)
    # Another version's file may not use this version's kinds, so its version is what to name; a file with
    # neither a version nor a kind is not a flow file at all, and that is what is said.
    if wrong_version and (parsed.kind or "version" in parsed.data):
        parsed.problem(*wrong_version)
        return parsed
    if parsed.kind is None:
        parsed.problem((), "must start with exactly one of: " + ", ".join(FILE_KINDS) + ".")
        return parsed
    validator = _validator(path.parent / "schema.json", parsed.kind)
    for failure in sorted(validator.iter_errors(parsed.data), key=lambda e: list(map(str, e.absolute_path))):
        error_path = tuple(failure.absolute_path)
        line_path = error_path
        if failure.validator == "additionalProperties" and isinstance(failure.instance, dict):
            extra = [k for k in failure.instance if k not in failure.schema.get("properties", {})]
            line_path = error_path + tuple(extra[:1])  # the unknown field's own line
        node = None
        if parsed.kind == "flow_file" and len(error_path) >= 2 and error_path[0] == "nodes":
            node = f"{parsed.data.get('flow')}:{error_path[1]}"
        parsed.problem(line_path, _schema_message(failure), node)
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
