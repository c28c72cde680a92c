"""A Babel extractor for the flow and data files, registered as the `rightsline` extraction method.
Each string comes out with its file and line, and its message id (node path) as msgctxt."""

from __future__ import annotations

from pathlib import Path

from bot.flowfile import parse_file, strings_of


def extract_flows(fileobj, keywords, comment_tags, options):
    """Babel's extractor protocol: yield (line, funcname, messages, comments) for each string."""
    path = Path(fileobj.name)
    parsed = parse_file(path)
    if parsed.problems or parsed.kind is None:
        # A broken file has nothing reliable to offer; `rightsline flows check` says what is wrong.
        return
    for message_id, text, line in strings_of(parsed):
        comments = []
        if "{" in text:
            comments.append("Keep every {placeholder} exactly as it is.")
        yield line, "pgettext", (message_id, text), comments
