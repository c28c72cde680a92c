"""Memory and keys: a web worker's resident memory as requests pile up (it must stay flat), and the Redis
keys and bytes each active conversation costs."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from bench import webhook
from bot import store

CHUNK_SECONDS = 5


def _rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024


def _load(url: str, requests_file: Path, script: Path, seconds: int) -> int:
    out = subprocess.run(["wrk", "-t2", "-c8", f"-d{seconds}s", "-s", str(script), url, "--", str(requests_file)],
                         capture_output=True, text=True, check=False).stdout
    return int(re.search(r"(\d+) requests in", out).group(1))


def run(work: Path, redis_url: str, requests: int) -> dict:
    webhook.ensure_wrk()
    token, secret = "bench-auth-token-0123456789abcdef", "bench-secret-0123456789abcdef0123456789"
    env = {"RIGHTSLINE_ENV": "production", "RIGHTSLINE_SECRET": secret, "TWILIO_AUTH_TOKEN": token,
           "REDIS_URL": redis_url, "RIGHTSLINE_INSTANCE": str(work / "instance"), "WEB_CONCURRENCY": "1",
           "RIGHTSLINE_SENDER_BURST": "1000000", "RIGHTSLINE_SENDER_PER_MINUTE": "1000000"}  # see webhook.run
    script = work / "post.lua"
    script.write_text(webhook.LUA)
    senders = 2_000
    server = webhook.Gunicorn("app:app", env, work / "gunicorn-memory.log")
    try:
        requests_file = work / "memory-sms.tsv"

        def texts(run: int) -> Path:  # new MessageSids each time: a MessageSid seen before is a replay
            rows = webhook.sms_requests(token, server.url, senders, run)
            requests_file.write_text("\n".join("\t".join(row) for row in rows) + "\n")
            return requests_file

        (pid,) = server.worker_pids()
        _load(server.url, texts(0), script, 2)  # warm: imports, first sessions, caches
        samples = [(0, _rss_mib(pid))]
        done = 0
        while done < requests:
            done += _load(server.url, texts(len(samples)), script, CHUNK_SECONDS)
            samples.append((done, _rss_mib(pid)))
        client = store.connect(redis_url, 5.0)
        sessions = list(client.scan_iter("rl:s:*"))
        session_bytes = sum(client.memory_usage(key) or 0 for key in sessions)
        allowances = list(client.scan_iter("rl:a:*"))
        allowance_bytes = sum(client.memory_usage(key) or 0 for key in allowances)
        other = [key for key in client.scan_iter("*") if not key.startswith((b"rl:s:", b"rl:a:", b"rl:c:"))]
    finally:
        server.stop()
    first, last = samples[0][1], samples[-1][1]
    per_10k = (last - first) / max(1, samples[-1][0]) * 10_000
    result = {"requests": samples[-1][0], "rss_mib": samples, "growth_mib_per_10k": per_10k,
              "conversations": len(sessions), "bytes_per_conversation": session_bytes / max(1, len(sessions)),
              "bytes_per_allowance": allowance_bytes / max(1, len(allowances)),
              "other_keys": len(other)}
    result["lines"] = [
        f"Memory: one gunicorn worker, {samples[-1][0]:,} signed /sms requests from {senders:,} senders",
        f"  resident memory {first:.1f} MiB after warm-up, {last:.1f} MiB at the end "
        f"({per_10k:+.2f} MiB per 10,000 requests)",
        f"  Redis per active conversation: its session (rl:s:<hmac>), {result['bytes_per_conversation']:.0f} bytes, "
        f"and its allowance of replies (rl:a:<hmac>, gone once full again), {result['bytes_per_allowance']:.0f} "
        f"bytes; per-day counts are one shared hash; {len(other)} other keys left (locks are released)"]
    return result
