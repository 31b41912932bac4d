"""Notifications where people work: group chat robots (WeCom, DingTalk, Feishu/Lark, Slack,
Teams) and e-mail, through an outbox that a worker (`flask deliver`) empties.

- channels.py   HR's channels: sealed addresses and secrets (crypto.py), test messages
- group.py      what a group may hear (phases, deadlines, completion), worded per channel
- personal.py   e-mail to one person, as they chose (preferences.py), at once or daily
- outbox.py     the rows to deliver, claiming, retries with backoff, giving up
- vendors.py    each chat service's body, signature, answer and size limit
- email.py      e-mail composed and sent with Flask-Mailman
- views.py      channel settings, the delivery log, e-mail preferences

The blueprint is registered with every area's (perfsite/areas.py), and so is what this
area plugs into others: it hears every in-app notification, and every phase a cycle enters.
"""

from flask import Blueprint

bp = Blueprint("notify", __name__, url_prefix="/notify")

