"""Flow loading: the shipped set is clean, and every rule refuses a bad file with file, line and node."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime

import pytest
from click.testing import CliRunner

from bot import flow, flowfile
from bot.cli import main
from tests.helpers import ROOT


def test_the_shipped_flows_load_clean():
    loaded = flow.load(ROOT / "flows")
    assert loaded.start == "main:menu"
    assert set(loaded.enabled_languages) == {"en", "es", "vi", "zh_Hans", "ar"}  # Diné waits for its translator
    assert not loaded.languages["nv"].enabled
    assert ("puerta", "es") in loaded.nodes["rights:door"].keywords


def test_every_shipped_flow_file_names_the_schema_for_editors():
    for path in (ROOT / "flows").glob("*.yaml"):
        assert path.read_text().startswith("# yaml-language-server: $schema=schema.json"), path.name


def test_every_fact_bearing_node_and_data_item_cites_a_source_with_a_review_date():
    loaded = flow.load(ROOT / "flows")
    # Legal facts live in the rights and safe-places scripts; the places list cites per place.
    scripts = [n for n in loaded.nodes.values() if n.id.startswith(("rights:", "safe:")) and n.id != "safe:places"]
    assert len(scripts) >= 12 and all(node.sources for node in scripts)
    for item in (*loaded.places, *loaded.hotlines, *loaded.events):
        assert loaded.sources[item.source].review_by.year >= 2026


# The two documents the line was created from, as they are: publisher, date, and a title only where the
# document has one (the article's copy has no headline, and no public copy of it was found).
SEEDS = {"citydesk_defend_abq_2026": ("City Desk ABQ", date(2026, 2, 24), None),
         "cabq_executive_order_2025": ("City of Albuquerque", date(2025, 7, 21),
                                       "Mayor Keller Issues Executive Order to Protect Immigrant Rights in "
                                       "Albuquerque; City Councilors Plan Legislation to Further Codify Immigrant "
                                       "Protections")}


def test_no_source_claims_an_author_it_does_not_have_and_the_seeds_are_cited_as_they_are():
    loaded = flow.load(ROOT / "flows")
    assert "brief" not in loaded.sources
    for source in loaded.sources.values():
        # No one at the City wrote a "content brief": the line's first facts came from the two seeds.
        assert not re.search(r"\bbrief\b|staff", f"{source.publisher} {source.title}", re.IGNORECASE), source
        assert source.url is None or source.url.startswith("https://"), source
    for source_id, (publisher, published, title) in SEEDS.items():
        source = loaded.sources[source_id]
        assert (source.publisher, source.published) == (publisher, published)
        assert title is None or source.title == title
    assert loaded.sources["citydesk_defend_abq_2026"].url is None  # never a constructed address


def test_a_source_nobody_has_checked_on_its_live_page_warns_with_its_line_and_what_to_do(flows_dir):
    loaded = flow.load(flows_dir, today=date(2026, 11, 23))
    unchecked = [w for w in loaded.warnings if "has not been checked on its live page by a person" in w.message]
    assert len(unchecked) == len(loaded.sources)  # today no source is: the Sources reply says so
    first = next(w for w in unchecked if w.node == "sources:citydesk_defend_abq_2026")
    assert first.line == line_of(flows_dir, "sources.yaml", "checked: not yet")
    assert "seen in a saved copy on 2026-11-23" in first.message and "set `checked` to that day" in first.message


def test_a_source_past_its_review_date_warns(flows_dir):
    all_checked(flows_dir, "2026-11-20")
    assert not flow.load(flows_dir, today=date(2027, 1, 23)).warnings
    late = flow.load(flows_dir, today=date(2027, 1, 24)).warnings  # the I-205 memo is reviewed monthly
    assert [(w.node, w.message) for w in late] == [
        ("sources:ice_i205_memo", "was due for review on 2027-01-23: look at it again, then set a new `review_by`.")]


def test_a_date_that_does_not_exist_is_an_error_naming_its_line_not_a_crash(flows_dir):
    replace_in(flows_dir, "sources.yaml", "review_by: 2027-01-23", "review_by: 2026-02-30")
    with pytest.raises(flow.FlowError) as refused:
        flow.load(flows_dir)
    line = line_of(flows_dir, "sources.yaml", "review_by: 2026-02-30")
    assert f"flows/sources.yaml:{line}: sources:" not in str(refused.value)  # a file's problem, not a node's
    assert f"flows/sources.yaml:{line}: '2026-02-30' is not a date that exists (YYYY-MM-DD)." in str(refused.value)


def test_the_sources_reply_names_publisher_date_and_title_and_says_nothing_was_rechecked(phone):
    phone("hi")
    phone("6")
    reply = phone("2")
    assert "- City Desk ABQ, " in reply and "No public copy found." in reply
    assert "brief" not in reply.lower()


def set_oei_statement_checked(folder, was: str, day: str) -> None:
    """The City's OEI statement (the first source cited by places) checked on `day` instead of `was`."""
    path = folder / "sources.yaml"
    before, after = path.read_text().split("  - id: cabq_oei_statement")
    path.write_text(f"{before}  - id: cabq_oei_statement{after.replace(f'checked: {was}', f'checked: {day}', 1)}")


