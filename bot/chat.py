"""`rightsline chat`: a terminal phone. Every line goes through the real /sms webhook, signed.
It talks to a running app when there is one, else to an in-process app through Flask's test client."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from xml.etree import ElementTree

import click
from twilio.request_validator import RequestValidator

from bot import config, segments


class WebhookPhone:
    """Signs and sends texts as Twilio would, to a running app or a Flask test client."""

    def __init__(self, auth_token: str, number: str, url: str | None = None, client=None):
        self.validator = RequestValidator(auth_token)
        self.number = number
        self.url = url
        self.client = client
        self.last_status = None
        self.last_xml = ""

    def send(self, body: str) -> str:
        form = {"From": self.number, "To": "+15055550000", "Body": body, "MessageSid": "SM" + "0" * 32,
                "AccountSid": "AC" + "0" * 32, "NumMedia": "0"}
        if self.client is not None:
            url = "http://localhost/sms"
            signature = self.validator.compute_signature(url, form)
            response = self.client.post("/sms", data=form, headers={"X-Twilio-Signature": signature})
            self.last_status = response.status_code
            xml = response.get_data(as_text=True)
        else:
            url = f"{self.url}/sms"
            signature = self.validator.compute_signature(url, form)
            request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(),
                                             headers={"X-Twilio-Signature": signature})
            with urllib.request.urlopen(request, timeout=5) as response:
                self.last_status = response.status
                xml = response.read().decode()
        self.last_xml = xml
        return message_text(xml)


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


def run(lang: str | None, url: str | None, number: str) -> None:
    settings = config.load({"env": "development"})
    target = url or "http://127.0.0.1:5000"
    if url != "" and _running(target):  # --url "" forces the in-process app
        phone = WebhookPhone(settings.twilio_auth_token, number, url=target)
        click.echo(f"Talking to the app at {target}. Type a message; Ctrl-D to end.")
    elif url:
        raise click.ClickException(f"No Rights Line app answers at {url}.")
    else:
        from bot.web import create_app

        app = create_app({"env": "development"})
        phone = WebhookPhone(settings.twilio_auth_token, number, client=app.test_client())
        click.echo("No app running on :5000, so this chat runs one in-process (same code, same signing). "
                   "Type a message; Ctrl-D to end.")
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
