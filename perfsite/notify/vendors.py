"""The group robots of each chat service: the body each expects, how it is signed, what
it answers, and how much it takes.

Each vendor turns one vendor-neutral `GroupMessage` (a title, lines, one link) into the
HTTP request it expects, and reads its answer: `request(message, url, secret, now)` and
`check(status, body)`, which raises `DeliveryFailed` with what went wrong (never the
address or the secret: the error is shown on HR's delivery log).

What each service documents (README, "Chat channels", says where HR finds each field):
- WeCom (企业微信) group robot: the key is in the address (…/webhook/send?key=…); body
  {"msgtype": "markdown", "markdown": {"content": …}}, content at most 4096 bytes;
  answers {"errcode": 0, "errmsg": "ok"}; 20 messages a minute per robot.
- DingTalk (钉钉) custom robot, "加签" security: sign = Base64(HMAC-SHA256(key=secret,
  message=timestamp + "\\n" + secret)), timestamp in milliseconds (within an hour of
  DingTalk's clock), both added to the address's query as `timestamp` and `sign`
  (URL-encoded); body {"msgtype": "markdown", "markdown": {"title", "text"}}; answers
  {"errcode": 0, …} (310000: signature or keyword refused; 130101: more than 20 a minute).
- Feishu/Lark (飞书) custom bot, "签名校验": the key of the HMAC-SHA256 is
  timestamp + "\\n" + secret and the message is EMPTY; sign = Base64 of it, timestamp in
  seconds; both go in the JSON body beside {"msg_type": "post", "content": …}; the body at
  most 20 KB; answers {"code": 0, "msg": "success"} (19021: signature refused).
- Slack incoming webhook: {"text": …, "blocks": [section mrkdwn]}, a section's text at
  most 3000 characters; answers 200 "ok".
- Microsoft Teams, a Workflows webhook ("Post to a channel when a webhook request is
  received"): {"type": "message", "attachments": [one Adaptive Card]}, at most 28 KB;
  answers 202.

A message too long for the service keeps its title and link and as many lines as fit,
then says how many it left out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode, urlsplit

from flask_babel import lazy_gettext as _l

from ..models import ChannelKind


class DeliveryFailed(Exception):
    """A delivery that did not arrive; the message says why, for the delivery log."""


@dataclass(frozen=True)
class GroupMessage:
    title: str
    lines: list[str] = field(default_factory=list)
    link: str | None = None
    link_text: str = ""

    @classmethod
    def from_content(cls, title: str, content: dict) -> GroupMessage:
        return cls(title, list(content.get("lines") or []), content.get("link"),
                   content.get("link_text") or "")


@dataclass(frozen=True)
class HttpRequest:
    url: str
    body: bytes
    headers: dict


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature (before URL-encoding): HMAC-SHA256 keyed with the secret over
    timestamp + "\\n" + secret, in Base64."""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's signature: HMAC-SHA256 keyed with timestamp + "\\n" + secret over an empty
    message, in Base64."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def _json(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}


class Vendor:
    kind: ChannelKind
    label = ""
    # Whether the service signs with a secret HR pastes beside the address.
    signs = False
    # How many bytes the service takes (of what `_measure` measures).
    limit = 20_000

    def body(self, message: GroupMessage, secret: str | None, now: datetime) -> dict:
        raise NotImplementedError

    def _measure(self, body: dict) -> int:
        return len(_json(body))

    def address(self, url: str, secret: str | None, now: datetime) -> str:
        return url

    def request(self, message: GroupMessage, url: str, secret: str | None,
                now: datetime) -> HttpRequest:
        body = self._fitted(message, secret, now)
        return HttpRequest(self.address(url, secret, now), _json(body), dict(JSON_HEADERS))

    def _fitted(self, message: GroupMessage, secret, now) -> dict:
        """The body, with lines left out from the end until the service takes it."""
        lines = list(message.lines)
        kept = len(lines)
        while True:
            shown = lines[:kept] + ([f"… (+{len(lines) - kept})"] if kept < len(lines) else [])
            trimmed = GroupMessage(message.title[:150], shown, message.link, message.link_text)
            body = self.body(trimmed, secret, now)
            if self._measure(body) <= self.limit or kept == 0:
                return body
            kept -= 1

    def check(self, status: int, body: bytes) -> None:
        if not 200 <= status < 300:
            raise DeliveryFailed(f"HTTP {status}: {_snippet(body)}")


class _ErrcodeVendor(Vendor):
    """WeCom and DingTalk answer 200 with {"errcode": 0} when the message is taken."""

    def check(self, status: int, body: bytes) -> None:
        super().check(status, body)
        answer = _answer(body)
        code = answer.get("errcode")
        if code != 0:
            raise DeliveryFailed(f"errcode {code}: {answer.get('errmsg', '')}"[:300])


class WeCom(_ErrcodeVendor):
    kind = ChannelKind.WECOM
    label = _l("WeCom (企业微信) group robot")
    limit = 4096  # bytes of markdown.content

    def body(self, message, secret, now):
        parts = [f"**{message.title}**", *message.lines]
        if message.link:
            parts.append(f"[{message.link_text or message.link}]({message.link})")
        return {"msgtype": "markdown", "markdown": {"content": "\n".join(parts)}}

    def _measure(self, body):
        return len(body["markdown"]["content"].encode())


