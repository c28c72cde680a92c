"""What the reminder tests share: events written relative to the real clock (RQ's scheduler keeps real
time), an app subscribed at a chosen moment, and a burst worker run in this process."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rq import SimpleWorker
from rq.serializers import JSONSerializer

from bot import delivery, reminders, store
from bot.flow import DENVER
from bot.web import create_app
from tests.helpers import ROOT, make_phone


def real_now() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


def write_events(flows_dir: Path, *events: dict) -> None:
    """Replace events.yaml with these events: dicts of id, start (datetime or date) and optional reminders."""
    lines = ["# yaml-language-server: $schema=schema.json", "version: 1", "events:"]
    for event in events:
        start = event["start"]
        start = start.astimezone(DENVER).strftime("%Y-%m-%d %H:%M") if isinstance(start, datetime) \
            else start.isoformat()
        lines += [f"  - id: {event['id']}", f"    title: \"{event.get('title', 'Test webinar')}\"",
                  f"    start: \"{start}\"", "    link: \"cabq.gov/oira-resources\"", "    language: en",
                  "    source: oira_resources"]
        if "reminders" in event:
            lines.append("    reminders: [" + ", ".join(f'"{r}"' for r in event["reminders"]) + "]")
    (flows_dir / "events.yaml").write_text("\n".join(lines) + "\n")


def app_at(sending: dict, moment: datetime):
    """The app with its clock stopped at `moment` (the worker keeps real time)."""
    return create_app({**sending, "clock": lambda: moment})


def ask_for_reminder(client, number: str, lang: str = "en", event_key: str = "1") -> str:
    """Text the bot to the event and ask for its reminder; returns the confirmation."""
    phone = make_phone(client, number)
    phone({"en": "hi", "es": "hola"}[lang])
    phone("0")  # the main menu, whether this was a first text or not
    phone("3")
    detail = phone(event_key)
    assert "\n1 " in detail, detail  # the offer of a reminder
    return phone("1")


def run_worker(app, clock=None) -> None:
    """Send what is due now: one burst of a real RQ SimpleWorker, with the app's settings."""
    services = app.extensions["rightsline"]
    sender = delivery.Delivery.build(services.settings, services.redis)
    sender.clock = clock
    delivery.install(sender)
    try:
        reminders.release_due(services.redis)  # as `worker.py --burst` does
        worker = SimpleWorker([reminders.reminder_queue(services.redis)], connection=services.redis,
                              serializer=JSONSerializer)
        worker.work(burst=True, with_scheduler=True, logging_level="WARNING")
    finally:
        delivery.install(None)


def due_now_event(event_id: str = "test_webinar") -> tuple[dict, datetime]:
    """An event whose "1 hour before" reminder is 5 minutes overdue by the real clock, and the moment
    (10 minutes ago) at which to subscribe so that it was still ahead then."""
    now = real_now()
    return {"id": event_id, "start": now + timedelta(minutes=55)}, now - timedelta(minutes=10)


def future_event(event_id: str = "later_webinar", days: int = 3) -> dict:
    start = datetime.combine(real_now().astimezone(DENVER).date() + timedelta(days=days),
                             datetime.min.time().replace(hour=18), DENVER)
    return {"id": event_id, "start": start, "title": "Later webinar"}


def day_only_event(event_id: str = "day_event", days: int = 3) -> dict:
    return {"id": event_id, "start": real_now().astimezone(DENVER).date() + timedelta(days=days), "title": "Day event"}


def worker_env(app) -> dict:
    """The environment an operator would give `python worker.py`, taken from the app's settings."""
    settings = app.extensions["rightsline"].settings
    env = {name: value for name, value in os.environ.items() if not name.startswith(("RIGHTSLINE_", "TWILIO_"))}
    env.update({"RIGHTSLINE_ENV": "test", "RIGHTSLINE_SECRET": settings.secret, "REDIS_URL": settings.redis_url,
                "TWILIO_ACCOUNT_SID": settings.twilio_account_sid, "TWILIO_AUTH_TOKEN": settings.twilio_auth_token,
                "TWILIO_FROM": settings.twilio_from, "TWILIO_API_URL": settings.twilio_api_url,
                "RIGHTSLINE_FLOWS": str(settings.flows_dir), "RIGHTSLINE_INSTANCE": str(settings.instance_dir),
                "RIGHTSLINE_RETRY_DELAYS": ",".join(map(str, settings.retry_delays))})
    if settings.twilio_mps:
        env["TWILIO_MPS"] = str(settings.twilio_mps)
    return env


def start_worker(app, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "worker.py"), *args], env=worker_env(app), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def subscribe_many(app, numbers: list[str], event_id: str, at: datetime) -> None:
    """Many people asking for the same event's reminder, straight through the effect's handler."""
    services = app.extensions["rightsline"]
    for number in numbers:
        sender = store.sender_key(services.settings.secret, number)
        services.reminders.subscribe(number, sender, event_id, "en", at)
