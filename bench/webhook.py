"""Webhook throughput and latency: the real app, and the two ceilings, under gunicorn with the Procfile's
settings, loaded by wrk with signed requests from many senders walking real conversations."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from bot.config import ROOT

# A conversation mixes menu digits, command words and misspelt text that fuzzy matching must place.
SCRIPT = ["hi", "1", "1", "more", "back", "2", "hospitl", "safe places", "0", "4", "ayuda", "idioma", "1",
          "3", "derechoz", "menu", "6", "1", "zzz", "0"]
# A call walks by keypad: each step is a position (the signed Gather action) and the key pressed there.
CALL = [("/voice", ""), ("/voice?s=language", "2"), ("/voice?s=node&n=main:menu&l=es", "1"),
        ("/voice?s=node&n=rights:menu&l=es&h=main:menu", "1"),
        ("/voice?s=node&n=rights:door&l=es&h=main:menu,rights:menu", "*"),
        ("/voice?s=node&n=rights:door&l=es&h=main:menu,rights:menu", "9"),
        ("/voice?s=node&n=rights:menu&l=es&h=main:menu", "0"), ("/voice?s=node&n=main:menu&l=es", "2"),
        ("/voice?s=node&n=safe:menu&l=es&h=main:menu", "5"), ("/voice?s=node&n=main:menu&l=es&q=1", "")]
LUA = """
local requests = {}
local position = 0
function setup(thread)
  thread:set("id", setup_count or 0)
  setup_count = (setup_count or 0) + 1
end
function init(args)
  for line in io.lines(args[1]) do
    local path, body, signature = line:match("([^\\t]*)\\t([^\\t]*)\\t([^\\t]*)")
    table.insert(requests, {path, body, signature})
  end
  position = (tonumber(id) or 0) * math.floor(#requests / 4)
end
function request()
  position = position % #requests + 1
  local r = requests[position]
  return wrk.format("POST", r[1], {["Content-Type"] = "application/x-www-form-urlencoded",
                                    ["X-Twilio-Signature"] = r[3]}, r[2])
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sms_requests(token: str, url: str, senders: int, run: int = 0) -> list[tuple[str, str, str]]:
    """Signed texts: every sender's conversation in order, the senders interleaved step by step. Each text has its
    own MessageSid, new in every run (`run`): the line answers a MessageSid it has seen as a replay."""
    validator = RequestValidator(token)
    rows = []
    for position, step in enumerate(SCRIPT):
        for index in range(senders):
            sid = f"SM{run:08d}{position:04d}{index:020d}"
            form = {"From": f"+1505{index:07d}", "To": "+15055550000", "Body": step, "MessageSid": sid}
            rows.append(("/sms", urlencode(form), validator.compute_signature(url + "/sms", form)))
    return rows


def voice_requests(token: str, url: str, callers: int, run: int = 0) -> list[tuple[str, str, str]]:
    validator = RequestValidator(token)
    rows = []
    for path, digits in CALL:
        for index in range(callers):
            form = {"From": f"+1505{index:07d}", "CallSid": f"CA{run:08d}{index:024d}"}
            if digits:
                form["Digits"] = digits
            rows.append((path, urlencode(form), validator.compute_signature(url + path, form)))
    return rows


class Gunicorn:
    """One app under gunicorn, as the Procfile runs it (gunicorn.conf.py), on a free loopback port."""

    def __init__(self, target: str, env: dict, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "--bind",
             f"127.0.0.1:{self.port}", target], cwd=ROOT, env={**os.environ, **env}, stdout=self.log,
            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/nothing-here", timeout=1)
            except urllib.error.HTTPError:
                return  # it answers (404): up
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not start for {target}; see {log}")

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in out.split()]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _millis(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def wrk(url: str, requests_file: Path, script: Path, connections: int, seconds: float) -> dict:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "--latency", "-s", str(script), url,
                          "--", str(requests_file)], capture_output=True, text=True, check=False).stdout
    latency = dict(re.findall(r"^\s+(50|99)(?:\.0+)?%\s+(\S+)$", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)$", out, re.M)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50_ms": _millis(latency["50"]), "p99_ms": _millis(latency["99"]),
            "non_2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1).strip() if socket_errors else ""}


def median_of(rounds: list[dict]) -> dict:
    return {key: statistics.median(r[key] for r in rounds) for key in ("rps", "p50_ms", "p99_ms")} | {
        "non_2xx": sum(r["non_2xx"] for r in rounds), "rounds": len(rounds)}


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    print("wrk is not installed; trying `apt-get install -y wrk` (Debian's package)...", flush=True)
    if shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, capture_output=True)
    if not shutil.which("wrk"):
        raise SystemExit("The webhook benchmark needs wrk: install it (Debian/Ubuntu: apt-get install wrk).")


