"""The worker's side of reminders: check the event still holds, claim the send, keep the pace, text once.
Twilio's 429, 5xx and connection failures are retried by RQ; anything else is recorded; nobody is texted twice."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Protocol

import requests
from cryptography.fernet import InvalidToken
from redis import Redis
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from bot import config, flow, nodes, segments, sms, store
from bot.allowance import TextAllowance
from bot.i18n import Translator, for_sms
from bot.pace import Pace
from bot.reminders import Reminders, index_key, job_id, sent_key
from bot.turn import MessageRef, Say, State

log = logging.getLogger(__name__)

TWILIO_API = "https://api.twilio.com"
# Twilio's answers that no retry will change: not a valid number, not a mobile, unsubscribed at the
# carrier, no permission to text that region.
PERMANENT = {21211: "invalid number", 21614: "not a mobile number", 21610: "unsubscribed at the carrier",
             21408: "region not enabled"}
OPTED_OUT = 21610
MAX_BODY = 1600  # characters: Twilio refuses a longer message
SMS_ONLY = {"system:pick", "system:event_pick"}  # prompts to reply, which a one-off text has no use for
CLAIM_DAYS = 2  # a claim outlives the event's last reminder, so a late retry cannot send again


class RetryableSendError(RuntimeError):
    """Twilio was busy or unreachable; RQ retries the job later. The message never holds the number."""


# ---------------------------------------------------------------- senders


class Sender(Protocol):
    def send(self, to: str, body: str) -> None: ...

    def delete_media(self, message: str, media: str) -> None: ...



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

    def delete_media(self, message: str, media: str) -> None:
        self.client.messages(message).media(media).delete()


class PrintingSender:
    """Development without Twilio credentials: show each reminder as it would go, the number masked."""

    def send(self, to: str, body: str) -> None:
        print(f"[message not sent: no Twilio credentials] to {mask(to)}: {body}", flush=True)

    def delete_media(self, message: str, media: str) -> None:
        print(f"[picture not deleted: no Twilio credentials] {media}", flush=True)


def mask(number: str) -> str:
    return "*" * max(0, len(number) - 2) + number[-2:]


def sender_for(settings: config.Settings) -> Sender:
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
    redis: Redis
    sender: Sender
    pace: Pace | None = None
    clock: Callable[[], datetime] | None = None  # tests freeze it

    @classmethod
    def build(cls, settings: config.Settings, connection: Redis, sender: Sender | None = None) -> Delivery:
        flows = flow.load(settings.flows_dir)  # a broken set is never served, by text or by reminder
        pace = Pace(connection, settings.twilio_mps) if settings.twilio_mps else None
        return cls(settings, flows, Translator(flows, settings.translations_dir), connection,
                   sender or sender_for(settings), pace)

    @cached_property
    def allowance(self) -> TextAllowance:
        return TextAllowance(self.settings, self.redis)

    @cached_property
    def reminders(self) -> Reminders:
        return Reminders(self.settings, self.flows, self.redis)

    def now(self) -> datetime:
        return self.clock() if self.clock else datetime.now(UTC)

    def run(self, payload: dict, kind: str = "reminder") -> str:
        """Send one reminder (or one text a caller asked for) at most once; returns what happened, which
        is also counted per day and language."""
        try:
            outcome = self._reminder(payload) if kind == "reminder" else self._text(payload)
        except BaseException:
            self._finish.reset()  # nothing half-written carries over to the next job
            raise
        store.count_use(self._finish, self.now(), kind, payload.get("l", "-"), outcome)
        self._finish.execute()  # the claim's last state, the index and the count: one round trip
        log.info("%s %s: %s", kind, payload.get("e") or payload.get("n"), outcome)
        return outcome

    def delete_media(self, payload: dict) -> None:
        outcomes = []
        for media in payload.get("media", []):
            try:
                self.sender.delete_media(payload.get("m", ""), media)
                outcomes.append("deleted")
            except TwilioRestException as error:
                if error.status == 429 or error.status >= 500:
                    raise RetryableSendError(f"Twilio answered {error.status} (code {error.code})") from None
                outcomes.append("gone" if error.status == 404 else f"failed:{error.code}")
            except (requests.ConnectionError, requests.Timeout) as error:
                raise RetryableSendError(f"Twilio unreachable ({type(error).__name__})") from None
        for outcome in outcomes:
            store.count_use(self._finish, self.now(), "media", "-", outcome)
        self._finish.execute()
        log.info("media: %s", ", ".join(outcomes) or "nothing to delete")

    def _reminder(self, payload: dict) -> str:
        sender = payload.get("s", "")
        job = job_id(self.settings.secret, sender, payload.get("e", ""), payload.get("o", ""))
        reminders = self.reminders
        event = self.flows.event(payload.get("e", ""))
        if event is None or reminders.moment_of(payload) is None:
            reminders.drop(job, sender)
            return "dropped:event or reminder time removed"
        # Due when it was scheduled for; `rightsline reminders sync` (run at every worker start) moves it
        # when the event moves.
        due = datetime.fromisoformat(payload["at"])
        if self.now() - due > timedelta(seconds=self.settings.reminder_lateness):
            reminders.drop(job, sender)
            return "dropped:too late"
        return self._send_once(job, payload, self.body(event, self._lang(payload)), sender, spend_budget=True)

    def _text(self, payload: dict) -> str:
        if payload.get("n") not in self.flows.nodes:
            return "dropped:node removed"
        return self._send_once(payload["k"], payload, self.script(payload), payload.get("s"))

    def _send_once(self, job: str, payload: dict, body: str, sender: str | None, spend_budget: bool = False) -> str:
        """`spend_budget`: count it against the line's daily budget now (a reminder; a caller's text was counted
        when it was asked for).

        The claim is the last thing before Twilio is called, after the wait for a pacing slot: a worker killed
        while waiting has claimed nothing, and RQ's retry of its job sends it. A worker killed during the HTTP
        request itself has claimed it, and no retry sends again: Twilio may or may not have sent that one."""
        claim = sent_key(job)
        if self.redis.exists(claim):  # sent (or failed for good) already: no slot taken, nothing sent
            self._done(job, sender)
            return "skipped:already sent"
        try:
            number = self.reminders.cipher.decrypt(payload["to"].encode()).decode()
        except (InvalidToken, KeyError, AttributeError):
            return self._failed(claim, job, sender, "failed:unreadable (its key was rotated away)", claimed=False)
        if self.pace:
            self.pace.wait(segments.count(body))
        if not self.redis.set(claim, "claimed", nx=True, ex=CLAIM_DAYS * 86400):
            self._done(job, sender)  # another worker took it while this one waited
            return "skipped:already sent"
        if spend_budget and self.allowance.take(self.now()):
            return self._failed(claim, job, sender, "dropped:daily text budget reached")
        try:
            self.sender.send(number, body)
        except TwilioRestException as error:
            if error.status == 429 or error.status >= 500:
                self.redis.delete(claim)
                raise RetryableSendError(f"Twilio answered {error.status} (code {error.code})") from None
            if error.code == OPTED_OUT and sender:
                self.reminders.cancel_all(sender)
            return self._failed(claim, job, sender, f"failed:{error.code} {PERMANENT.get(error.code, 'refused')}")
        except (requests.ConnectionError, requests.exceptions.ConnectTimeout) as error:
            self.redis.delete(claim)  # nothing reached Twilio: safe to try again
            raise RetryableSendError(f"Twilio unreachable ({type(error).__name__})") from None
        except requests.Timeout:
            # Twilio got the request but did not answer in time: it may have sent it. Never risk twice.
            return self._failed(claim, job, sender, "failed:no answer from Twilio (maybe sent; not retried)")
        self._finish.set(claim, "sent", xx=True, keepttl=True)
        self._done(job, sender)
        return "sent"

    def _failed(self, claim: str, job: str, sender: str | None, outcome: str, claimed: bool = True) -> str:
        """Recorded for good: no retry sends it (a claim made now if none was)."""
        if claimed:
            self._finish.set(claim, "failed", xx=True, keepttl=True)
        else:
            self._finish.set(claim, "failed", ex=CLAIM_DAYS * 86400)
        self._done(job, sender)
        return outcome

    def _done(self, job: str, sender: str | None) -> None:
        if sender:
            self._finish.srem(index_key(sender), job)

    @cached_property
    def _finish(self):
        """What a job writes after it has sent (or not): queued, then sent to Redis at once by run()."""
        return self.redis.pipeline(transaction=False)

    def script(self, payload: dict) -> str:
        """What the caller heard, as one text message (Twilio's limit is 1,600 characters)."""
        lang = self._lang(payload)
        state = State(payload["n"], lang, (), 0, payload.get("i") if payload.get("i") else None)
        lines = [self.translator.render(lang, say) for say in nodes.script(self.flows, state, self.now())
                 if say.id not in SMS_ONLY]
        return sms.cut_to(for_sms(lang, "\n".join(lines)), MAX_BODY)

    def _lang(self, payload: dict) -> str:
        """The person's language, or English if it has been switched off since they asked."""
        lang = payload.get("l")
        return lang if isinstance(lang, str) and lang in self.flows.enabled_languages else "en"

    def body(self, event: flow.Event, lang: str) -> str:
        """The reminder of one event, in one language."""
        timed = isinstance(event.start, datetime)
        say = Say.of("system:reminder" if timed else "system:reminder_day", title=MessageRef(event.title),
                     when=event.start, where=event.place or event.link)
        return for_sms(lang, self.translator.render(lang, say))


# ---------------------------------------------------------------- the job RQ runs

_installed: Delivery | None = None


def install(delivery: Delivery | None) -> None:
    """Set what reminder jobs in this process send with (worker.py at start; tests with their own)."""
    global _installed
    _installed = delivery


def _current() -> Delivery:
    global _installed
    if _installed is None:
        settings = config.load()
        if not settings.redis_url:
            raise config.ConfigError("Reminder jobs run in worker.py, which sets up its Redis first.")
        _installed = Delivery.build(settings, store.connect(settings.redis_url, None))
    return _installed


def send_reminder(payload: dict) -> None:
    """The RQ job for a reminder. It returns nothing: a result would only be something more to keep."""
    _current().run(payload, "reminder")


def send_text(payload: dict) -> None:
    """The RQ job for a text a caller asked for."""
    _current().run(payload, "text")


def delete_media(payload: dict) -> None:
    """The RQ job that deletes the pictures a person sent from Twilio. Twilio busy or unreachable: retried by RQ;
    already gone (404): done; anything else: recorded."""
    _current().delete_media(payload)
