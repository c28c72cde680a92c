"""The worker's side of reminders: check the event still holds, claim the send, keep the pace, text once.
Twilio's 429, 5xx and connection failures are retried by RQ; anything else is recorded; nobody is texted twice."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import redis
import requests
from cryptography.fernet import InvalidToken
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from bot import config, flow, segments, store
from bot.engine import Say, Text
from bot.i18n import Translator
from bot.pace import Pace
from bot.reminders import Reminders, index_key, job_id, sent_key

log = logging.getLogger(__name__)

TWILIO_API = "https://api.twilio.com"
# Twilio's answers that no retry will change: not a valid number, not a mobile, unsubscribed at the
# carrier, no permission to text that region.
PERMANENT = {21211: "invalid number", 21614: "not a mobile number", 21610: "unsubscribed at the carrier",
             21408: "region not enabled"}
OPTED_OUT = 21610
CLAIM_DAYS = 2  # a claim outlives the event's last reminder, so a late retry cannot send again


class RetryableSendError(RuntimeError):
    """Twilio was busy or unreachable; RQ retries the job later. The message never holds the number."""


# ---------------------------------------------------------------- senders


class _RoutedHttpClient(TwilioHttpClient):
    """The SDK's own HTTP client, with Twilio's address swapped for TWILIO_API_URL (a local stand-in)."""

    def __init__(self, base_url: str, timeout: float):
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API):]
        return super().request(method, url, *args, **kwargs)


class TwilioSender:
    def __init__(self, settings: config.Settings, timeout: float = 10.0):
        http = _RoutedHttpClient(settings.twilio_api_url, timeout) if settings.twilio_api_url \
            else TwilioHttpClient(timeout=timeout)
        self.client = Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=http)
        sender = settings.twilio_from or ""
        # TWILIO_FROM is a number, a short code, or a messaging service (its SID starts with MG).
        self.origin = {"messaging_service_sid": sender} if sender.startswith("MG") else {"from_": sender}

    def send(self, to: str, body: str) -> None:
        self.client.messages.create(to=to, body=body, **self.origin)


class PrintingSender:
    """Development without Twilio credentials: show each reminder as it would go, the number masked."""

    def send(self, to: str, body: str) -> None:
        print(f"[reminder not sent: no Twilio credentials] to {mask(to)}: {body}", flush=True)


def mask(number: str) -> str:
    return "*" * max(0, len(number) - 2) + number[-2:]


def sender_for(settings: config.Settings):
    if settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from:
        return TwilioSender(settings)
    if not settings.development:
        raise config.ConfigError("The reminder worker cannot send without TWILIO_ACCOUNT_SID and TWILIO_FROM "
                                 "(with TWILIO_AUTH_TOKEN). Set them, or set RIGHTSLINE_ENV=development to print "
                                 "reminders instead of sending them.")
    return PrintingSender()


# ---------------------------------------------------------------- one reminder


@dataclass
class Delivery:
    settings: config.Settings
    flows: flow.Flows
    translator: Translator
    redis: redis.Redis
    sender: object
    pace: Pace | None = None
    clock: object = None

    @classmethod
    def build(cls, settings: config.Settings, connection: redis.Redis, sender=None) -> Delivery:
        flows = flow.load(settings.flows_dir)  # a broken set is never served, by text or by reminder
        pace = Pace(connection, settings.twilio_mps) if settings.twilio_mps else None
        return cls(settings, flows, Translator(flows, settings.translations_dir), connection,
                   sender or sender_for(settings), pace)

    @property
    def reminders(self) -> Reminders:
        return Reminders(self.settings, self.flows, self.redis)

    def now(self) -> datetime:
        return self.clock() if self.clock else datetime.now(UTC)

    def run(self, payload: dict) -> str:
        """Send one reminder at most once; returns what happened (also counted per day and language)."""
        outcome = self._run(payload)
        lang = payload.get("l", "-")
        store.count_use(self.redis, self.now(), "reminder", lang, outcome)
        log.info("reminder for %s (%s): %s", payload.get("e"), payload.get("o"), outcome)
        return outcome

    def _run(self, payload: dict) -> str:
        sender = payload.get("s", "")
        job = job_id(self.settings.secret, sender, payload.get("e", ""), payload.get("o", ""))
        reminders = self.reminders
        if reminders.moment_of(payload) is None:
            reminders.drop(job, sender)
            return "dropped:event or reminder time removed"
        # Due when it was scheduled for; `rightsline reminders sync` (run at every worker start) moves it
        # when the event moves.
        due = datetime.fromisoformat(payload["at"])
        if self.now() - due > timedelta(seconds=self.settings.reminder_lateness):
            reminders.drop(job, sender)
            return "dropped:too late"
        # The claim comes before Twilio is called: if this worker dies mid-send, no retry sends again.
        claim = sent_key(job)
        if not self.redis.set(claim, "claimed", nx=True, ex=CLAIM_DAYS * 86400):
            self.redis.srem(index_key(sender), job)
            return "skipped:already sent"
        try:
            number = reminders.cipher.decrypt(payload["to"].encode()).decode()
        except (InvalidToken, KeyError, AttributeError):
            self.redis.set(claim, "failed", xx=True, keepttl=True)
            return "failed:unreadable (its key was rotated away)"
        body = self.body(payload)
        if self.pace:
            self.pace.wait(segments.count(body))
        try:
            self.sender.send(number, body)
        except TwilioRestException as error:
            return self._twilio_error(error, claim, sender, job)
        except (requests.ConnectionError, requests.exceptions.ConnectTimeout) as error:
            # Nothing reached Twilio: safe to try again.
            self.redis.delete(claim)
            raise RetryableSendError(f"Twilio unreachable ({type(error).__name__})") from None
        except requests.Timeout:
            # Twilio got the request but did not answer in time: it may have sent it. Never risk twice.
            self.redis.set(claim, "failed", xx=True, keepttl=True)
            self.redis.srem(index_key(sender), job)
            return "failed:no answer from Twilio (maybe sent; not retried)"
        self.redis.set(claim, "sent", xx=True, keepttl=True)
        self.redis.srem(index_key(sender), job)
        return "sent"

    def _twilio_error(self, error: TwilioRestException, claim: str, sender: str, job: str) -> str:
        status, code = error.status, error.code
        if status == 429 or status >= 500:
            self.redis.delete(claim)
            raise RetryableSendError(f"Twilio answered {status} (code {code})") from None
        self.redis.set(claim, "failed", xx=True, keepttl=True)
        self.redis.srem(index_key(sender), job)
        if code == OPTED_OUT:
            self.reminders.cancel_all(sender)
        return f"failed:{code} {PERMANENT.get(code, 'refused')}"

    def body(self, payload: dict) -> str:
        event = next(e for e in self.flows.events if e.id == payload["e"])
        lang = payload.get("l") if payload.get("l") in self.flows.enabled_languages else "en"
        timed = isinstance(event.start, datetime)
        say = Say.of("system:reminder" if timed else "system:reminder_day", title=Text(event.title),
                     when=event.start, where=event.place or event.link)
        return self.translator.render(lang, say)


# ---------------------------------------------------------------- the job RQ runs

_installed: Delivery | None = None


def install(delivery: Delivery | None) -> None:
    """Set what reminder jobs in this process send with (worker.py at start; tests with their own)."""
    global _installed
    _installed = delivery


def send_reminder(payload: dict) -> None:
    """The RQ job. It returns nothing: a result would only be something more to keep."""
    global _installed
    if _installed is None:
        settings = config.load()
        connection = store.connect(settings.redis_url, None) if settings.redis_url else None
        if connection is None:
            raise config.ConfigError("send_reminder runs in worker.py, which sets up its Redis first.")
        _installed = Delivery.build(settings, connection)
    _installed.run(payload)
