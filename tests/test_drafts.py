"""The autosave rule without HTTP (perfsite/drafts.py): a save based on the same tab's own
earlier autosave is applied; a late save of that tab, another tab's, or one across another
writer's version is refused and overwrites nothing. Shown on a self-review draft (the rule is
the same for every kind: the view tests show each kind)."""

from __future__ import annotations

import threading
import time

import pytest

from perfsite import drafts
from perfsite.drafts import StaleSave, Writer, writer_of
from perfsite.errors import Conflict
from perfsite.extensions import db
from perfsite.models import DraftWriter, Review, ReviewKind
from perfsite.reviews.services import reviews

from .coaching_factories import NOW
from .factories import attached
from .review_factories import review_cycle, write_review

TAB, OTHER = "a" * 32, "b" * 32


@pytest.fixture
def draft(org_chart):
    made = review_cycle(org_chart)
    review = write_review(made.cycle, org_chart.staff, org_chart.staff, ReviewKind.SELF, 4, 4,
                          submit=False)
    db.session.commit()
    return review


def save(review, text, base, writer):
    reviews.save_draft(review, review.person, expected_version=base,
                       values={"achievements": text}, now=NOW, writer=writer)
    db.session.commit()


def stored(review):
    db.session.expire_all()
    return review.achievements, review.version


def test_the_same_tab_with_a_higher_number_is_applied_over_its_own_autosave(draft):
    v1 = draft.version
    save(draft, "typed", v1, Writer(TAB, 1))          # the autosave: v1 -> v2
    save(draft, "typed and more", v1, Writer(TAB, 2))  # the flush, still based on v1
    text, version = stored(draft)
    assert text == "typed and more" and version == v1 + 2
    save(draft, "and even more", v1, Writer(TAB, 3))   # a third, still within the run
    assert stored(draft)[0] == "and even more"


def test_a_late_save_of_the_same_tab_is_stale_and_overwrites_nothing(draft):
    v1 = draft.version
    save(draft, "typed and more", v1, Writer(TAB, 2))  # the flush overtook the autosave
    with pytest.raises(StaleSave):
        save(draft, "typed", v1, Writer(TAB, 1))        # the autosave arrives late
    db.session.rollback()
    assert stored(draft) == ("typed and more", v1 + 1)
    with pytest.raises(StaleSave):  # the same number again (a resent request): stale too
        save(draft, "resent", v1 + 1, Writer(TAB, 2))
    db.session.rollback()
    assert stored(draft)[0] == "typed and more"


def test_another_tab_based_on_an_older_version_is_a_conflict(draft):
    v1 = draft.version
    save(draft, "first tab", v1, Writer(TAB, 1))
    with pytest.raises(Conflict) as refused:
        save(draft, "second tab", v1, Writer(OTHER, 5))
    assert not isinstance(refused.value, StaleSave)
    db.session.rollback()
    assert stored(draft)[0] == "first tab"
    with pytest.raises(Conflict):  # without a writer (no JavaScript): today's rule
        save(draft, "no script", v1, None)
    db.session.rollback()
    assert stored(draft)[0] == "first tab"


def test_a_version_gap_written_by_another_tab_is_a_conflict(draft):
    v1 = draft.version
    save(draft, "first tab", v1, Writer(TAB, 1))            # v2 by this tab
    save(draft, "other tab", v1 + 1, Writer(OTHER, 1))      # v3 by another tab
    save(draft, "first tab again", v1 + 2, Writer(TAB, 2))  # v4 by this tab, based on v3
    with pytest.raises(Conflict):  # based on v2: v3 was the other tab's
        save(draft, "first tab, flushed", v1 + 1, Writer(TAB, 3))
    db.session.rollback()
    assert stored(draft)[0] == "first tab again"
    save(draft, "first tab, flushed", v1 + 2, Writer(TAB, 3))  # based on its own run: kept
    assert stored(draft)[0] == "first tab, flushed"


def test_a_save_without_a_tab_in_between_breaks_the_run(draft):
    v1 = draft.version
    save(draft, "tab", v1, Writer(TAB, 1))
    save(draft, "no script", v1 + 1, None)  # the plain form, by the same person
    with pytest.raises(Conflict):
        save(draft, "tab, flushed", v1, Writer(TAB, 2))
    db.session.rollback()
    assert stored(draft)[0] == "no script"


