"""Pages of a long list without counting it: the page's rows and one more, to know whether
there is a next page. For lists whose total would cost a scan of a large table on every
request (the audit log: hundreds of thousands of events)."""

from __future__ import annotations

from dataclasses import dataclass

from .extensions import db


@dataclass
class Window:
    items: list
    page: int
    per_page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


# Past this page a list is searched, not paged (and OFFSET stays cheap).
MAX_PAGE = 2000


def window(stmt, page: int, per_page: int) -> Window:
    """Page `page` (from 1) of the rows of `stmt` (ordered), `per_page` at a time."""
    page = min(max(page, 1), MAX_PAGE)
    rows = db.session.scalars(stmt.limit(per_page + 1).offset((page - 1) * per_page)).all()
    return Window(items=rows[:per_page], page=page, per_page=per_page,
                  has_next=len(rows) > per_page)