def run(work: Path, redis_url: str, rounds: int, seconds: float, connections: tuple[int, ...]) -> dict:
    """Every app, at each concurrency, round after round: medians of `rounds` runs of `seconds`.

    The apps take turns within each round (bare, minimal, /sms, /voice, then again), so that all of them share
    whatever else this machine is doing at that moment; each ratio is the median of the ratios within a round.
    On a shared virtual machine the load of the neighbours moves from minute to minute: measured one app after
    the other, the same code read from 43% to 69% of the minimal webhook within one run."""
    ensure_wrk()
    token, secret = "bench-auth-token-0123456789abcdef", "bench-secret-0123456789abcdef0123456789"
    # 500 senders at a thousand texts a second each text several a second: the allowance is still checked and
    # charged on every text, but set where it never trips, or the bench would measure the "please wait" path.
    env = {"RIGHTSLINE_ENV": "production", "RIGHTSLINE_SECRET": secret, "TWILIO_AUTH_TOKEN": token,
           "REDIS_URL": redis_url, "RIGHTSLINE_INSTANCE": str(work / "instance"),
           "RIGHTSLINE_SENDER_BURST": "1000000", "RIGHTSLINE_SENDER_PER_MINUTE": "1000000"}
    script = work / "post.lua"
    script.write_text(LUA)
    targets = [("sms", BARE, "bench.apps:bare", sms_requests),
               ("sms", MINIMAL, "bench.apps:minimal", sms_requests),
               ("sms", "Rights Line /sms", "app:app", sms_requests),
               ("voice", "Rights Line /voice", "app:app", voice_requests)]
    servers = {target: Gunicorn(target, env, work / "gunicorn.log") for target in dict.fromkeys(t[2] for t in targets)}
    runs: dict[str, list[dict]] = {}
    try:
        run = 0
        for _ in range(rounds):
            for count in connections:
                for channel, name, target, make in targets:
                    run += 1  # each run its own MessageSids and CallSids, as Twilio's would be
                    requests_file = work / f"{name.split()[0]}-{channel}.tsv"
                    rows = make(token, servers[target].url, 500, run)
                    requests_file.write_text("\n".join("\t".join(row) for row in rows) + "\n")
                    runs.setdefault(f"{name} @{count}", []).append(
                        wrk(servers[target].url, requests_file, script, count, seconds))
    finally:
        for server in servers.values():
            server.stop()
    results = {}
    for key, measured in runs.items():
        count = key.rsplit("@", 1)[1]
        results[key] = median_of(measured) | {
            "vs_minimal": _paired(measured, runs[f"{MINIMAL} @{count}"]),
            "vs_bare": _paired(measured, runs[f"{BARE} @{count}"])}
        print(f"  {key}: {results[key]['rps']:.0f} req/s, {results[key]['vs_minimal']:.0%} of minimal", flush=True)
    return results


BARE, MINIMAL = "bare Flask (constant TwiML)", "minimal correct webhook"


def _paired(runs: list[dict], ceilings: list[dict]) -> float:
    """The median of one app's requests a second over the ceiling's, round by round."""
    return statistics.median(run["rps"] / ceiling["rps"] for run, ceiling in zip(runs, ceilings, strict=True))
