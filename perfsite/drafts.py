"""Autosaved drafts: a save based on the tab's own earlier autosave is not a conflict.

Every autosaved form (self and manager reviews, 360 answer cards, interview note sections)
names the version it was based on, and a save based on an older version is refused (409):
someone else saved since. One hole: the tab itself. When a tab dies while its autosave is
in flight, static/js/autosave.js flushes the form at once, based on the version the page
knows, the one before that autosave's answer; the autosave's own save made the draft newer,
so the flush, which carries everything typed, was refused as a conflict.

So autosave.js sends with every save the page's random tab token (`draft_tab`) and a number
that rises with every save of that page (`draft_seq`), and the server keeps, per draft
(DraftWriter, keyed by kind and record id), which tab wrote its current version and with
which number. The rule, used by every save endpoint through `claim`:

- A save based on the current version is applied (as always).
- A save based on an older version is applied when every version since its base was written
  by the SAME tab with lower numbers: that tab's earlier autosaves, whose text it carries.
- A save from another tab, or one whose base is older than the same tab's unbroken run of
  saves (someone else wrote in between), is a conflict, as always.
- A save of the same tab with a number not above the stored one is a late, reordered
  request: refused as stale (StaleSave, a conflict), nothing overwritten.
- A form without the fields (no JavaScript) or with garbage in them follows the old rule.

A draft not saved yet counts as version 0: a tab's first autosave creates it, and a flush
based on "nothing saved yet" from the same tab is applied over it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from .errors import Conflict
from .extensions import db
from .models import DraftWriter
from .rules import check_version, to_id, to_version

REVIEW = "review"
FEEDBACK = "feedback"
NOTE = "note"
KINDS = (REVIEW, FEEDBACK, NOTE)

TAB_FIELD = "draft_tab"
SEQ_FIELD = "draft_seq"
_TAB = re.compile(r"[A-Za-z0-9_-]{8,64}")


@dataclass(frozen=True)
class Writer:
    """Which page (tab) sent a save, and how many saves it had sent by then."""

    tab: str
    seq: int


def writer_of(form: Mapping) -> Writer | None:
    """The writer a posted form names; None when it names none or garbage (no JavaScript,
    a crafted post): such a save follows the plain version rule."""
    tab = str(form.get(TAB_FIELD) or "").strip()
    seq = to_id(form.get(SEQ_FIELD))
    if not _TAB.fullmatch(tab) or seq is None:
        return None
    return Writer(tab, seq)


class StaleSave(Conflict):
    """A late save of a tab whose later save is already in: it is not applied."""

    def __init__(self, current=None):
        super().__init__(_l("A later save from this page is already in: this older one was "
                            "not applied."), current=current)


@dataclass
class Claim:
    """A save allowed by `claim`: call `saved(record)` once it is flushed."""

    kind: str
    writer: Writer | None
    since: int

    def saved(self, record) -> None:
        """Remember who wrote the record's (new) version."""
        if self.writer is None or record.id is None or record.version is None:
            return
        row = db.session.get(DraftWriter, (self.kind, record.id))
        if row is None:
            row = DraftWriter(kind=self.kind, record_id=record.id)
            db.session.add(row)
        row.tab = self.writer.tab
        row.seq = self.writer.seq
        row.since_version = self.since
        row.version = record.version
        db.session.flush()


def _lock(record) -> None:
    """Read the draft's newest committed state and hold it until this save commits, so a
    flush that overtakes its own tab's autosave on the server waits for it, then sees it
    (PostgreSQL; SQLite writes one at a time anyway)."""
    db.session.refresh(record, with_for_update=True)


def claim(kind: str, record, expected_version, writer: Writer | None, *,
          check: Callable = check_version) -> Claim:
    """May a save of `record` based on `expected_version`, sent by `writer`, be applied?
    A Claim if so (see the module's rules); otherwise Conflict (StaleSave for the same
    tab's late save). `check` is the plain version rule of the record's service, used for
    saves without a writer or not covered by the tab's own run of saves."""
    assert kind in KINDS
    if record is None or record.id is None:
        return Claim(kind, writer, since=0)  # this save creates the draft
    if writer is None:
        check(record, expected_version)
        return Claim(kind, None, since=0)
    _lock(record)
    row = db.session.get(DraftWriter, (kind, record.id), populate_existing=True)
    mine = row is not None and row.tab == writer.tab and row.version == record.version
    if mine and writer.seq <= row.seq:
        raise StaleSave(current=record)
    raw = str(expected_version if expected_version is not None else "").strip()
    base = 0 if raw == "" else to_version(raw)
    if mine and base is not None and row.since_version <= base <= record.version:
        return Claim(kind, writer, since=row.since_version)
    check(record, expected_version)
    return Claim(kind, writer, since=record.version)
