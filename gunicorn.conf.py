"""gunicorn settings for the Procfile and `rightsline serve`.
The access log leaves out query strings, and Twilio posts numbers only in bodies, which are never logged."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
# sync workers: measured here, gthread workers sometimes let one process take every keep-alive
# connection while the other idles; sync workers never did.
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
timeout = 15
accesslog = "-"
# %(U)s is the path without the query string; no headers, no body, no referer.
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = "info"
