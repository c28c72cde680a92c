"""Fill a language's catalog from a JSON file mapping message ids (the msgctxt) to translations.

    python scripts/fill_catalog.py vi drafts/vi.json     # fill what is empty; never overwrite
    python scripts/fill_catalog.py nv                    # start a catalog with nothing translated

A catalog that does not exist yet is started from translations/messages.pot, with a header that says no
native speaker has reviewed it. Run `rightsline translations extract` and `update` first."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
UNREVIEWED = ("Reviewed by a native speaker: no. A draft: have a native speaker review it before relying on it, "
              "then change this line to yes.")


def main(lang: str, drafts: Path | None) -> None:
    po = ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po"
    with (ROOT / "translations" / "messages.pot").open("rb") as handle:
        template = read_po(handle)
    if po.exists():
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
    else:
        catalog = Catalog(locale=lang, project="Rights Line", version="0.1", copyright_holder="City of Albuquerque",
                          fuzzy=False)
        catalog.update(template)
        catalog.header_comment = catalog.header_comment.replace("FIRST AUTHOR <EMAIL@ADDRESS>, 2026.", UNREVIEWED)
        po.parent.mkdir(parents=True, exist_ok=True)
    wanted = json.loads(drafts.read_text()) if drafts else {}
    filled = 0
    for message in catalog:
        if message.id and not message.string and message.context in wanted:
            message.string = wanted[message.context]
            filled += 1
    unknown = sorted(set(wanted) - {m.context for m in catalog if m.id})
    with po.open("wb") as handle:
        write_po(handle, catalog, width=100)
    print(f"{po.relative_to(ROOT)}: {filled} filled" + (f"; not in the template: {unknown}" if unknown else ""))


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]) if len(sys.argv) > 2 else None)
