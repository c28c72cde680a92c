"""The one command staff and operators use: `rightsline serve|chat|flows|translations`.
Imports stay inside each command so that `rightsline flows check` starts fast."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.config import ROOT

TRANSLATIONS = ROOT / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"


@click.group()
def main() -> None:
    """Rights Line: an anonymous know-your-rights line by SMS and voice."""


# ---------------------------------------------------------------- flows


@main.group()
def flows() -> None:
    """Check and draw the flow files."""


@flows.command("check")
@click.option("--dir", "folder", type=click.Path(path_type=Path), default=ROOT / "flows", show_default=True)
def flows_check(folder: Path) -> None:
    """List every problem in the flow files, then the warnings; exit 1 if there is any problem."""
    from bot import flow

    try:
        loaded = flow.load(folder)
    except flow.FlowError as error:
        for problem in (*error.problems, *error.warnings):
            click.echo(str(problem), err=True)
        counted = f"{len(error.problems)} problem(s)"
        if error.warnings:
            counted += f" and {len(error.warnings)} warning(s)"
        click.echo(f"{counted}: the bot will not serve these flows until the problems are fixed.", err=True)
        sys.exit(1)
    click.echo(f"ok: {len(loaded.nodes)} nodes, {len(loaded.strings)} strings, "
               f"languages {', '.join(loaded.enabled_languages)}")
    for warning in loaded.warnings:
        click.echo(str(warning), err=True)
    if loaded.warnings:
        click.echo(f"{len(loaded.warnings)} warning(s): the bot serves these flows; see to the warnings when you can.",
                   err=True)


@flows.command("graph")
@click.option("--dir", "folder", type=click.Path(path_type=Path), default=ROOT / "flows", show_default=True)
def flows_graph(folder: Path) -> None:
    """Print the menu tree as Graphviz DOT (pipe it to `dot -Tpng`)."""
    from bot import flow

    loaded = flow.load(folder)
    click.echo("digraph rightsline {\n  rankdir=LR; node [shape=box];")
    for node in loaded.nodes.values():
        click.echo(f'  "{node.id}";')
        for option in node.options:
            target = option.target or loaded.start
            label = loaded.strings.get(option.label, option.label).replace('"', "'")
            click.echo(f'  "{node.id}" -> "{target}" [label="{option.key} {label}"];')
        if node.next:
            click.echo(f'  "{node.id}" -> "{node.next}" [style=dashed];')
    click.echo("}")


# ---------------------------------------------------------------- translations


@main.group()
def translations() -> None:
    """Extract, update, compile and check the gettext catalogs (wrapping Babel)."""


def _pybabel(*args: str) -> None:
    from babel.messages.frontend import CommandLineInterface

    CommandLineInterface().run(["pybabel", "-q", *args])


def extract_template(output: Path) -> None:
    """Extract every flow and data file's strings to `output`. Run from the project's folder on `.`, so that
    locations read `flows/rights.yaml:12` on every machine, not this one's absolute path."""
    from contextlib import chdir

    with chdir(ROOT):
        _pybabel("extract", "-F", str(ROOT / "babel.cfg"), "-o", str(output), "--project", "Rights Line",
                 "--copyright-holder", "City of Albuquerque", "--add-comments", "", "--sort-by-file", ".")


@translations.command("extract")
@click.option("--output", type=click.Path(path_type=Path), default=TEMPLATE,
              help="write the template here instead (dev.py test compares it with the committed one)")
def translations_extract(output: Path) -> None:
    """Write translations/messages.pot from every flow and data file."""
    extract_template(output)
    click.echo(f"wrote {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}")


@translations.command("update")
def translations_update() -> None:
    """Merge the template into each catalog; changed English is marked fuzzy for review."""
    _pybabel("update", "-i", str(TEMPLATE), "-d", str(TRANSLATIONS), "--width", "100")


@translations.command("compile")
def translations_compile() -> None:
    """Compile each .po to .mo (fuzzy entries left out: they are served in English until reviewed)."""
    _pybabel("compile", "-d", str(TRANSLATIONS))


