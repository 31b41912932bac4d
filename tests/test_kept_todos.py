"""To-dos kept, not recomputed (issue 21): each person's counts by kind and list, written in
the transaction that opens or closes one, equal the full computation after every step of a
cycle (the list worded alike in English and Chinese); the badge, home and "my dashboard"
read one row; `flask rebuild-todos` counts everyone afresh."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from perfsite.coaching.services import (
    checkins,
    kept_todos,
    notes,
    notifications,
    obstacles,
    todos,
)
from perfsite.cycles import services as cycles
from perfsite.extensions import db
from perfsite.models import Person, Phase, TodoCount, utcnow

from .coaching_factories import running_cycle
from .factories import hr_admin
from .feedback_factories import colleagues
from .review_factories import write_review


def _everyone() -> dict[int, Person]:
    return {p.id: p for p in db.session.scalars(select(Person))}


def _worded(items) -> list[tuple]:
    """A list as the reader sees it: every field, and the words in English and Chinese."""
    words = {}
    for language in ("en", "zh_CN"):
        with force_locale(language):
            words[language] = [todo.text for todo in items]
    return [(t.kind, t.key, t.endpoint, t.values, t.overdue, t.since, t.overdue_at, en, zh)
            for t, en, zh in zip(items, words["en"], words["zh_CN"], strict=True)]


def _assert_kept_equal_recomputed(step: str, *, read_all: bool = False, now=None) -> None:
    """After the step's commit: every fresh row equals the full computation (its counts, and
    its list worded in both languages), and what the badge answers equals it for everyone."""
    db.session.commit()
    now = now or utcnow()
    people = _everyone()
    lists = todos.todos_for_people(people, now)
    oracle = kept_todos.counted(people, now)
    rows = kept_todos.kept(people)
    fresh = {pid for pid, (_counts, stale, expires) in rows.items()
             if not stale and (expires is None or now < expires)}
    for pid in fresh:
        assert rows[pid][0] == {k: n for k, n in oracle[pid].items()}, (
            step, people[pid].username)
        kept_list = kept_todos.read_list(people[pid], now)
        assert kept_list is not None, (step, people[pid].username)
        assert _worded(kept_list) == _worded(lists[pid]), (step, people[pid].username)
    if read_all:
        for pid, person in people.items():
            assert kept_todos.count(person, now) == sum(oracle[pid].values()), (
                step, person.username)
        db.session.commit()
        assert len(kept_todos.kept(people)) == len(people)


def test_kept_counts_equal_the_full_computation_after_every_step(org_chart):
    o = org_chart
    assert kept_todos.rebuild(utcnow()) == len(_everyone())
    _assert_kept_equal_recomputed("rebuilt")

    run = running_cycle(o)  # plans submitted and approved, the cycle in progress
    _assert_kept_equal_recomputed("a cycle opened and plans approved", read_all=True)
    counts = kept_todos.kept([o.staff.id])[o.staff.id][0]
    assert counts.get("check_in_due") == 2  # not trivially empty

    check_in = checkins.post_check_in(run.kpi, o.staff, actual_value="4", status="at_risk",
                                      now=utcnow())
    _assert_kept_equal_recomputed("staff checks in")
    assert kept_todos.kept([o.staff.id])[o.staff.id][0].get("check_in_due") == 1
    comment = notes.comment_on(check_in, o.head, body="Let us talk.", now=utcnow())
    _assert_kept_equal_recomputed("the head comments")
    assert kept_todos.kept([o.staff.id])[o.staff.id][0].get("comment_read") == 1
    notes.mark_comment_read(comment, o.staff, now=utcnow())
    _assert_kept_equal_recomputed("staff reads the comment")
    obstacle = obstacles.raise_obstacle(run.kpi, o.staff, description="No test server",
                                        now=utcnow())
    _assert_kept_equal_recomputed("staff raises an obstacle")
    assert kept_todos.kept([o.head.id])[o.head.id][0].get("obstacle_act") == 1
    obstacles.resolve(obstacle, o.head, resolution="Ordered one.",
                      expected_version=obstacle.version, now=utcnow())
    _assert_kept_equal_recomputed("the head resolves it")
    for note in db.session.scalars(notifications.for_person(o.staff)).all():
        notifications.mark_read(note, o.staff, utcnow())
    _assert_kept_equal_recomputed("staff reads their notifications")

    cycles.move_phase(run.cycle, hr_admin(), Phase.REVIEW)
    db.session.commit()
    assert all(stale for _c, stale, _e in kept_todos.kept(_everyone()).values())
    _assert_kept_equal_recomputed("the cycle enters review", read_all=True)
    write_review(run.cycle, o.staff, o.staff, "self", 4, 4, now=utcnow())
    _assert_kept_equal_recomputed("staff submits the self-review")
    write_review(run.cycle, o.staff, o.head, "manager", 3, 3, submit=False, now=utcnow())
    _assert_kept_equal_recomputed("the head drafts a manager review")
    write_review(run.cycle, o.colleague, o.head, "manager", 3, 3, now=utcnow())
    _assert_kept_equal_recomputed("the head submits one")

    from perfsite.feedback.services import nominations

    raters = colleagues(o, 3)
    db.session.commit()
    nominations.nominate(run.cycle, o.staff, o.staff,
                         usernames=" ".join(r.username for r in raters), now=utcnow())
    _assert_kept_equal_recomputed("staff nominates raters", read_all=True)
    nominations.approve(run.cycle, o.staff, o.head, now=utcnow())
    _assert_kept_equal_recomputed("the head approves them")
    assert kept_todos.kept([raters[0].id])[raters[0].id][0].get("feedback_give") == 1


def test_a_check_in_falling_due_expires_the_kept_count(org_chart):
    o = org_chart
    run = running_cycle(o)
    now = utcnow()
    checkins.post_check_in(run.kpi, o.staff, actual_value="4", status="on_track", now=now)
    checkins.post_check_in(run.other, o.staff, actual_value="4", status="on_track", now=now)
    db.session.commit()
    before = kept_todos.count(o.staff, now)
    row = db.session.get(TodoCount, o.staff.id)
    assert "check_in_due" not in row.counts
    assert row.expires_at == now + timedelta(days=run.cycle.checkin_interval_days)
    later = row.expires_at + timedelta(minutes=1)
    assert kept_todos.count(o.staff, later) == before + 2  # both fall due: counted afresh
    db.session.refresh(row)
    assert row.counts["check_in_due"] == 2


def test_the_badge_reads_one_row(app, company, login_as, count_queries):
    staff = login_as("staff")
    assert staff.htmx("GET", "/coaching/todos/badge").status_code == 200  # counts, keeps
    with count_queries() as q:
        badge = staff.htmx("GET", "/coaching/todos/badge")
    assert badge.status_code == 200 and 'id="todo-count"' in badge.get_data(as_text=True)
    statements = [s for s in q.statements if s not in ("BEGIN", "COMMIT")]
    assert len(statements) == 2, statements  # the login with roles, the kept row
    assert "todo_count" in statements[1]


def test_rebuild_todos_counts_everyone(app, company):
    result = app.test_cli_runner().invoke(args=["rebuild-todos"])
    assert result.exit_code == 0 and "To-dos counted for" in result.output
    with app.app_context():
        people = _everyone()
        rows = kept_todos.kept(people)
        assert set(rows) == set(people)
        oracle = kept_todos.counted(people, utcnow())
        assert {pid: counts for pid, (counts, _s, _e) in rows.items()} == {
            pid: dict(found) for pid, found in oracle.items()}


def test_the_badge_shows_a_fresh_count_when_the_database_is_busy(
        app, company, login_as, monkeypatch):
    """SQLite lets one writer in: when keeping the count meets a lock ("database is locked"),
    the badge still answers with the count made afresh (never a 500), and keeps it later."""
    staff = login_as("staff")
    with app.app_context():
        person = db.session.scalar(select(Person).where(Person.username == "staff"))
        person_id = person.id
        expected = sum(kept_todos.counted({person.id: person}, utcnow())[person.id].values())
        db.session.execute(TodoCount.__table__.delete())
        db.session.commit()
    real = kept_todos.store

    def locked(*args, **kwargs):
        raise OperationalError("INSERT INTO todo_count", {}, Exception("database is locked"))

    monkeypatch.setattr(kept_todos, "store", locked)
    busy = staff.htmx("GET", "/coaching/todos/badge")
    assert busy.status_code == 200, busy.status_code
    assert f'id="todo-count">{expected}<' in busy.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(TodoCount.total)) is None  # nothing kept meanwhile
    monkeypatch.setattr(kept_todos, "store", real)
    assert staff.htmx("GET", "/coaching/todos/badge").status_code == 200
    with app.app_context():
        assert db.session.get(TodoCount, person_id).total == expected


def test_a_kept_list_counts_days_and_becomes_overdue_when_read(org_chart):
    """Time alone changes a kept list's words ("last update N days ago", counted when read)
    and an open obstacle's overdue flag (the row expires just as it becomes overdue)."""
    o = org_chart
    run = running_cycle(o)
    now = utcnow()
    interval = run.cycle.checkin_interval_days
    checkins.post_check_in(run.kpi, o.staff, actual_value="4", status="on_track",
                           now=now - timedelta(days=interval + 2))
    obstacle = obstacles.raise_obstacle(run.kpi, o.staff, description="No test server",
                                        now=now)
    db.session.commit()
    due = next(t for t in kept_todos.todos_and_keep(o.staff, now)
               if t.kind == "check_in_due" and t.values == {"kpi_id": run.kpi.id})
    assert str(due.message).endswith(f"{interval + 2} days ago")
    with force_locale("zh_CN"):
        assert "天" in str(due.message)  # worded in Chinese when read
    later = now + timedelta(days=3)
    _assert_kept_equal_recomputed("days later", now=min(later, kept_todos.kept(
        [o.staff.id])[o.staff.id][2] or later) - timedelta(seconds=1))
    assert any(str(t.message).endswith(f"{interval + 5} days ago") for t in
               kept_todos.todos_and_keep(o.staff, later) if t.kind == "check_in_due")

    head_list = kept_todos.todos_and_keep(o.head, now)
    item = next(t for t in head_list if t.kind == "obstacle_act")
    assert not item.overdue
    due = obstacle.created_at + timedelta(days=run.cycle.overdue_after_days)
    assert kept_todos.read_list(o.head, due) is not None  # still fresh at the moment itself
    after = due + timedelta(seconds=1)
    assert kept_todos.read_list(o.head, after) is None  # expired: overdue now
    item = next(t for t in kept_todos.todos_and_keep(o.head, after) if t.kind == "obstacle_act")
    assert item.overdue
    _assert_kept_equal_recomputed("the obstacle is overdue", now=after)


