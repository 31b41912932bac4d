"""For the notification tests: a local chat-service receiver that checks what each vendor
checks, a real local SMTP server (aiosmtpd), a clock that tests move, and channels.

The receiver (a small threaded http.server) plays all five services at once, by path:
- /wecom/cgi-bin/webhook/send?key=K             WeCom: the key; markdown.content at most
                                                4096 bytes (text.content 2048).
- /dingtalk/robot/send?access_token=T&timestamp=&sign=
                                                DingTalk: the token; the timestamp (ms)
                                                within an hour; the signature recomputed
                                                with DingTalk's published algorithm.
- /feishu/open-apis/bot/v2/hook/T               Feishu: the token; the body at most 20 KB;
                                                timestamp (s) and sign in the body, the
                                                signature recomputed with Feishu's.
- /slack/services/T/B/X                         Slack: text or blocks, a section's text at
                                                most 3000 characters; answers "ok".
- /teams/workflows/T                            Teams: a message with an Adaptive Card,
                                                at most 28 KB; answers 202.
It answers as the vendor does when a check fails (an errcode, a code, or 4xx), records
every request (accepted or not), and can be told to answer 500 a number of times first.
The verification is written here from the vendors' documents, independently of
perfsite/notify/vendors.py.
"""

from __future__ import annotations

import base64
import email
import hashlib
import hmac
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote_plus, urlsplit

import pytest

WECOM_KEY = "693a91f6-7aaa-4bc4-97a0-0ec2sifa5aaa"
DINGTALK_TOKEN = "98975521a1b23c02cdd1a9a08c69511ddf5fa9d2ae38"
DINGTALK_SECRET = "SEC19dd84be8c7f3cf71761974f1ed3ef77c1451906ae8ba18acf56103ee"
FEISHU_TOKEN = "5e3d587e-d78e-4a07-bd07-265f269f86fd"
FEISHU_SECRET = "nIMtb7r3N9pkXyXdtAbx6e"
SLACK_PATH = "/slack/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
TEAMS_PATH = "/teams/workflows/7f0a1b2c/triggers/manual/paths/invoke"


@dataclass
class Received:
    vendor: str
    path: str
    query: dict
    raw_query: str
    body: dict | None
    raw: bytes
    accepted: bool
    reason: str = ""


