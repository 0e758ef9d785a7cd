"""Webhook mode: Telegram POSTs updates to a small tornado server, which also serves /healthz.

PTB's own `run_webhook` serves exactly one route, so this follows PTB's custom-webhook pattern
instead: our server checks the secret token, stores each update in the durable inbox (so it is
never lost once Telegram has our 200), and puts the new ones on `application.update_queue`.

The secret token and the Content-Type are checked as soon as the headers are in, before a byte
of the body is read, and a body over 1 MB is refused unread (413), so a client without the
secret cannot make the bot buffer anything. Connection limits and timeouts: http_server.py.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
from typing import Any
from urllib.parse import urlsplit

import tornado.web
from telegram import Update

from bot.config import Settings
from bot.telegram.http_server import ConnectionLimits, GuardedHTTPServer, RateLimitedLog
from bot.telegram.inbox import Inbox

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
HEALTH_PATH = "/healthz"
DEFAULT_PATH = "/telegram"

AnyApplication = Any  # telegram.ext.Application with our context types


def webhook_path(url: str) -> str:
    """The path Telegram posts to: the path of WEBHOOK_URL, or /telegram when it has none."""
    path = urlsplit(url).path.rstrip("/")
    return path or DEFAULT_PATH


@tornado.web.stream_request_body
class _UpdateHandler(tornado.web.RequestHandler):
    def initialize(self, server: WebhookServer) -> None:
        self.server = server
        self._body = bytearray()
        self._wanted = False

    def prepare(self) -> None:
        """Runs once the headers are in, before the body is read (a streamed request body)."""
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.server.secret.encode()):
            raise tornado.web.HTTPError(403)  # a missing or wrong secret token
        if self.request.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            raise tornado.web.HTTPError(403)  # what PTB answers too
        length = self.request.headers.get("Content-Length")
        if length is not None and (not length.isdigit() or int(length) > self.server.limits.max_body_bytes):
            raise tornado.web.HTTPError(413)
        self._wanted = True

    def data_received(self, chunk: bytes) -> None:
        # Only once prepare() let the request in; tornado stops a chunked body at max_body_bytes.
        if self._wanted:
            self._body.extend(chunk)

    async def post(self) -> None:
        try:
            data = json.loads(self._body)
            if not isinstance(data, dict) or type(data.get("update_id")) is not int:
                raise ValueError("not an update")
            update = Update.de_json(data, self.server.application.bot)
        except (ValueError, TypeError, KeyError):
            logger.warning("webhook request with a malformed update refused", exc_info=True)
            raise tornado.web.HTTPError(400) from None
        if update is None:
            raise tornado.web.HTTPError(400)
        try:
            fresh = await self.server.inbox.record([update])
        except Exception:
            # Not stored, so not confirmed: Telegram retries the update later.
            logger.exception("cannot store an incoming update; Telegram will resend it")
            raise tornado.web.HTTPError(503) from None
        for new in fresh:
            await self.server.application.update_queue.put(new)
        self.set_status(200)

    def check_xsrf_cookie(self) -> None:  # Telegram sends no cookies; the secret token guards us
        return


class _HealthHandler(tornado.web.RequestHandler):
    def initialize(self, server: WebhookServer) -> None:
        self.server = server

    def get(self) -> None:
        healthy = self.server.application.running
        self.set_status(200 if healthy else 503)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"status": "ok" if healthy else "starting"}))


class WebhookServer:
    """The HTTP side of webhook mode: the update route and /healthz, on one port."""

    def __init__(
        self,
        application: AnyApplication,
        inbox: Inbox,
        *,
        url: str,
        path: str,
        secret: str,
        listen: str,
        port: int,
        limits: ConnectionLimits | None = None,
    ) -> None:
        self.application = application
        self.inbox = inbox
        self.url = url
        self.path = path
        self.secret = secret
        self.listen = listen
        self.port = port
        self.limits = limits or ConnectionLimits()
        self.refusals = RateLimitedLog(logger)
        self._server: GuardedHTTPServer | None = None
        # An UpdateSource (bot/telegram/inbox.py): the server does not end by itself.
        self.stopped = asyncio.Event()
        self.fatal: BaseException | None = None

    def start(self) -> None:
        routes = [
            (HEALTH_PATH, _HealthHandler, {"server": self}),
            (self.path, _UpdateHandler, {"server": self}),
        ]
        app = tornado.web.Application(routes, log_function=self._log_request)
        self._server = GuardedHTTPServer(app, self.limits, xheaders=True)
        self.port = self._server.listen(self.port, self.listen)  # the real port when 0 was asked for
        logger.info(
            "webhook server listening on %s:%d (path %s, health %s)",
            self.listen,
            self.port,
            self.path,
            HEALTH_PATH,
        )

    def _log_request(self, handler: tornado.web.RequestHandler) -> None:
        """tornado's access log, without a line per refused request (a flood would flood it)."""
        status = handler.get_status()
        if status >= 500:
            logger.error("webhook request failed with %d", status)
        elif status >= 400:
            self.refusals.warning(
                "webhook request refused with %d (403: missing or wrong secret token, or not JSON; "
                "413: body over %d bytes)",
                status,
                self.limits.max_body_bytes,
            )
        else:
            logger.debug("webhook request answered %d", status)

    async def register(self) -> None:
        """Requeue what the last run left unfinished, then tell Telegram where to post."""
        await self.inbox.replay(self.application)
        await self.application.bot.set_webhook(
            self.url,
            secret_token=self.secret,
            allowed_updates=Update.ALL_TYPES,
            drop_pending_updates=False,
        )
        logger.info("webhook registered with Telegram")

    async def stop(self) -> None:
        """Stop taking updates (the webhook stays set: Telegram keeps them until we are back)."""
        if self._server is not None:
            await self._server.stop()
            self._server = None
        self.stopped.set()


def webhook_server(
    application: AnyApplication,
    inbox: Inbox,
    settings: Settings,
    *,
    port: int | None = None,
    limits: ConnectionLimits | None = None,
) -> WebhookServer:
    """The server for WEBHOOK_URL, with WEBHOOK_SECRET (or a fresh random secret for this run)."""
    assert settings.webhook_url is not None
    secret = (
        settings.webhook_secret.get_secret_value() if settings.webhook_secret else secrets.token_urlsafe(32)
    )
    return WebhookServer(
        application,
        inbox,
        url=settings.webhook_url,
        path=webhook_path(settings.webhook_url),
        secret=secret,
        listen=settings.webhook_listen,
        port=settings.port if port is None else port,
        limits=limits,
    )
