"""The two ceilings the webhook is measured against, served by gunicorn with the Procfile's settings.
`bare`: Flask answering a constant reply. `minimal`: the least a correct webhook must do."""

from __future__ import annotations

import hashlib
import hmac
import os

import redis
from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

bare = Flask("bare")
CONSTANT = str(MessagingResponse().message("Rights Line"))


@bare.post("/sms")
def bare_sms():
    return Response(CONSTANT, mimetype="text/xml")


minimal = Flask("minimal")
_validator = RequestValidator(os.environ.get("TWILIO_AUTH_TOKEN", ""))
_secret = os.environ.get("RIGHTSLINE_SECRET", "bench-secret").encode()
_redis = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))


@minimal.post("/sms")
def minimal_sms():
    """Check the signature with the SDK, read and write one key with a TTL in one round trip, answer TwiML."""
    url = request.root_url.rstrip("/") + request.full_path.rstrip("?")
    if not _validator.validate(url, request.form.to_dict(flat=True), request.headers.get("X-Twilio-Signature", "")):
        abort(403)
    # Correct includes anonymous: the key is an HMAC of the number, as the bot's own sessions are.
    key = hmac.new(_secret, request.form.get("From", "").encode(), hashlib.sha256).hexdigest()
    previous = _redis.set(f"bench:{key}", "1", ex=3600, get=True)
    reply = MessagingResponse()
    reply.message("Rights Line" if previous is None else "Rights Line again")
    return Response(str(reply), mimetype="text/xml")