@translations.command("check")
@click.option("--dir", "folder", type=click.Path(path_type=Path), default=TRANSLATIONS, show_default=True)
@click.option("--flows-dir", type=click.Path(path_type=Path), default=ROOT / "flows", show_default=True)
def translations_check(folder: Path, flows_dir: Path) -> None:
    """Coverage per language; exit 1 when an enabled language lacks a string."""
    from bot import flow, i18n

    loaded = flow.load(flows_dir)
    report = i18n.coverage(loaded, folder)
    failed = False
    for lang, row in report.items():
        enabled = loaded.languages[lang].enabled
        longest = row.longest
        click.echo(f"{lang}: {row.translated} translated, {len(row.fuzzy)} fuzzy, "
                   f"{len(row.missing)} missing, {len(row.placeholders)} with wrong placeholders"
                   f"{'' if enabled else ' (not enabled)'}; longest string {longest[0]} SMS segment(s)"
                   f"{' (' + longest[1] + ')' if longest[1] else ''}; reviewed by a native speaker: "
                   f"{'yes' if row.reviewed else 'no'}")
        for kind in ("missing", "fuzzy", "placeholders"):
            if kind == "missing" and not enabled:
                continue  # a language being translated: the count says enough
            for message_id in getattr(row, kind):
                click.echo(f"  {kind}: {message_id}  ({':'.join(map(str, loaded.refs[message_id]))})")
        if enabled and (row.missing or row.placeholders):
            failed = True
    sys.exit(1 if failed else 0)


# ---------------------------------------------------------------- routing


@main.group()
def routing() -> None:
    """How well the line understands people's own words."""


@routing.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mode", type=click.Choice(["first", "session"]), default="first", show_default=True,
              help="first: each message is a new number's first text; session: it follows a greeting")
@click.option("--channel", type=click.Choice(["sms", "voice"]), default="sms", show_default=True,
              help="voice: each message is said at a call's main menu, in its language")
@click.option("--worst", type=int, default=12, show_default=True, help="how many bad examples to show")
def routing_check(file: Path, mode: str, channel: str, worst: int) -> None:
    """Send labelled messages (JSON Lines: lang, text, intent[, trap]) through the real webhooks, in-process
    on a Redis of their own, and count where each one led."""
    import tempfile

    from bot import routing as checking
    from bot.web import create_app

    with tempfile.TemporaryDirectory(prefix="rightsline-routing-") as folder:
        app = create_app({"env": "development", "instance_dir": Path(folder), "redis_url": ""})
        services = app.extensions["rightsline"]
        try:
            report = checking.check(checking.Example.read(file), app.test_client(), services.flows,
                                    services.translator, services.settings.twilio_auth_token, mode, channel)
        finally:
            if services.embedded:
                services.embedded.shutdown()
    click.echo(f"{file.name}: {len(report.results)} messages, {mode} mode, by {channel}\n")
    click.echo(report.table(worst))


# ---------------------------------------------------------------- reminders


@main.group()
def reminders() -> None:
    """Pending event reminders."""


@reminders.command("sync")
def reminders_sync() -> None:
    """Move or cancel pending reminders to match flows/events.yaml (the worker also does this at start)."""
    from datetime import UTC, datetime

    from bot import config, flow, store
    from bot.reminders import Reminders

    settings = config.load()
    if not settings.redis_url:
        click.echo("REDIS_URL is not set: the embedded Redis is synced by the worker when it starts.", err=True)
        sys.exit(1)
    counts = Reminders(settings, flow.load(settings.flows_dir), store.connect(settings.redis_url, 5.0)).sync(
        datetime.now(UTC))
    click.echo(f"{counts['kept']} kept, {counts['moved']} moved, {counts['dropped']} dropped")


# ---------------------------------------------------------------- running it


@main.command()
@click.option("--port", default=5000, show_default=True)
@click.option("--workers", default=2, show_default=True, help="gunicorn web workers")
def serve(port: int, workers: int) -> None:
    """Run the web app and a reminder worker on this machine, on the embedded Redis."""
    from bot.devserver import run

    run(port=port, workers=workers)


@main.command()
@click.option("--lang", default=None, help="start in this language (en, es)")
@click.option("--url", default=None,
              help='a running app, e.g. http://127.0.0.1:5000 (default: tries that, else runs one in-process; '
                   '--url "" always runs one in-process)')
@click.option("--number", default="+15055550100", show_default=True,
              help="the pretend phone number (it is hashed, never stored)")
@click.option("--voice", "by_voice", is_flag=True, help="call instead of text: hear what is said, press keys")
def chat(lang: str | None, url: str | None, number: str, by_voice: bool) -> None:
    """Talk to the bot in this terminal, through the real signed /sms (or /voice) webhook."""
    from bot.chat import run

    run(lang=lang, url=url, number=number, by_voice=by_voice)