@dataclass
class Receiver:
    """A stand-in for the five chat services, on 127.0.0.1."""

    received: list[Received] = field(default_factory=list)
    fail_next: int = 0  # answer 500 this many times first
    latency: float = 0.0  # seconds each answer takes (a network's latency)
    port: int = 0
    server: ThreadingHTTPServer | None = None
    thread: threading.Thread | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    # Addresses HR pastes ----------------------------------------------------------------
    def url(self, vendor: str) -> str:
        base = f"http://127.0.0.1:{self.port}"
        return {
            "wecom": f"{base}/wecom/cgi-bin/webhook/send?key={WECOM_KEY}",
            "dingtalk": f"{base}/dingtalk/robot/send?access_token={DINGTALK_TOKEN}",
            "feishu": f"{base}/feishu/open-apis/bot/v2/hook/{FEISHU_TOKEN}",
            "slack": base + SLACK_PATH,
            "teams": base + TEAMS_PATH,
        }[vendor]

    def accepted(self, vendor: str | None = None) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.accepted and vendor in (None, r.vendor)]

    def refused(self) -> list[Received]:
        with self.lock:
            return [r for r in self.received if not r.accepted]

    # Serving ------------------------------------------------------------------------------
    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                status, answer, record = receiver.answer(self.path, raw)
                if receiver.latency:
                    time.sleep(receiver.latency)
                with receiver.lock:
                    receiver.received.append(record)
                data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain" if isinstance(answer, bytes)
                                 else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(timeout=5)
            self.server = None

    # The vendors' checks ------------------------------------------------------------------
    def answer(self, path: str, raw: bytes):
        parts = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        vendor = parts.path.split("/")[1]
        try:
            body = json.loads(raw.decode())
        except ValueError:
            body = None
        record = Received(vendor, parts.path, query, parts.query, body, raw, False)
        with self.lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                record.reason = "500 on purpose"
                return 500, b"Internal Server Error", record
        check = getattr(self, f"_{vendor}", None)
        if check is None:
            record.reason = "no such service"
            return 404, b"not found", record
        status, answer, reason = check(parts, query, body, raw)
        record.accepted, record.reason = reason is None, reason or ""
        return status, answer, record

    def _wecom(self, parts, query, body, raw):
        if query.get("key") != WECOM_KEY:
            return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}, "key"
        if not body or body.get("msgtype") not in ("text", "markdown"):
            return 200, {"errcode": 40008, "errmsg": "invalid message type"}, "msgtype"
        kind = body["msgtype"]
        content = (body.get(kind) or {}).get("content", "")
        limit = 4096 if kind == "markdown" else 2048
        if not content or len(content.encode()) > limit:
            return 200, {"errcode": 40058, "errmsg": f"content exceed max length {limit}"}, \
                "size"
        return 200, {"errcode": 0, "errmsg": "ok"}, None

    def _dingtalk(self, parts, query, body, raw):
        if query.get("access_token") != DINGTALK_TOKEN:
            return 200, {"errcode": 300001, "errmsg": "token is not exist"}, "token"
        timestamp = query.get("timestamp", "")
        now_ms = time.time() * 1000
        if not timestamp.isdigit() or abs(now_ms - int(timestamp)) > 3600_000:
            return 200, {"errcode": 310000, "errmsg": "invalid timestamp"}, "timestamp"
        # DingTalk: HmacSHA256(secret, timestamp + "\n" + secret), Base64, then urlEncode.
        string_to_sign = f"{timestamp}\n{DINGTALK_SECRET}".encode()
        expected = quote_plus(base64.b64encode(
            hmac.new(DINGTALK_SECRET.encode(), string_to_sign, hashlib.sha256).digest()))
        sent = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p).get("sign")
        if sent != expected:
            return 200, {"errcode": 310000, "errmsg": "sign not match"}, "sign"
        if len(raw) > 20_000:
            return 200, {"errcode": 460101, "errmsg": "message too large"}, "size"
        markdown = (body or {}).get("markdown") or {}
        if body.get("msgtype") != "markdown" or not markdown.get("title") \
                or not markdown.get("text"):
            return 200, {"errcode": 40035, "errmsg": "missing markdown title or text"}, "body"
        return 200, {"errcode": 0, "errmsg": "ok"}, None

    def _feishu(self, parts, query, body, raw):
        if parts.path.rsplit("/", 1)[-1] != FEISHU_TOKEN:
            return 200, {"code": 19001, "msg": "param invalid: incoming webhook access "
                                               "token invalid", "data": {}}, "token"
        if len(raw) > 20 * 1024:
            return 200, {"code": 9499, "msg": "Bad Request", "data": {}}, "size"
        timestamp = str((body or {}).get("timestamp", ""))
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 3600:
            return 200, {"code": 19021, "msg": "sign match fail or timestamp is not within "
                                               "one hour from current time"}, "timestamp"
        # Feishu: HmacSHA256 keyed with timestamp + "\n" + secret over nothing, Base64.
        key = f"{timestamp}\n{FEISHU_SECRET}".encode()
        expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
        if body.get("sign") != expected:
            return 200, {"code": 19021, "msg": "sign match fail or timestamp is not within "
                                               "one hour from current time"}, "sign"
        post = ((body.get("content") or {}).get("post") or {})
        if body.get("msg_type") != "post" or not post or not all(
                isinstance(v.get("content"), list) and v.get("title") for v in post.values()):
            return 200, {"code": 9499, "msg": "Bad Request", "data": {}}, "body"
        return 200, {"code": 0, "msg": "success", "data": {}}, None

    def _slack(self, parts, query, body, raw):
        if parts.path != SLACK_PATH:
            return 404, b"no_service", "path"
        if not body or not (body.get("text") or body.get("blocks")):
            return 400, b"invalid_payload", "body"
        for block in body.get("blocks") or []:
            if block.get("type") == "section" and len(block["text"]["text"]) > 3000:
                return 400, b"invalid_blocks", "size"
        return 200, b"ok", None

    def _teams(self, parts, query, body, raw):
        if parts.path != TEAMS_PATH:
            return 404, {"error": {"code": "TriggerNotFound"}}, "path"
        if len(raw) > 28 * 1024:
            return 413, {"error": {"code": "MessageTooLarge"}}, "size"
        attachments = (body or {}).get("attachments") or []
        if body.get("type") != "message" or not attachments or attachments[0].get(
                "contentType") != "application/vnd.microsoft.card.adaptive" \
                or attachments[0].get("content", {}).get("type") != "AdaptiveCard":
            return 400, {"error": {"code": "InvalidRequestContent"}}, "body"
        return 202, b"", None


@pytest.fixture
def receiver():
    running = Receiver().start()
    yield running
    running.stop()


def text_of(record: Received) -> str:
    """Everything a group saw in one message, as one string."""
    return json.dumps(record.body, ensure_ascii=False)


class Clock:
    """A clock tests move: `clock()` is now; `clock.advance(seconds=…)`."""

    def __init__(self, start: datetime | None = None):
        self.now = start or datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


# A real SMTP server ---------------------------------------------------------------------------

class _Inbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(app, monkeypatch):
    """aiosmtpd on 127.0.0.1, and the app configured to send to it; `.messages`."""
    from aiosmtpd.controller import Controller

    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    for key, value in {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": controller.port,
                       "MAIL_BACKEND": "smtp", "MAIL_USE_TLS": False, "MAIL_USERNAME": "",
                       "MAIL_FROM": "perfsite@example.com",
                       "SITE_URL": "https://perf.example.com"}.items():
        monkeypatch.setitem(app.config, key, value)
    yield inbox
    controller.stop()


def add_channel(receiver: Receiver, kind: str, actor, *, department_id=None, locale="en",
                name=None):
    """A channel pointed at the receiver, through the service."""
    from perfsite.notify import channels

    secret = {"dingtalk": DINGTALK_SECRET, "feishu": FEISHU_SECRET}.get(kind)
    return channels.create_channel(actor, kind=kind, name=name or f"{kind} group",
                                   department_id=department_id, locale=locale,
                                   url=receiver.url(kind), secret=secret)
