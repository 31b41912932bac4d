"""`seed-demo --lang zh_CN`: the demo company in Chinese (issue 22): Chinese names,
departments, targets, goals, KPI titles and units, notes and comments, people who read the
site in Chinese, the same logins; idempotent; the English tables untouched afterwards."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from perfsite import demo
from perfsite.extensions import db
from perfsite.models import (
    CheckIn,
    Cycle,
    Department,
    DepartmentGoal,
    FeedbackRequest,
    ImprovementItem,
    InterviewNote,
    Kpi,
    Obstacle,
    Person,
    StrategyTarget,
)

from .conftest import Browserless

CJK = re.compile(r"[\u4e00-\u9fff]")
# An English word left in Chinese text (acronyms people in China write as they are allowed).
ENGLISH = re.compile(r"\b(?!(?:API|SLO|SLA)\b)[A-Za-z]{2,}\b")


def _chinese(texts) -> list[str]:
    """The texts that are not Chinese (empty when all are)."""
    return [t for t in texts if t and (not CJK.search(t) or ENGLISH.search(t))]


def test_seed_demo_in_chinese_writes_a_chinese_company(app):
    answer = app.test_cli_runner().invoke(args=["seed-demo", "--lang", "zh_CN"])
    assert answer.exit_code == 0, answer.output
    with app.app_context():
        people = db.session.scalars(select(Person)).all()
        assert len(people) == len(demo.PEOPLE) and not _chinese(p.display_name for p in people)
        assert not _chinese(p.job_title for p in people)
        assert {p.locale for p in people} == {"zh_CN"}
        by_login = {p.username: p.display_name for p in people}
        assert (by_login["head"], by_login["staff"], by_login["hr"]) == ("张敏", "刘洋", "郭梅")
        assert not _chinese(db.session.scalars(select(Department.name)))
        assert set(db.session.scalars(select(Cycle.name))) == {
            "2027年上半年", "2026年下半年", "2026年上半年"}
        for column in (StrategyTarget.title, StrategyTarget.unit, DepartmentGoal.title,
                       DepartmentGoal.unit, Kpi.title, Kpi.unit, CheckIn.note,
                       Obstacle.description, FeedbackRequest.keep_doing,
                       FeedbackRequest.improve, InterviewNote.text, ImprovementItem.action,
                       ImprovementItem.support):
            texts = [t for t in db.session.scalars(select(column)) if t and t != "%"]
            assert texts and not _chinese(texts), (column, _chinese(texts))
        kpis = db.session.scalar(select(func.count(Kpi.id)))
    # The same logins; the site in Chinese for them.
    client = Browserless(app.test_client())
    assert client.login("head").status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert 'lang="zh-CN"' in home and "张敏" in home and "Zhang Min" not in home

    with app.app_context():  # idempotent, and English again by default afterwards
        assert set(demo.seed_demo_company("zh_CN").values()) == {0}
        db.session.commit()
        assert db.session.scalar(select(func.count(Kpi.id))) == kpis
    assert demo.PEOPLE[0][1] == "Chen Jing" and demo.DEPARTMENTS[0][1] == "Executive Team"


def test_every_demo_text_has_its_chinese():
    """A text added to the demo's tables without its Chinese fails here, not in a crawl."""
    from perfsite.demo_zh import TEXTS

    def texts(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, (tuple, list)):
            for v in value:
                yield from texts(v)
        elif isinstance(value, dict):
            for v in value.values():
                yield from texts(v)

    codes = {p[0] for p in demo.PEOPLE} | {d[0] for d in demo.DEPARTMENTS} | {
        t[0] for t in demo.TARGETS} | {
        "numeric", "percentage", "milestone", "supports", "peer", "report", "manager", "head",
        "open", "in_progress", "done", "staff", "executive", "hr_admin", "%", ""}
    missing = {t for name in demo.TABLES for t in texts(getattr(demo, name))
               if t not in codes and not re.fullmatch(r"[\d.]+|[A-D]\+?", t)
               and t not in TEXTS}
    assert not missing, sorted(missing)


def test_every_text_the_demo_words_in_place_has_its_chinese():
    """The texts demo.py passes through _t() where it uses them (a literal, or a field of a
    table such as CLOSED_REQUESTS) are in the Chinese table too."""
    import ast
    import inspect

    from perfsite.demo_zh import TEXTS

    tree = ast.parse(inspect.getsource(demo))
    literal = {node.args[0].value for node in ast.walk(tree)
               if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_t"
               and node.args and isinstance(node.args[0], ast.Constant)
               and isinstance(node.args[0].value, str)}
    assert len(literal) > 20
    worded = {text for row in getattr(demo, "CLOSED_REQUESTS", []) for text in row[3:5]}
    worded |= {row[8] for row in getattr(demo, "CLOSED_REQUESTS", []) if row[8]}
    worded |= {row[3] for row in getattr(demo, "TALENT_MOVES", [])}
    worded |= set(getattr(demo, "AGREED_ACTIONS", {}).values())
    worded |= {row[1] for row in getattr(demo, "KEY_POSITIONS", [])}
    missing = sorted(t for t in literal | worded if t not in TEXTS)
    assert not missing, missing