def test_renaming_reaches_the_kept_words(org_chart):
    """Kept words name people and KPIs: a new display name or KPI title is in every list
    that names them when next read."""
    o = org_chart
    run = running_cycle(o)
    obstacles.raise_obstacle(run.kpi, o.staff, description="No test server", now=utcnow())
    db.session.commit()
    for person in _everyone().values():
        kept_todos.todos_and_keep(person, utcnow())
    run.kpi.title = "Portal features, renamed"
    db.session.commit()
    head_words = [t.text for t in kept_todos.todos_and_keep(o.head, utcnow())]
    assert any("Portal features, renamed" in w for w in head_words), head_words
    _assert_kept_equal_recomputed("a KPI renamed", read_all=True)
    o.staff.display_name = "Staff Renamed"
    db.session.commit()
    head_words = [t.text for t in kept_todos.todos_and_keep(o.head, utcnow())]
    assert any("Staff Renamed" in w for w in head_words), head_words
    _assert_kept_equal_recomputed("a person renamed", read_all=True)


def test_home_and_my_dashboard_read_the_kept_list(app, company, login_as, count_queries):
    staff = login_as("staff")
    assert staff.get("/").status_code == 200  # makes the list and keeps it
    for path in ("/", "/coaching/todos", "/dashboards/me"):
        with count_queries() as q:
            assert staff.get(path).status_code == 200, path
        reads = [s for s in q.statements if "todo_count" in s]
        assert len(reads) == 1 and not any("coaching_comment" in s for s in q.statements), (
            path, q.statements)
