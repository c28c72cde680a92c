"""Settings: every environment variable the bot reads, read once into one frozen object.
Production refuses to start without its secrets; development makes its own and keeps them under instance/."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What an operator must set before the web app or worker will serve real traffic.
REQUIRED_IN_PRODUCTION = ("RIGHTSLINE_SECRET", "TWILIO_AUTH_TOKEN", "REDIS_URL")


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message names it and says what to do."""


@dataclass(frozen=True)
class Settings:
    env: str = "production"
    secret: str = ""
    redis_url: str | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: str = ""
    twilio_from: str | None = None
    twilio_api_url: str | None = None
    public_url: str | None = None
    flows_dir: Path = ROOT / "flows"
    translations_dir: Path = ROOT / "translations"
    instance_dir: Path = ROOT / "instance"
    session_ttl: int = 3600
    sms_segment_budget: int = 3
    # Redis must answer fast or not at all: the webhook falls back to a stateless reply instead.
    redis_timeout: float = 0.3
    # Reminders: Fernet keys (newest first; a key derived from the secret is always tried last),
    # how late a reminder may still go out after downtime, the retry back-off, and Twilio's pace.
    reminder_keys: tuple[str, ...] = ()
    reminder_lateness: int = 30 * 60  # seconds
    retry_delays: tuple[int, ...] = (10, 30, 90, 270)  # seconds, each with jitter added
    twilio_mps: float | None = None  # message segments per second for all workers together; None: no pacing
    # Texts the line starts itself ("text me" on a call, reminders) cost the city and can be abused to text
    # strangers: at most this many per number a day, per call, and for the whole line a day (UTC days).
    texts_per_number_per_day: int = 3
    texts_per_call: int = 2
    daily_text_budget: int = 1000
    # Replies are paid messages too: one sender may text this many at once, then this many a minute.
    sender_burst: int = 10
    sender_per_minute: int = 20
    twilio_auth_token_secondary: str = ""  # during a rotation of the Auth Token, the other one, also accepted
    extra: dict = field(default_factory=dict)

    @property
    def development(self) -> bool:
        return self.env != "production"


def _dev_secrets(instance_dir: Path) -> dict:
    """Secrets for a laptop run, made once and kept so that `rightsline chat` can sign its requests."""
    path = instance_dir / "dev-secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    instance_dir.mkdir(parents=True, exist_ok=True)
    values = {"RIGHTSLINE_SECRET": secrets.token_hex(32), "TWILIO_AUTH_TOKEN": secrets.token_hex(16)}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(values, out)
    return values


def _number(name: str, text: str, kind):
    try:
        return kind(text.strip())
    except ValueError:
        noun = "a whole number" if kind is int else "a number"
        raise ConfigError(f"{name} must be {noun}, not {text!r}.") from None


def load(overrides: dict | None = None, environ: dict | None = None) -> Settings:
    """Build the settings from the environment, then apply overrides (tests and the CLI use them)."""
    env = dict(os.environ if environ is None else environ)
    overrides = dict(overrides or {})
    mode = overrides.pop("env", None) or env.get("RIGHTSLINE_ENV", "production")
    if mode not in ("production", "development", "test"):
        raise ConfigError(f"RIGHTSLINE_ENV must be production, development or test, not {mode!r}.")
    instance_dir = Path(overrides.get("instance_dir") or env.get("RIGHTSLINE_INSTANCE") or ROOT / "instance")

    values = {
        "env": mode,
        "secret": env.get("RIGHTSLINE_SECRET", ""),
        "redis_url": env.get("REDIS_URL") or None,
        "twilio_account_sid": env.get("TWILIO_ACCOUNT_SID") or None,
        "twilio_auth_token": env.get("TWILIO_AUTH_TOKEN", ""),
        "twilio_auth_token_secondary": env.get("TWILIO_AUTH_TOKEN_SECONDARY", ""),
        "twilio_from": env.get("TWILIO_FROM") or None,
        "twilio_api_url": env.get("TWILIO_API_URL") or None,
        "public_url": (env.get("PUBLIC_URL") or "").rstrip("/") or None,
        "instance_dir": instance_dir,
    }
    if env.get("RIGHTSLINE_FLOWS"):
        values["flows_dir"] = Path(env["RIGHTSLINE_FLOWS"])
    for name, key in (("RIGHTSLINE_SESSION_TTL", "session_ttl"), ("RIGHTSLINE_SMS_SEGMENTS", "sms_segment_budget"),
                      ("RIGHTSLINE_TEXTS_PER_NUMBER_PER_DAY", "texts_per_number_per_day"),
                      ("RIGHTSLINE_TEXTS_PER_CALL", "texts_per_call"),
                      ("RIGHTSLINE_DAILY_TEXT_BUDGET", "daily_text_budget"),
                      ("RIGHTSLINE_SENDER_BURST", "sender_burst"),
                      ("RIGHTSLINE_SENDER_PER_MINUTE", "sender_per_minute")):
        if env.get(name):
            values[key] = _number(name, env[name], int)
            if values[key] < 0:
                raise ConfigError(f"{name} must be 0 or more, not {env[name]!r}.")
    if env.get("RIGHTSLINE_REMINDER_LATENESS"):
        values["reminder_lateness"] = 60 * _number("RIGHTSLINE_REMINDER_LATENESS", env["RIGHTSLINE_REMINDER_LATENESS"],
                                                   int)
    if env.get("RIGHTSLINE_RETRY_DELAYS"):
        values["retry_delays"] = tuple(_number("RIGHTSLINE_RETRY_DELAYS", part, int)
                                       for part in env["RIGHTSLINE_RETRY_DELAYS"].split(","))
    if env.get("TWILIO_MPS"):
        values["twilio_mps"] = _number("TWILIO_MPS", env["TWILIO_MPS"], float)
        if values["twilio_mps"] <= 0:
            raise ConfigError("TWILIO_MPS must be above 0: it is how many segments a second Twilio accepts.")
    if env.get("RIGHTSLINE_REMINDER_KEYS"):
        values["reminder_keys"] = tuple(k.strip() for k in env["RIGHTSLINE_REMINDER_KEYS"].split(",") if k.strip())

    if mode == "development":
        dev = _dev_secrets(instance_dir)
        values["secret"] = values["secret"] or dev["RIGHTSLINE_SECRET"]
        values["twilio_auth_token"] = values["twilio_auth_token"] or dev["TWILIO_AUTH_TOKEN"]

    settings = replace(Settings(), **values)
    settings = replace(settings, **overrides)
    if mode == "production":
        missing = [name for name, value in zip(
            REQUIRED_IN_PRODUCTION, (settings.secret, settings.twilio_auth_token, settings.redis_url), strict=True
        ) if not value]
        if missing:
            raise ConfigError(
                "Rights Line cannot start in production without "
                + ", ".join(missing)
                + ". Set them in the environment, or set RIGHTSLINE_ENV=development to run on this machine "
                "with an embedded Redis and generated secrets."
            )
    if settings.sender_burst < 1 or settings.sender_per_minute < 1:
        raise ConfigError("RIGHTSLINE_SENDER_BURST and RIGHTSLINE_SENDER_PER_MINUTE must be 1 or more: at 0 the line "
                          "would answer nobody.")
    if len(settings.secret) < 16:
        raise ConfigError("RIGHTSLINE_SECRET must be at least 16 characters: it keys the hash of every number.")
    return settings
