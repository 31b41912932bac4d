"""Choosing people by searching: the one people picker every form uses.

A picked person is written as their username into an ordinary text field (one, or several
separated by commas), so that a form works the same without JavaScript: the server
resolves the usernames and, for one it does not know, says so beside the field with the
people whose name or username come closest ("did you mean"). With JavaScript, the
picker's search box asks `/people/pick/<scope>?q=…` as you type and offers a listbox
(templates/_macros/people_picker.html, static/js/people-picker.js).

A scope names who may search and among whom, from the predicates of permissions.py:
- "org": HR, choosing among all active people (managers, heads);
- "managed": anyone who manages people, choosing among those they manage (copying a KPI).
Later forms add their own (360 nominations: the colleagues a person may nominate).
Never everyone in a <select>: a search answers at most LIMIT people.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from .. import permissions as can
from ..errors import Invalid
from ..extensions import db
from ..models import Person

LIMIT = 10


@dataclass(frozen=True)
class Scope:
    allowed: Callable  # (user) -> bool: may this person search here at all?
    people: Callable  # (user) -> SQL clause on Person: whom the search offers
    # (user) -> SQL clause on Person: which usernames a form accepts (default: `people`)
    accepts: Callable | None = None

    def accepted(self, user):
        return (self.accepts or self.people)(user)


SCOPES: dict[str, Scope] = {
    # (a saved manager who has since left is kept when the rest of the form is edited)
    "org": Scope(allowed=can.can_administer_org,
                 people=lambda user: Person.active.is_(True),
                 accepts=lambda user: Person.id.is_not(None)),
    "managed": Scope(allowed=can.is_head,
                     people=lambda user: Person.active.is_(True)
                     & can.managed_people_clause(user)),
}


def _matching(query: str):
    like = f"%{query.strip().lower()}%"
    return or_(func.lower(Person.display_name).like(like), Person.username.like(like),
               Person.email.like(like))


def search(scope: Scope, user, query: str, limit: int = LIMIT, keep=None) -> list[Person]:
    """Up to `limit` people of the scope whose name, username or e-mail contain `query`,
    by name; none for an empty query. `keep(people)`, when given, narrows each batch
    further with a predicate of permissions.py (e.g. whose plan may take a KPI)."""
    query = (query or "").strip()
    if not query:
        return []
    stmt = (select(Person).where(scope.people(user), _matching(query))
            .options(joinedload(Person.department)).order_by(Person.display_name, Person.id))
    if keep is None:
        return list(db.session.scalars(stmt.limit(limit)))
    found: list[Person] = []
    for batch in range(3):  # a few batches at most: the search is narrowed by typing more
        people = list(db.session.scalars(stmt.limit(limit * 3).offset(batch * limit * 3)))
        found.extend(keep(people))
        if len(found) >= limit or len(people) < limit * 3:
            break
    return found[:limit]


def split_usernames(text: str | None) -> list[str]:
    """The usernames written in a field: separated by commas, semicolons or spaces."""
    seen: list[str] = []
    for name in re.split(r"[\s,;]+", (text or "").strip().lower()):
        if name and name not in seen:
            seen.append(name)
    return seen


def suggestions(scope: Scope, user, written: str, limit: int = 5) -> list[Person]:
    """People of the scope a mistyped username may have meant: whose username or name
    contains it or its first letters."""
    stem = written.strip().lower()[:4]
    return search(scope, user, stem, limit) if stem else []


def resolve(scope: Scope, user, text: str | None, field: str) -> list[Person]:
    """The people named in a picker field, in order; Invalid (on `field`) naming the
    usernames nobody in the scope has, with suggestions."""
    names = split_usernames(text)
    if not names:
        return []
    found = {p.username: p for p in db.session.scalars(
        select(Person).where(scope.accepted(user), Person.username.in_(names)))}
    missing = [name for name in names if name not in found]
    if missing:
        raise Invalid(_unknown(scope, user, missing[0], single=len(names) == 1), field)
    return [found[name] for name in names]


def _unknown(scope: Scope, user, username: str, single: bool):
    """Why a username was refused, with the people it may have meant."""
    hints = ", ".join(f"{p.display_name} ({p.username})"
                      for p in suggestions(scope, user, username))
    if single:
        return (_l("No person has this username. Did you mean: %(people)s?", people=hints)
                if hints else _l("No person has this username."))
    return (_l("No person has the username “%(username)s”. Did you mean: %(people)s?",
               username=username, people=hints) if hints
            else _l("No person has the username “%(username)s”.", username=username))


def resolve_one(scope: Scope, user, text: str | None, field: str) -> Person | None:
    """The one person named in a single picker field (None when it is empty)."""
    people = resolve(scope, user, text, field)
    if len(people) > 1:
        raise Invalid(_l("Choose one person."), field)
    return people[0] if people else None