def all_checked(folder, day: str) -> None:
    """Every source as if a person had checked it on `day`."""
    path = folder / "sources.yaml"
    path.write_text(path.read_text().replace("checked: not yet", f"checked: {day}"))


def replace_in(folder, name, old, new):
    path = folder / name
    text = path.read_text()
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1))


def line_of(folder, name, needle):
    """The line holding `needle`; a (needle, offset) pair counts from there."""
    needle, offset = needle if isinstance(needle, tuple) else (needle, 0)
    return offset + next(i for i, line in enumerate((folder / name).read_text().splitlines(), 1) if needle in line)


# Each case: the file, the text to change and what to, then what the error must say and on which line.
BAD_FILES = {
    "unknown target": ("main.yaml", "target: rights:menu", "target: rights:menuu",
                       "points to 'rights:menuu', which does not exist", "rights:menuu", "main:menu"),
    "duplicate option key": ("rights.yaml", 'key: "2"\n        label: "On the street"',
                             'key: "1"\n        label: "On the street"',
                             "option key 1 is used twice", ('label: "On the street"', -1), "rights:menu"),
    "unreachable node": ("rights.yaml", "  plan:\n", "  orphan:\n    text: \"Nobody links here.\"\n"
                         "    end: true\n\n  plan:\n", "cannot be reached from the start", "  orphan:",
                         "rights:orphan"),
    "dead end": ("rights.yaml", "    sources: [aclu_door, ice_i205_memo]\n    end: true\n\n  street:",
                 "    sources: [aclu_door, ice_i205_memo]\n\n  street:", "is a dead end", "  door:", "rights:door"),
    "boolean label": ("rights.yaml", 'label: "On the street"', "label: true",
                      "must be text, but YAML read true", "label: true", "rights:menu"),
    "number label": ("rights.yaml", 'label: "In a car"', "label: 1.0",
                     "must be text, but YAML read 1.0 (a number)", "label: 1.0", "rights:menu"),
    "null text": ("rights.yaml", 'text: "Everyone in the U.S.', 'text: null\n    x: "',
                  "YAML read null", "text: null", "rights:menu"),
    "duplicate key": ("rights.yaml", "    keywords:\n      en: [\"street\"",
                      "    keywords: [\"x\"]\n    keywords:\n      en: [\"street\"",
                      'found duplicate key "keywords"', ('keywords: ["x"]', 1), None),
    "alias": ("rights.yaml", "    sources: [aclu_stops]\n    end: true\n\n  car:",
              "    sources: &s [aclu_stops]\n    end: true\n\n  car:", "uses the alias *s", "sources: *s", None),
    "unknown field": ("rights.yaml", "    keywords:\n      en: [\"work\"", "    keywrds:\n      en: [\"work\"",
                      "unknown field 'keywrds'", "keywrds:", "rights:work"),
    "bad option key": ("main.yaml", 'key: "6"', 'key: "9"', "is not in the expected form",
                       'key: "9"', "main:menu"),
    "unknown source": ("rights.yaml", "sources: [ilrc_red_cards, mlri_notario]",
                       "sources: [ilrc_red_cardz, mlri_notario]",
                       "cites the source 'ilrc_red_cardz', which sources.yaml does not list",
                       "ilrc_red_cardz", "rights:plan"),
    # A stop phrase counts anywhere in a message: one word would unsubscribe "the bus stop".
    "one-word stop phrase": ("languages.yaml", '"opt me out",', '"opt me out", "halt",', "is a single word",
                             '"opt me out", "halt",', None),
    "stop and forget phrase": ("languages.yaml", 'forget: ["delete my number"', 'forget: ["no more texts"',
                               "is both a stop and a forget phrase", 'forget: ["no more texts"', None),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_a_bad_flow_file_is_refused_with_file_line_and_node(flows_dir, case):
    name, old, new, says, line_needle, node = BAD_FILES[case]
    if case == "alias":
        replace_in(flows_dir, name, "    sources: [aclu_stops]\n    end: true\n\n  work:",
                   "    sources: *s\n    end: true\n\n  work:")
    replace_in(flows_dir, name, old, new)
    with pytest.raises(flow.FlowError) as caught:
        flow.load(flows_dir)
    problem = next((p for p in caught.value.problems if says in p.message), None)
    assert problem is not None, str(caught.value)
    assert problem.file == f"flows/{name}"
    assert problem.line == line_of(flows_dir, name, line_needle)
    if node:
        assert problem.node == node


def test_a_keyword_that_leads_to_two_places_is_a_warning_naming_both(flows_dir):
    replace_in(flows_dir, "rights.yaml", 'es: ["calle",', 'es: ["puerta", "calle",')
    loaded = flow.load(flows_dir)  # asking which one is safe, so the flows are still served
    said = [str(w) for w in loaded.warnings if "puerta" in w.message]
    assert len(said) == 1
    line = line_of(flows_dir, "rights.yaml", 'es: ["puerta", "calle",')
    assert said[0].startswith(f"flows/rights.yaml:{line}:")
    assert "rights:street: the keyword 'puerta' also leads to rights:door" in said[0]


def test_a_file_over_the_size_cap_is_refused(flows_dir):
    (flows_dir / "huge.yaml").write_text("# " + "x" * (flowfile.MAX_FILE_BYTES + 10) + "\nflow: huge\n")
    with pytest.raises(flow.FlowError, match=r"flows/huge.yaml:1: the file is \d+ KiB; the limit is 512 KiB"):
        flow.load(flows_dir)


def test_a_file_without_a_version_is_refused_at_its_first_key(flows_dir):
    replace_in(flows_dir, "system.yaml", "version: 1\n", "")
    with pytest.raises(flow.FlowError) as caught:
        flow.load(flows_dir)
    line = line_of(flows_dir, "system.yaml", "start: main:menu")
    assert [str(p) for p in caught.value.problems] == [
        f"flows/system.yaml:{line}: has no `version: 1`; add it as the first key so the line knows which format "
        "this file is written in."]  # and only that: the system file is not also reported missing


def test_a_file_for_another_format_version_is_refused_by_name(flows_dir):
    replace_in(flows_dir, "rights.yaml", "version: 1\n", "version: 2\n")
    with pytest.raises(flow.FlowError) as caught:
        flow.load(flows_dir)
    line = line_of(flows_dir, "rights.yaml", "version: 2")
    assert f"flows/rights.yaml:{line}: is written for format version 2; this line reads version 1." in [
        str(p) for p in caught.value.problems]


def test_a_version_that_is_not_a_number_is_refused(flows_dir):
    replace_in(flows_dir, "hotlines.yaml", "version: 1\n", 'version: "1"\n')
    with pytest.raises(flow.FlowError, match=r"flows/hotlines.yaml:\d+: version must be the number 1, but YAML "
                                             r"read '1'\."):
        flow.load(flows_dir)


def test_every_shipped_file_states_its_version_before_its_main_key():
    for path in (ROOT / "flows").glob("*.yaml"):
        keys = [line.split(":")[0] for line in path.read_text().splitlines() if line[:1].isalpha()]
        assert keys[0] == "version" and "version: 1" in path.read_text(), path.name


STALE = "was last checked on 2026-07-05, more than 180 days ago; re-check it and update `checked`."


def test_a_source_not_checked_for_180_days_warns_but_the_set_loads(flows_dir):
    all_checked(flows_dir, "2026-11-22")
    path = flows_dir / "sources.yaml"
    path.write_text(path.read_text().replace("review_by: 2027-01-23", "review_by: 2027-06-01"))
    set_oei_statement_checked(flows_dir, "2026-11-22", "2026-07-05")
    line = line_of(flows_dir, "sources.yaml", "checked: 2026-07-05")
    assert not flow.load(flows_dir, today=date(2027, 1, 1)).warnings  # 180 days: still fine
    loaded = flow.load(flows_dir, today=date(2027, 1, 2))
    assert loaded.warnings == (flow.Problem("flows/sources.yaml", line, "sources:cabq_oei_statement", STALE,
                                            warning=True),)
    assert str(loaded.warnings[0]) == f"flows/sources.yaml:{line}: warning: sources:cabq_oei_statement: {STALE}"
    assert loaded.sources["cabq_oei_statement"].checked == date(2026, 7, 5)


def test_a_source_checked_after_today_warns_that_its_date_looks_wrong(flows_dir):
    all_checked(flows_dir, "2026-11-22")
    set_oei_statement_checked(flows_dir, "2026-11-22", "2062-11-22")
    loaded = flow.load(flows_dir, today=date(2026, 11, 23))
    assert [(w.node, w.message) for w in loaded.warnings] == [
        ("sources:cabq_oei_statement", "says it was checked on 2062-11-22, after today (2026-11-23); correct the "
                                       "date, or no reminder to re-check it will come.")]


def one_stale_source(flows_dir):
    """The first source checked long ago, every other one today: one warning, on whatever day the tests run
    (the command and the app judge by the real date)."""
    path = flows_dir / "sources.yaml"
    today = datetime.now(flow.DENVER).date().isoformat()
    all_checked(flows_dir, today)
    path.write_text(re.sub(r"review_by: \S+", "review_by: 2099-01-01", path.read_text()))
    set_oei_statement_checked(flows_dir, today, "2020-01-01")


def test_flows_check_shows_warnings_and_exits_zero_when_there_is_nothing_else(flows_dir):
    one_stale_source(flows_dir)
    line = line_of(flows_dir, "sources.yaml", "checked: 2020-01-01")
    result = CliRunner().invoke(main, ["flows", "check", "--dir", str(flows_dir)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok:")
    assert (f"flows/sources.yaml:{line}: warning: sources:cabq_oei_statement: was last checked on 2020-01-01, "
            "more than 180 days ago" in result.output)
    assert "1 warning(s): the bot serves these flows" in result.output


def test_flows_check_exits_one_on_an_error_and_lists_the_warnings_after_it(flows_dir):
    one_stale_source(flows_dir)
    replace_in(flows_dir, *BAD_FILES["dead end"][:3])
    result = CliRunner().invoke(main, ["flows", "check", "--dir", str(flows_dir)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len(lines) == 3, result.output
    assert lines[0].startswith("flows/rights.yaml:") and lines[0].endswith("is a dead end: give it options, a next "
                                                                           "node, a data list, or mark it `end: true`.")
    assert ": warning: sources:cabq_oei_statement: was last checked on 2020-01-01" in lines[1]
    assert lines[2] == ("1 problem(s) and 1 warning(s): the bot will not serve these flows until the problems "
                        "are fixed.")


def test_the_app_serves_a_set_with_warnings_and_logs_each_at_start(overrides, flows_dir, redis_client, caplog):
    from bot.web import create_app

    one_stale_source(flows_dir)
    with caplog.at_level(logging.WARNING, logger="bot.web"):
        create_app({**overrides, "flows_dir": flows_dir})
    said = [r.getMessage() for r in caplog.records if "warning: sources:" in r.getMessage()]
    assert len(said) == 1 and "sources:cabq_oei_statement: was last checked on 2020-01-01" in said[0]


def test_an_event_without_place_or_link_is_refused(flows_dir):
    replace_in(flows_dir, "events.yaml", "    place: \"Online, on Zoom (ask the City's Office of Immigrant and Refugee "
               "Affairs for the link)\"\n", "")
    with pytest.raises(flow.FlowError, match="needs a place or a link"):
        flow.load(flows_dir)


def test_yaml_1_2_keeps_an_unquoted_no_as_text(flows_dir):
    replace_in(flows_dir, "rights.yaml", '["calle",', '[no,')
    assert ("no", "es") in flow.load(flows_dir).nodes["rights:street"].keywords


def test_flows_check_prints_the_problems_and_exits_non_zero(flows_dir):
    replace_in(flows_dir, "main.yaml", "target: rights:menu", "target: rights:nowhere")
    result = CliRunner().invoke(main, ["flows", "check", "--dir", str(flows_dir)])
    assert result.exit_code == 1
    assert "flows/main.yaml:" in result.output and "rights:nowhere" in result.output


def test_flows_check_passes_on_the_shipped_set():
    result = CliRunner().invoke(main, ["flows", "check"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok:")


def test_create_app_refuses_to_serve_a_broken_set(overrides, flows_dir, redis_client):
    from bot.web import create_app

    replace_in(flows_dir, "main.yaml", "target: rights:menu", "target: rights:nowhere")
    with pytest.raises(flow.FlowError, match="rights:nowhere"):
        create_app({**overrides, "flows_dir": flows_dir})
