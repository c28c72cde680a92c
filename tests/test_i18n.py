"""Catalogs: complete for every enabled language, English fallback string by string, Babel dates."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime

from click.testing import CliRunner

from bot.cli import main
from bot.i18n import Translator, coverage
from tests.helpers import FLOWS, ROOT


def test_every_string_is_translated_and_reviewed_for_its_english_in_every_enabled_language():
    report = coverage(FLOWS, ROOT / "translations")
    for lang in FLOWS.enabled_languages:
        if lang != "en":
            assert (report[lang].missing, report[lang].fuzzy) == ([], []), lang
            assert report[lang].translated == len(FLOWS.strings), lang


def test_dates_and_times_are_formatted_by_babel_in_albuquerque_time():
    translator = Translator(FLOWS, ROOT / "translations")
    moment = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)  # 18:00 on Dec 2 in Albuquerque
    assert translator.value("en", moment) == "Wed, Dec 2, 6:00 PM"  # a plain space: it keeps the SMS in GSM-7
    assert translator.value("es", moment) == "mié, 2 dic, 18:00"
    assert translator.value("es", date(2026, 3, 4)) == "mié, 4 mar 2026"
    assert translator.value("en", (moment, moment)) == "Wed, Dec 2, 6:00 PM and Wed, Dec 2, 6:00 PM"
    assert translator.value("es", (moment, moment)) == "mié, 2 dic, 18:00 y mié, 2 dic, 18:00"


def test_a_fuzzy_or_missing_translation_falls_back_to_english_for_that_string_only(tmp_path):
    folder = tmp_path / "translations"
    shutil.copytree(ROOT / "translations", folder, ignore=shutil.ignore_patterns("*.mo"))
    po = folder / "es" / "LC_MESSAGES" / "messages.po"
    text = po.read_text()
    text = text.replace('msgctxt "rights:menu/2"', '#, fuzzy\nmsgctxt "rights:menu/2"')
    po.write_text(text.replace('msgstr "En un carro"', 'msgstr ""'))
    translator = Translator(FLOWS, folder)
    assert translator.text("es", "rights:menu/2") == "On the street"
    assert translator.text("es", "rights:menu/3") == "In a car"
    assert translator.text("es", "rights:menu/4") == "En el trabajo"
    result = CliRunner().invoke(main, ["translations", "check", "--dir", str(folder)])
    assert result.exit_code == 1
    assert "missing: rights:menu/3" in result.output and "fuzzy: rights:menu/2" in result.output


def test_translations_check_passes_on_the_shipped_catalogs():
    result = CliRunner().invoke(main, ["translations", "check"])
    assert result.exit_code == 0, result.output
    assert f"es: {len(FLOWS.strings)} translated, 0 fuzzy, 0 missing, 0 with wrong placeholders" in result.output


def test_a_translation_with_broken_placeholders_falls_back_to_english(tmp_path):
    folder = tmp_path / "translations"
    shutil.copytree(ROOT / "translations", folder, ignore=shutil.ignore_patterns("*.mo"))
    po = folder / "es" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text().replace('msgstr "{key} {label}"', 'msgstr "{clave} {label}"'))
    from bot.engine import Say

    translator = Translator(FLOWS, folder)
    assert translator.render("es", Say.of("system:option", key="1", label="x")) == "1 x"
