"""A sampling crawl of the demo for the whole-site checks (words left in English on Chinese
pages, the Nu HTML checker): every kind of page each demo login reaches, a few of each.

Pages of one kind (the same path with the numbers taken out, and the same query keys) share
a template, so a few of each find what the whole crawl would, in a fraction of its time."""

from __future__ import annotations

import re
from collections import Counter, deque
from urllib.parse import parse_qsl, urlsplit

from .conftest import Browserless
from .test_crawl import _internal, _PageParser

PER_KIND = 4  # pages fetched of each kind
MAX_PAGES = 600


def kind_of(url: str) -> str:
    parts = urlsplit(url)
    keys = sorted({key for key, _value in parse_qsl(parts.query, keep_blank_values=True)})
    return re.sub(r"\d+", "N", parts.path) + ("?" + "&".join(keys) if keys else "")


def crawl(app, username: str, locale: str = "en", per_kind: int = PER_KIND):
    """(url, html) for every HTML page and htmx fragment a sample of each kind reaches,
    read by `username` in `locale`."""
    client = Browserless(app.test_client())
    assert client.login(username).status_code == 302
    if locale != "en":
        assert client.post_form("/language", {"locale": locale}).status_code in (302, 303)
    seen: set[str] = set()
    fetched: Counter[str] = Counter()
    queue = deque(["/"])
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen or fetched[kind_of(url)] >= per_kind:
            continue
        seen.add(url)
        fetched[kind_of(url)] += 1
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        html = response.get_data(as_text=True)
        yield url, html
        links = _PageParser()
        links.feed(html)
        queue.extend(t for t in map(_internal, links.links) if t and t not in seen)