def test_a_draft_created_by_the_tabs_autosave_takes_its_flush_based_on_nothing(org_chart):
    made = review_cycle(org_chart)
    db.session.commit()
    fresh = reviews.review_for(made.cycle, org_chart.staff, ReviewKind.SELF)
    assert fresh.id is None
    save(fresh, "first words", "", Writer(TAB, 1))  # creates the draft
    created = reviews.get_review(made.cycle, org_chart.staff, ReviewKind.SELF)
    save(created, "first words and more", "", Writer(TAB, 2))
    assert stored(created)[0] == "first words and more"
    with pytest.raises(Conflict):  # another tab opened before the draft existed
        save(created, "elsewhere", "", Writer(OTHER, 9))
    db.session.rollback()
    with pytest.raises(Conflict):  # and a form that lost its version, as always
        save(created, "lost", "", None)
    db.session.rollback()
    assert stored(created)[0] == "first words and more"


@pytest.mark.parametrize("form", [
    {}, {"draft_tab": TAB}, {"draft_seq": "3"}, {"draft_tab": "short", "draft_seq": "1"},
    {"draft_tab": "x" * 65, "draft_seq": "1"}, {"draft_tab": "a b" * 10, "draft_seq": "1"},
    {"draft_tab": TAB, "draft_seq": "0"}, {"draft_tab": TAB, "draft_seq": "-1"},
    {"draft_tab": TAB, "draft_seq": "9" * 20}, {"draft_tab": TAB, "draft_seq": "abc"},
])
def test_a_missing_or_garbage_writer_is_no_writer(form):
    assert writer_of(form) is None


def test_a_writer_is_read_from_the_form():
    assert writer_of({"draft_tab": TAB, "draft_seq": " 7 "}) == Writer(TAB, 7)


def test_the_writer_is_kept_per_draft(draft):
    save(draft, "typed", draft.version, Writer(TAB, 4))
    row = db.session.get(DraftWriter, (drafts.REVIEW, draft.id))
    assert (row.tab, row.seq, row.version) == (TAB, 4, draft.version)


@pytest.mark.postgresql
def test_on_postgresql_a_flush_overtaking_its_own_autosave_waits_for_it_and_is_applied(
        app, company):
    """The autosave and the flush of one tab at the same time on the server: the flush read
    the draft before the autosave committed. It waits for it (the draft's row is locked) and
    then sees the autosave's version as its own tab's: applied, not a 409 (without the lock
    its write would find the version moved under it). SQLite writes one at a time."""
    with app.app_context():
        assert db.engine.dialect.name == "postgresql"  # the marker keeps SQLite away
        made = review_cycle(attached(company))
        review = write_review(made.cycle, attached(company).staff, attached(company).staff,
                              ReviewKind.SELF, 4, 4, submit=False)
        db.session.commit()
        review_id, v1 = review.id, review.version
        db.session.remove()
    autosave_saved, flush_loaded = threading.Event(), threading.Event()
    errors = []

    def autosave():
        with app.app_context():
            try:
                found = db.session.get(Review, review_id)
                reviews.save_draft(found, found.person, expected_version=v1, now=NOW,
                                   values={"achievements": "typed"}, writer=Writer(TAB, 1))
                autosave_saved.set()  # flushed, not committed: the row stays locked
                flush_loaded.wait(10)
                time.sleep(0.3)  # let the flush reach the lock (it is applied either way)
                db.session.commit()
            except Exception as error:  # noqa: BLE001 (reported below)
                errors.append(error)
                autosave_saved.set()
            finally:
                db.session.remove()

    def flush():
        with app.app_context():
            try:
                found = db.session.get(Review, review_id)
                assert found.version == v1  # read before the autosave committed
                flush_loaded.set()
                autosave_saved.wait(10)
                reviews.save_draft(found, found.person, expected_version=v1, now=NOW,
                                   values={"achievements": "typed and more"},
                                   writer=Writer(TAB, 2))
                db.session.commit()
            except Exception as error:  # noqa: BLE001 (reported below)
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=autosave), threading.Thread(target=flush)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    with app.app_context():
        saved = db.session.get(Review, review_id)
        assert (saved.achievements, saved.version) == ("typed and more", v1 + 2)
