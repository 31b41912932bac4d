"""Pages of a long list without counting it: the page's rows and one more, to know whether
there is a next page. For lists whose total would cost a scan of a large table on every
request (the audit log: hundreds of thousands of events); and `paginate`, a counted page
that counts only when its own rows do not tell the total."""

from __future__ import annotations

from dataclasses import dataclass

from flask_sqlalchemy.pagination import Pagination, SelectPagination

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


class _CountedWhenNeeded(SelectPagination):
    """Flask-SQLAlchemy's page of a select(), counting the rows only when the page does
    not tell: a page with some rows but fewer than `per_page` is the last one, so the total
    is the rows before it plus its own (a search that finds a few people, a department
    smaller than a page, the open obstacles of a quiet month: one statement, not two)."""

    def _query_count(self) -> int:
        if self.items and len(self.items) < self.per_page:
            return self._query_offset + len(self.items)
        if not self.items and self.page == 1:
            return 0
        return super()._query_count()


def paginate(stmt, page: int | None, per_page: int) -> Pagination:
    """`db.paginate(stmt, ...)` as the pages call it (never more than `per_page` rows, a
    page past the end empty rather than a 404), with the total counted only when needed."""
    return _CountedWhenNeeded(select=stmt, session=db.session(), page=page or 1,
                              per_page=per_page, max_per_page=per_page, error_out=False)