class DingTalk(_ErrcodeVendor):
    kind = ChannelKind.DINGTALK
    label = _l("DingTalk (钉钉) custom robot")
    signs = True
    limit = 20_000  # bytes of the body: far below what DingTalk takes, and enough

    def body(self, message, secret, now):
        parts = [f"#### {message.title}", *message.lines]
        if message.link:
            parts.append(f"[{message.link_text or message.link}]({message.link})")
        # DingTalk's markdown needs an empty line between paragraphs.
        return {"msgtype": "markdown",
                "markdown": {"title": message.title, "text": "\n\n".join(parts)}}

    def address(self, url, secret, now):
        if not secret:
            return url
        timestamp = int(now.timestamp() * 1000)
        query = urlencode({"timestamp": timestamp, "sign": dingtalk_sign(secret, timestamp)})
        return f"{url}{'&' if urlsplit(url).query else '?'}{query}"


class Feishu(Vendor):
    kind = ChannelKind.FEISHU
    label = _l("Feishu/Lark (飞书) custom bot")
    signs = True
    limit = 20 * 1024  # bytes of the whole body

    def __init__(self, language: str = "zh_cn"):
        self.language = language

    def body(self, message, secret, now):
        rows = [[{"tag": "text", "text": line}] for line in message.lines]
        if message.link:
            rows.append([{"tag": "a", "text": message.link_text or message.link,
                          "href": message.link}])
        body = {"msg_type": "post",
                "content": {"post": {self.language: {"title": message.title,
                                                     "content": rows}}}}
        if secret:
            timestamp = int(now.timestamp())
            body = {"timestamp": str(timestamp), "sign": feishu_sign(secret, timestamp), **body}
        return body

    def check(self, status, body):
        super().check(status, body)
        answer = _answer(body)
        code = answer.get("code", answer.get("StatusCode"))
        if code != 0:
            raise DeliveryFailed(f"code {code}: {answer.get('msg', '')}"[:300])


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Slack(Vendor):
    kind = ChannelKind.SLACK
    label = _l("Slack incoming webhook")
    limit = 3000  # characters of the section's text

    def body(self, message, secret, now):
        parts = [f"*{_slack_escape(message.title)}*", *map(_slack_escape, message.lines)]
        if message.link:
            parts.append(f"<{message.link}|{_slack_escape(message.link_text or message.link)}>")
        text = "\n".join(parts)
        return {"text": "\n".join([message.title, *message.lines]),
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}

    def _measure(self, body):
        return len(body["blocks"][0]["text"]["text"])

    def check(self, status, body):
        super().check(status, body)
        if body.strip() != b"ok":
            raise DeliveryFailed(f"Slack answered: {_snippet(body)}")


class Teams(Vendor):
    kind = ChannelKind.TEAMS
    label = _l("Microsoft Teams Workflows webhook")
    limit = 28 * 1024  # bytes of the whole body

    def body(self, message, secret, now):
        blocks = [{"type": "TextBlock", "text": message.title, "weight": "Bolder",
                   "size": "Medium", "wrap": True}]
        blocks += [{"type": "TextBlock", "text": line, "wrap": True} for line in message.lines]
        card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard", "version": "1.2", "body": blocks}
        if message.link:
            card["actions"] = [{"type": "Action.OpenUrl",
                                "title": message.link_text or message.link,
                                "url": message.link}]
        return {"type": "message",
                "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
                                 "contentUrl": None, "content": card}]}


VENDORS: dict[str, type[Vendor]] = {
    ChannelKind.WECOM.value: WeCom, ChannelKind.DINGTALK.value: DingTalk,
    ChannelKind.FEISHU.value: Feishu, ChannelKind.SLACK.value: Slack,
    ChannelKind.TEAMS.value: Teams,
}


def vendor_for(kind: str, locale: str = "en") -> Vendor:
    cls = VENDORS[kind]
    if cls is Feishu:
        return Feishu("zh_cn" if locale.startswith("zh") else "en_us")
    return cls()


def _answer(body: bytes) -> dict:
    try:
        answer = json.loads(body.decode("utf-8", "replace") or "{}")
    except ValueError:
        raise DeliveryFailed(f"not JSON: {_snippet(body)}") from None
    if not isinstance(answer, dict):
        raise DeliveryFailed(f"not a JSON object: {_snippet(body)}")
    return answer


def _snippet(body: bytes) -> str:
    return body[:200].decode("utf-8", "replace").strip() or "(empty)"


def post(request: HttpRequest, timeout: float) -> tuple[int, bytes]:
    """POST the request; (status, body) of any HTTP answer, DeliveryFailed when there was
    none. Never says the address (it holds the robot's key)."""
    if urlsplit(request.url).scheme not in ("http", "https"):
        raise DeliveryFailed("the address is not http(s)")
    http_request = urllib.request.Request(request.url, data=request.body,
                                          headers=request.headers, method="POST")
    try:
        with urllib.request.urlopen(http_request, timeout=timeout) as response:
            return response.status, response.read(65536)
    except urllib.error.HTTPError as error:
        return error.code, error.read(65536) if error.fp else b""
    except urllib.error.URLError as error:
        reason = error.reason
        raise DeliveryFailed(f"no answer: {_reason(reason)}") from None
    except TimeoutError:
        raise DeliveryFailed(f"no answer within {timeout:g} s") from None
    except (OSError, ValueError) as error:
        raise DeliveryFailed(f"no answer: {_reason(error)}") from None


def _reason(reason) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return type(reason).__name__ if not isinstance(reason, str) else reason
