"""`rightsline chat`: a terminal phone. Every line goes through the real /sms webhook, signed.
It talks to a running app when there is one, else to an in-process app through Flask's test client."""

from __future__ import annotations

import secrets
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from xml.etree import ElementTree

import click
from twilio.request_validator import RequestValidator

from bot import config, segments


class _Webhook:
    """Signs and posts forms as Twilio would, to a running app or a Flask test client."""

    def __init__(self, auth_token: str, number: str, url: str | None = None, client=None):
        self.validator = RequestValidator(auth_token)
        self.number = number
        self.url = url
        self.client = client
        self.last_status = None
        self.last_xml = ""

    def post(self, path: str, form: dict) -> str:
        if self.client is not None:
            signature = self.validator.compute_signature(f"http://localhost{path}", form)
            response = self.client.post(path, data=form, headers={"X-Twilio-Signature": signature})
            self.last_status = response.status_code
            xml = response.get_data(as_text=True)
        else:
            url = f"{self.url}{path}"
            signature = self.validator.compute_signature(url, form)
            request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(),
                                             headers={"X-Twilio-Signature": signature})
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    self.last_status = response.status
                    xml = response.read().decode()
            except urllib.error.HTTPError as error:
                hint = (" The app checks signatures with its own TWILIO_AUTH_TOKEN: run chat with the same "
                        "RIGHTSLINE_INSTANCE (or token) as the app." if error.code == 403 else "")
                raise click.ClickException(f"The app at {self.url} answered {error.code}.{hint}") from None
        self.last_xml = xml
        return xml


class WebhookPhone(_Webhook):
    """A phone that texts: send() returns the reply as the screen shows it."""

    def send(self, body: str) -> str:
        # Each text its own MessageSid, as Twilio gives: the line answers a MessageSid it has seen as a replay.
        form = {"From": self.number, "To": "+15055550000", "Body": body, "MessageSid": "SM" + secrets.token_hex(16),
                "AccountSid": "AC" + "0" * 32, "NumMedia": "0"}
        self.last_form = form
        return message_text(self.post("/sms", form))

    def send_again(self) -> str:
        """The last text once more, exactly as signed before: what Twilio's retry, or a replay, looks like."""
        return message_text(self.post("/sms", self.last_form))


@dataclass
class Heard:
    """What one voice response does: what is said (voice, language, text), where keys go, what silence does."""

    said: list[tuple[str, str, str]] = field(default_factory=list)
    played: list[str] = field(default_factory=list)
    action: str | None = None  # the Gather's action: where keys and speech go
    on_silence: str | None = None  # the Redirect after the Gather
    hung_up: bool = False
    gather: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return " ".join(text for _voice, _lang, text in self.said)


def hear(xml: str) -> Heard:
    root = ElementTree.fromstring(xml)
    heard = Heard()
    for element in root.iter():
        if element.tag == "Say":
            heard.said.append((element.get("voice", ""), element.get("language", ""), "".join(element.itertext())))
        elif element.tag == "Play":
            heard.played.append(element.text or "")
        elif element.tag == "Gather":
            heard.action, heard.gather = element.get("action"), dict(element.attrib)
        elif element.tag == "Redirect":
            heard.on_silence = element.text
        elif element.tag == "Hangup":
            heard.hung_up = True
    return heard


class WebhookCaller(_Webhook):
    """A phone that calls: dial(), then press() keys, say() words, or stay silent(), as Twilio relays them."""

    CALL = {"CallSid": "CA" + "0" * 32, "AccountSid": "AC" + "0" * 32, "To": "+15055550000",
            "CallStatus": "in-progress", "Direction": "inbound"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.heard = Heard()
        self.CALL = {**self.CALL, "CallSid": "CA" + secrets.token_hex(16)}  # each call its own, as Twilio gives

    def _go(self, path: str, extra: dict) -> Heard:
        self.heard = hear(self.post(path, {**self.CALL, "From": self.number, **extra}))
        return self.heard

    def dial(self) -> Heard:
        return self._go("/voice", {})

    def press(self, keys: str) -> Heard:
        return self._go(self.heard.action or "/voice", {"Digits": keys})

    def say(self, words: str) -> Heard:
        return self._go(self.heard.action or "/voice", {"SpeechResult": words, "Confidence": "0.9"})

    def silent(self) -> Heard:
        return self._go(self.heard.on_silence or "/voice", {})


def message_text(xml: str) -> str:
    """The text of the reply's <Message> elements, as the phone shows them."""
    root = ElementTree.fromstring(xml)
    return "\n\n".join("".join(m.itertext()) for m in root.iter("Message"))


def _running(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=1):
            return True
    except (urllib.error.URLError, OSError):
        return False


def run(lang: str | None, url: str | None, number: str, by_voice: bool = False) -> None:
    settings = config.load({"env": "development"})
    target = url or "http://127.0.0.1:5000"
    kind = WebhookCaller if by_voice else WebhookPhone
    if url != "" and _running(target):  # --url "" forces the in-process app
        device = kind(settings.twilio_auth_token, number, url=target)
        click.echo(f"Talking to the app at {target}.")
    elif url:
        raise click.ClickException(f"No Rights Line app answers at {url}.")
    else:
        from bot.web import create_app

        app = create_app({"env": "development"})
        device = kind(settings.twilio_auth_token, number, client=app.test_client())
        click.echo("No app running on :5000, so this runs one in-process (same code, same signing).")
    if isinstance(device, WebhookCaller):
        _call(device, lang)
    else:
        _text(device, lang)


def _text(phone: WebhookPhone, lang: str | None) -> None:
    click.echo("Type a message; Ctrl-D to end.")
    first = {"es": "hola", "en": "hello"}.get(lang) if lang else None
    if first:
        _show(first, phone.send(first))
    while True:
        try:
            text = click.prompt("you", prompt_suffix="> ", default="", show_default=False)
        except (EOFError, click.Abort):
            click.echo()
            return
        _show(text, phone.send(text))


def _show(sent: str, reply: str) -> None:
    click.echo(click.style(f"[{segments.describe(reply)}]", dim=True))
    click.echo(reply)
    click.echo()


def _call(caller: WebhookCaller, lang: str | None) -> None:
    click.echo("Press keys (0-9, * and #) and Enter; an empty line is silence; words are speech. Ctrl-D hangs up.")
    _speak(caller.dial())
    if lang:
        keys = {o.language: o.key for o in _language_options()}
        if lang in keys:
            _speak(caller.press(keys[lang]))
    while not caller.heard.hung_up:
        try:
            entry = click.prompt("keys", prompt_suffix="> ", default="", show_default=False).strip()
        except (EOFError, click.Abort):
            click.echo()
            return
        if not entry:
            _speak(caller.silent())
        elif all(key in "0123456789*#" for key in entry):
            _speak(caller.press(entry))
        else:
            _speak(caller.say(entry))
    click.echo("(the line hung up)")


def _language_options():
    from bot import flow

    flows = flow.load(config.ROOT / "flows")
    return flows.nodes[flows.language_node].options


def _speak(heard: Heard) -> None:
    for voice, language, text in heard.said:
        click.echo(click.style(f"[{voice} {language}] ", dim=True) + text)
    for url in heard.played:
        click.echo(click.style("[plays] ", dim=True) + url)
    click.echo()
