"""A local stand-in for Twilio's Messages API, the only part of the outside world the tests replace.
It speaks POST /2010-04-01/Accounts/{sid}/Messages.json and DELETE .../Messages/{MM}/Media/{ME}.json as Twilio
does, and records what it received and what it was asked to delete."""

from __future__ import annotations

import base64
import json
import re
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

ERROR_MESSAGES = {
    20429: "Too Many Requests",
    20500: "An internal server error has occurred",
    21211: "The 'To' number is not a valid phone number.",
    21408: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
}


@dataclass(frozen=True)
class Received:
    to: str
    sender: str  # From, or the MessagingServiceSid
    body: str
    at: float  # time.monotonic() when it arrived


class MessagesAPI:
    """Start with `with MessagesAPI(sid, token) as api:`; point TWILIO_API_URL at `api.url`.

    `api.answer(429, 20429)` makes the next request fail that way (queue several for several; with
    `to=` only the next ones to that number);
    `api.hold_from(n)` keeps the n-th message (1-based) and every later one waiting for an answer
    until `api.release()`, as a Twilio that stopped answering would."""

    def __init__(self, account_sid: str, auth_token: str, delay: float = 0.0):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.delay = delay
        self.received: list[Received] = []
        self.refused: list[tuple[int, int]] = []  # (status, code) of each error answered
        self.deleted_media: list[tuple[str, str]] = []  # (message SID, media SID) of each picture deleted
        self._answers: list[tuple[str | None, int, int]] = []
        self._hold_from: int | None = None
        self._released = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        # A client that hangs up on a held request (a worker killed mid-send) is no error of ours.
        self._server.handle_error = lambda request, address: None
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        # A short poll: shutdown() waits for serve_forever to notice, 0.5 s by default, at every test's end.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    def __enter__(self) -> MessagesAPI:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()

    def answer(self, status: int, code: int, times: int = 1, to: str | None = None) -> None:
        with self._lock:
            self._answers.extend([(to, status, code)] * times)

    def _scripted(self, to: str) -> tuple[int, int] | None:
        for index, (only_to, status, code) in enumerate(self._answers):
            if only_to in (None, to):
                del self._answers[index]
                return status, code
        return None

    def hold_from(self, number: int) -> None:
        self._hold_from = number
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.received) >= count:
                return True
            time.sleep(0.01)
        return False

    def bodies_to(self, number: str) -> list[str]:
        return [message.body for message in self.received if message.to == number]

    # ------------------------------------------------------------ the HTTP side

    def _handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Twilio's API serves the SDK

            def setup(self) -> None:
                super().setup()
                # Headers and body go out as two writes; without this, Nagle's algorithm and the client's
                # delayed ACK hold the body back 40 ms, and the stand-in, not the sender, sets the pace.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args) -> None:  # the tests read what was received, not a log
                pass

            def _reply(self, status: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _error(self, status: int, code: int, message: str | None = None) -> None:
                self._reply(status, {"code": code, "message": message or ERROR_MESSAGES.get(code, "Error"),
                                     "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status})

            def do_GET(self) -> None:
                self._error(405, 20004, "Method not allowed")

            def do_DELETE(self) -> None:
                expected = "Basic " + base64.b64encode(f"{api.account_sid}:{api.auth_token}".encode()).decode()
                if self.headers.get("Authorization") != expected:
                    return self._error(401, 20003, "Authenticate")
                found = re.fullmatch(rf"/2010-04-01/Accounts/{api.account_sid}/Messages/(MM\w{{32}})/Media/(ME\w{{32}})"
                                     r"\.json", self.path)
                if not found:
                    return self._error(404, 20404, "The requested resource was not found")
                with api._lock:
                    if found.groups() in api.deleted_media:
                        return self._error(404, 20404, "The requested resource was not found")
                    api.deleted_media.append(found.groups())
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                expected = "Basic " + base64.b64encode(f"{api.account_sid}:{api.auth_token}".encode()).decode()
                if self.headers.get("Authorization") != expected:
                    return self._error(401, 20003, "Authenticate")
                if self.path != f"/2010-04-01/Accounts/{api.account_sid}/Messages.json":
                    return self._error(404, 20404, "The requested resource was not found")
                if not form.get("To") or not (form.get("From") or form.get("MessagingServiceSid")):
                    return self._error(400, 21604 if not form.get("To") else 21603,
                                       "A 'To' and a 'From' or 'MessagingServiceSid' are required")
                if not form.get("Body"):
                    return self._error(400, 21602, "Message body is required")
                if len(form["Body"]) > 1600:
                    return self._error(400, 21617, "The concatenated message body exceeds the 1600 character limit")
                with api._lock:
                    scripted = api._scripted(form["To"])
                    if scripted is None:
                        api.received.append(Received(form["To"], form.get("From") or form["MessagingServiceSid"],
                                                     form["Body"], time.monotonic()))
                        position = len(api.received)
                    else:
                        api.refused.append(scripted)
                if scripted is not None:
                    return self._error(*scripted)
                if api._hold_from is not None and position >= api._hold_from:
                    api._released.wait(30)
                if api.delay:
                    time.sleep(api.delay)
                self._reply(201, api.resource(form))

        return Handler

    def resource(self, form: dict) -> dict:
        sid = "SM" + secrets.token_hex(16)
        now = formatdate(usegmt=True).replace("GMT", "+0000")
        base = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}"
        return {"account_sid": self.account_sid, "api_version": "2010-04-01", "body": form["Body"],
                "date_created": now, "date_sent": None, "date_updated": now, "direction": "outbound-api",
                "error_code": None, "error_message": None, "from": form.get("From"),
                "messaging_service_sid": form.get("MessagingServiceSid"), "num_media": "0", "num_segments": "1",
                "price": None, "price_unit": None, "sid": sid, "status": "queued",
                "subresource_uris": {"media": f"{base}/Media.json"}, "to": form["To"], "uri": f"{base}.json"}
