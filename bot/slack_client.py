"""The Slack Web API client every part of the app shares.

Retries live here, not in listeners: a dropped connection or a 500/503 is
tried again, and a 429 is waited out for its ``Retry-After`` seconds, with the
handlers of ``training.slack.client`` (the training report's client uses the
same ones), the wait shared by every thread calling the method.

Connections are kept open (``KeepAliveWebClient``): slack_sdk's WebClient
opens a new connection, and against slack.com a new TLS handshake, for every
call, and a burst of tags is hundreds of calls.
"""

from __future__ import annotations

import http.client
import io
import logging
import select
import socket
import threading
import time
import weakref
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import Request

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from training.config import SlackSettings
from training.errors import ConfigError
from training.slack.client import PacedRateLimitRetryHandler, pace, web_client

__all__ = [
    "TOKEN_ERRORS",
    "KeepAliveWebClient",
    "PacedRateLimitRetryHandler",
    "check_token",
    "make_client",
    "pace",
]

log = logging.getLogger(__name__)

# Slack's answers about the token itself, whatever the method (slack-api-specs).
TOKEN_ERRORS = {"not_authed", "invalid_auth", "account_inactive", "token_revoked", "token_expired"}
# The start-up token check: waits between tries while Slack cannot be reached.
CHECK_FIRST_WAIT = 1.0
CHECK_MAX_WAIT = 30.0


class KeepAliveWebClient(WebClient):
    """A WebClient that keeps its connections to Slack open between calls.

    Only the transport differs: each thread keeps one connection per host and
    sends the request slack_sdk built through it, with the same standard
    library (``http.client``) and the same errors that ``urllib.request``,
    which WebClient uses, would raise: ``HTTPError`` for 4xx/5xx (so a 429 goes
    to the rate-limit handler), ``URLError`` when no connection can be made,
    ``RemoteDisconnected`` or ``ConnectionResetError`` when one breaks. So
    slack_sdk's retry handlers, and ours, work unchanged. With a proxy it
    falls back to WebClient's own transport.

    It carries the volume: the tagger's reactions, and anything using the app's
    client. Bolt builds a plain WebClient for each request's listeners (sharing
    our retry handlers), a call or two per request.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._connections = threading.local()

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        if self.proxy or req.type not in ("http", "https"):
            return super()._perform_urllib_http_request_internal(url, req)
        connection = self._connection(req.type, req.host)
        try:
            connection.request(
                "POST", req.selector, body=req.data, headers=dict(req.header_items())
            )
        except OSError as error:  # as urllib: nothing was answered, so it may be sent again
            connection.close()
            raise URLError(error) from error
        try:
            response = connection.getresponse()
            body = response.read()
        except BaseException:
            connection.close()
            raise
        if response.status >= 400:
            raise HTTPError(url, response.status, response.reason, response.msg, io.BytesIO(body))
        if response.msg.get_content_type() != "application/gzip":  # admin.analytics.getFile
            body = body.decode(response.msg.get_content_charset() or "utf-8")
        return {"status": response.status, "headers": response.msg, "body": body}

    def _connection(self, scheme: str, host: str) -> http.client.HTTPConnection:
        """This thread's connection to ``host``, closed first when the server has
        closed it (Slack closes idle connections); http.client reopens it on use."""
        by_host: dict[tuple[str, str], http.client.HTTPConnection] = vars(
            self._connections
        ).setdefault("by_host", {})
        connection = by_host.get((scheme, host))
        if connection is None:
            if scheme == "https":
                connection = http.client.HTTPSConnection(
                    host, timeout=self.timeout, context=self.ssl
                )
            else:
                connection = http.client.HTTPConnection(host, timeout=self.timeout)
            by_host[(scheme, host)] = connection
            # Closed when its thread is gone (or at exit), not left to the collector.
            weakref.finalize(threading.current_thread(), connection.close)
        elif connection.sock is not None and _readable(connection.sock):
            # Readable before we asked anything: the server's end of file.
            connection.close()
        return connection


def _readable(sock: socket.socket) -> bool:
    if hasattr(select, "poll"):  # any descriptor number, unlike select()
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([sock], [], [], 0)[0])


def make_client(slack: SlackSettings, *, timeout: int = 10) -> WebClient:
    """A WebClient on ``slack.api_url`` with connection, rate-limit and server-error retries,
    keeping its connections open."""
    return web_client(slack, timeout=timeout, client_class=KeepAliveWebClient)


def check_token(
    slack: SlackSettings,
    *,
    give_up_after: float | None,
    sleep: Any = time.sleep,
    clock: Any = time.monotonic,
) -> bool:
    """Ask Slack (``auth.test``) whether SLACK_BOT_TOKEN works, once at start.

    A token Slack refuses raises ConfigError naming the variable: every request
    would fail, and ``/healthz`` would say all is well. While Slack cannot be
    reached (no connection, a 5xx, a 429) it is asked again, waiting 1, 2, 4 ...
    up to 30 seconds, with one warning a try and no traceback. False when it is
    still unreachable after ``give_up_after`` seconds (None: never give up).
    """
    client = WebClient(token=slack.bot_token, base_url=slack.api_url, timeout=10, retry_handlers=[])
    started, wait = clock(), CHECK_FIRST_WAIT
    while True:
        try:
            client.auth_test()
            return True
        except SlackApiError as error:
            status = error.response.status_code
            code = error.response.get("error") if isinstance(error.response.data, dict) else None
            if status < 500 and status != 429:
                raise ConfigError(_refused_token_message(code or f"HTTP {status}")) from None
            problem = f"HTTP {status}" + (f" {code}" if code else "")
        except (OSError, http.client.HTTPException, ValueError) as error:
            # URLError is an OSError; ValueError: a body that is not JSON (a proxy's page).
            problem = (
                " ".join(str(getattr(error, "reason", None) or error).split())
                or type(error).__name__
            )
        if give_up_after is not None and clock() - started + wait > give_up_after:
            log.warning(
                "Slack is unreachable at %s (%s): SLACK_BOT_TOKEN not checked",
                slack.api_url,
                problem,
            )
            return False
        log.warning(
            "Slack is unreachable at %s (%s): checking SLACK_BOT_TOKEN again in %.0f s",
            slack.api_url,
            problem,
            wait,
        )
        sleep(wait)
        wait = min(wait * 2, CHECK_MAX_WAIT)


def _refused_token_message(code: str) -> str:
    if code in TOKEN_ERRORS:
        return (
            f"Slack refused SLACK_BOT_TOKEN ({code}): set it to the app's Bot User OAuth Token "
            "(OAuth & Permissions, xoxb-...), reinstalling the app if it was revoked."
        )
    return (
        f"Slack's auth.test refused SLACK_BOT_TOKEN ({code}): "
        "check SLACK_BOT_TOKEN and SLACK_API_URL."
    )
