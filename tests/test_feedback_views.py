"""360 feedback pages through the test client (CSRF on): nominating with the page's own form,
the head's approval, the rater's card (htmx autosave, submit in place, 422 inside the card,
a double click that submits once, the plain form without JavaScript), crafted posts on
someone else's or a submitted answer, decline and replacement, HR's overview and reopening,
the report and its CSV at threshold − 1 and threshold, and query counts for 5 and 50
raters."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from perfsite.extensions import db
from perfsite.feedback.services import answers
from perfsite.models import (
    Cycle,
    FeedbackGroup,
    FeedbackRequest,
)

from .factories import attached
from .feedback_factories import answer, ask_directly, colleagues, feedback_cycle, release


@pytest.fixture
def run(app, company):
    with app.app_context():
        cycle = feedback_cycle(attached(company))
        db.session.commit()
        return {"cycle": cycle.id,
                "raters": f"/feedback/{cycle.id}/people/{company.staff.id}/raters",
                "give": f"/feedback/{cycle.id}/give",
                "report": f"/feedback/{cycle.id}/people/{company.staff.id}/report"}


def _ask(app, company, run, rater="peer", subject="staff", group=FeedbackGroup.PEER) -> int:
    with app.app_context():
        c = attached(company)
        request, = ask_directly(db.session.get(Cycle, run["cycle"]), getattr(c, subject),
                                [getattr(c, rater)], group)
        db.session.commit()
        return request.id


def _request(app, request_id) -> FeedbackRequest:
    with app.app_context():
        found = db.session.get(FeedbackRequest, request_id)
        db.session.refresh(found)
        return {"status": found.status, "ratings": sorted(r.rating for r in found.ratings
                                                          if r.rating is not None),
                "keep_doing": found.keep_doing, "version": found.version}


def _rating_names(app, run) -> list[str]:
    with app.app_context():
        cycle = db.session.get(Cycle, run["cycle"])
        return [answers.rating_field(c) for c in answers.competencies_of(cycle)]


# Nominating and approving ---------------------------------------------------------------------

def test_staff_nominate_with_the_pages_form_and_the_head_approves(app, company, run, login_as):
    with app.app_context():
        extra = colleagues(attached(company), 1)[0].username
        db.session.commit()
    staff = login_as("staff")
    form = staff.form(run["raters"], "nominate")
    response = form.submit({"raters": f"colleague, peer, {extra}"})
    assert response.status_code == 302
    page = staff.get(run["raters"]).get_data(as_text=True)
    assert "Wang Fang" in page and "Awaiting approval" in page
    head = login_as("head")
    response = head.form(run["raters"], "approve").submit()
    assert response.status_code == 302
    page = head.get(run["raters"]).get_data(as_text=True)
    assert "Awaiting approval" not in page and "Manager" in page
    # the same form posted twice (a double click) adds nobody twice
    with app.app_context():
        assert db.session.scalar(select(func.count(FeedbackRequest.id))) == 4


def test_a_double_clicked_nomination_saves_once(app, company, run, login_as):
    staff = login_as("staff")
    form = staff.form(run["raters"], "nominate")
    first = form.submit({"raters": "peer"})
    second = form.submit({"raters": "peer"})
    assert first.status_code == 302 and second.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(FeedbackRequest.id))) == 1


def test_a_bad_username_is_named_beside_the_field_with_422(app, company, run, login_as):
    staff = login_as("staff")
    response = staff.form(run["raters"], "nominate").submit({"raters": "pee"})
    assert response.status_code == 422
    assert "Did you mean" in response.get_data(as_text=True)


def test_the_picker_offers_colleagues_but_never_oneself(app, company, run, login_as):
    staff = login_as("staff")
    html = staff.htmx("GET", f"/feedback/{run['cycle']}/raters/pick",
                      {"q": "a", "for_id": "raters"}).get_data(as_text=True)
    assert "Wang Fang" in html and "Liu Yang" not in html


# The card --------------------------------------------------------------------------------------

def test_the_card_autosaves_and_submits_in_place_with_htmx(app, company, run, login_as):
    request_id = _ask(app, company, run)
    peer = login_as("peer")
    names = _rating_names(app, run)
    page = peer.get(run["give"]).get_data(as_text=True)
    assert "Liu Yang" in page and "Engineer" in page
    form = peer.form(run["give"], f"/requests/{request_id}/submit")
    prefix = f"card{request_id}-"
    saved = peer.client.post(f"/feedback/requests/{request_id}/draft",
                             data={**form.fields, prefix + names[0]: "4",
                                   prefix + "keep_doing": "Clear updates"},
                             headers={"HX-Request": "true",
                                      "X-CSRFToken": form.fields["csrf_token"]})
    assert saved.status_code == 200 and "Draft saved" in saved.get_data(as_text=True)
    assert _request(app, request_id)["ratings"] == [4]
    # Submitting with a gap: the card comes back with the error inside it, 422.
    form = peer.form(run["give"], f"/requests/{request_id}/submit")
    refused = form.submit({prefix + names[0]: "4"}, htmx=True)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert html.lstrip().startswith("<article") and "Rate this competency" in html
    assert _request(app, request_id)["status"] == "requested"
    done = form.submit({**{prefix + n: "4" for n in names}, prefix + "improve": "Pair more"},
                       htmx=True)
    assert done.status_code == 200
    assert "Submitted" in done.get_data(as_text=True)
    assert _request(app, request_id)["status"] == "submitted"


def test_a_double_clicked_submit_creates_one_answer_and_a_crafted_post_changes_nothing(
        app, company, run, login_as):
    request_id = _ask(app, company, run)
    peer = login_as("peer")
    names = _rating_names(app, run)
    prefix = f"card{request_id}-"
    form = peer.form(run["give"], f"/requests/{request_id}/submit")
    values = {**{prefix + n: "5" for n in names}, prefix + "keep_doing": "First"}
    first = form.submit(values, htmx=True)
    second = form.submit(values, htmx=True)  # the same form again: nothing new
    assert first.status_code == 200 and second.status_code == 200
    crafted = form.submit({**{prefix + n: "1" for n in names}, prefix + "keep_doing": "Changed",
                           prefix + "version": "99"})
    assert crafted.status_code in (302, 200)
    saved = _request(app, request_id)
    assert saved["status"] == "submitted" and saved["ratings"] == [5, 5, 5, 5]
    assert saved["keep_doing"] == "First"
    # the draft address refuses too
    response = peer.post_form(f"/feedback/requests/{request_id}/draft",
                              {prefix + "keep_doing": "x", prefix + "version": "2"},
                              token_from=run["give"])
    assert response.status_code == 409
    assert _request(app, request_id)["keep_doing"] == "First"


def test_nobody_else_reads_or_submits_a_raters_card(app, company, run, login_as):
    request_id = _ask(app, company, run)
    names = _rating_names(app, run)
    for who in ("staff", "head", "hr", "colleague", "exec"):
        user = login_as(who)
        for action in ("submit", "draft", "decline"):
            response = user.post_form(f"/feedback/requests/{request_id}/{action}",
                                      {f"card{request_id}-{n}": "1" for n in names})
            assert response.status_code == 403, (who, action)
        assert f"card-{request_id}" not in user.get(run["give"]).get_data(as_text=True)
    assert _request(app, request_id)["status"] == "requested"


def test_the_card_works_without_javascript(app, company, run, login_as):
    request_id = _ask(app, company, run)
    peer = login_as("peer")
    names = _rating_names(app, run)
    prefix = f"card{request_id}-"
    form = peer.form(run["give"], f"/requests/{request_id}/submit")
    refused = form.submit({prefix + names[0]: "3"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "<html" in html and "Rate this competency" in html
    form = peer.form(run["give"], f"/requests/{request_id}/submit")
    done = form.submit({**{prefix + n: "3" for n in names}, prefix + "keep_doing": "Steady"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"#card-{request_id}")
    assert "Submitted" in peer.get(run["give"]).get_data(as_text=True)


def test_a_rater_declines_and_the_head_picks_a_replacement(app, company, run, login_as):
    request_id = _ask(app, company, run)
    peer = login_as("peer")
    refused = peer.form(run["give"], f"/requests/{request_id}/decline").submit()
    assert refused.status_code == 422
    done = peer.form(run["give"], f"/requests/{request_id}/decline").submit(
        {f"decline{request_id}-reason": "On leave all month"})
    assert done.status_code == 302
    head = login_as("head")
    page = head.get(run["raters"]).get_data(as_text=True)
    assert "On leave all month" in page
    assert "On leave" not in login_as("staff").get(run["raters"]).get_data(as_text=True)
    response = head.form(run["raters"], f"/requests/{request_id}/replace").submit(
        {f"replace{request_id}-username": "sales.head"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(FeedbackRequest.status).where(
            FeedbackRequest.rater_id == company.sales_head.id)) == "requested"


def test_hr_sees_counts_and_stuck_nominations_never_answers(app, company, run, login_as):
    login_as("staff").form(run["raters"], "nominate").submit({"raters": "colleague"})
    request_id = _ask(app, company, run)
    with app.app_context():
        answer(db.session.get(FeedbackRequest, request_id), 4, keep_doing="SECRET-TEXT")
        db.session.commit()
    hr = login_as("hr")
    page = hr.get(f"/feedback/{run['cycle']}/admin").get_data(as_text=True)
    assert "Engineering" in page and "Sam Okafor" in page  # stuck: awaiting approval
    raters = hr.get(run["raters"]).get_data(as_text=True)
    assert "Submitted" in raters and "SECRET-TEXT" not in raters
    response = hr.form(run["raters"], f"/requests/{request_id}/reopen").submit(
        {f"reopen{request_id}-reason": "Wrong person rated"})
    assert response.status_code == 302
    assert _request(app, request_id)["status"] == "requested"


# The report ---------------------------------------------------------------------------------------

def _peers_answer(app, company, run, n, start=0):
    """`n` more peers answer, and the groups due are released (as when review closes)."""
    with app.app_context():
        c = attached(company)
        cycle = db.session.get(Cycle, run["cycle"])
        raters = colleagues(c, n, prefix=f"p{start}x")
        for i, request in enumerate(ask_directly(cycle, c.staff, raters)):
            answer(request, [5, 1, 5, 1], keep_doing=f"KEEP-{start + i}")
        release(cycle)
        db.session.commit()
        return [r.display_name for r in raters]


@pytest.mark.parametrize("viewer", ["head", "hr", "exec"])
def test_with_two_peers_nothing_of_the_group_shows_with_three_the_averages(
        app, company, run, login_as, viewer):
    names = _peers_answer(app, company, run, 2)
    user = login_as(viewer)
    csv_url = run["report"].replace("/report", "/report.csv")
    for body in (user.get(run["report"]).get_data(as_text=True),
                 user.htmx("GET", run["report"]).get_data(as_text=True),
                 user.get(csv_url).get_data(as_text=True)):
        assert "KEEP-" not in body and "1.00" not in body
        assert "Peers: results are shown once the review phase has closed" in body
    names += _peers_answer(app, company, run, 1, start=2)
    page = user.get(run["report"]).get_data(as_text=True)
    export = user.get(csv_url).get_data(as_text=True)
    assert "KEEP-0" in page and "KEEP-2" in page and "Peers: results are shown" not in page
    assert "Competency,Self,Manager,Peers" in export and "5.00" in export and "1.00" in export
    for body in (page, export):
        assert not any(name in body for name in names)


def test_the_report_refuses_other_heads_and_colleagues(app, company, run, login_as):
    _peers_answer(app, company, run, 3)
    for who in ("sales.head", "colleague", "peer"):
        user = login_as(who)
        assert user.get(run["report"]).status_code == 403
        assert user.get(run["report"].replace("/report", "/report.csv")).status_code == 403
    page = login_as("staff").get(run["report"])  # in review: not yet, and says why
    assert page.status_code == 200 and "KEEP-" not in page.get_data(as_text=True)


def test_settings_saved_by_hr_before_review(app, company, login_as):
    with app.app_context():
        cycle = feedback_cycle(attached(company), name="2026 H2b", phase=None)
        from perfsite.cycles import services as cycles
        from perfsite.models import Phase

        from .factories import hr_admin
        cycles.move_phase(cycle, hr_admin(), Phase.IN_PROGRESS)
        db.session.commit()
        url = f"/feedback/{cycle.id}/settings"
    hr = login_as("hr")
    bad = hr.form(url, "/settings").submit({"min_raters": "5", "max_raters": "4"})
    assert bad.status_code == 422 and "At least the minimum" in bad.get_data(as_text=True)
    good = hr.form(url, "/settings").submit({"min_raters": "4", "max_raters": "6",
                                             "peers_weight": "40"})
    assert good.status_code == 302
    assert login_as("exec").get(url).status_code == 200
    assert login_as("head").get(url).status_code == 403


# Query counts -------------------------------------------------------------------------------

@pytest.mark.parametrize("page", ["give", "report", "raters"])
def test_feedback_pages_run_the_same_queries_for_5_or_50_raters(app, company, run, login_as,
                                                                count_queries, page):
    def grow(n, start):
        with app.app_context():
            c = attached(company)
            cycle = db.session.get(Cycle, run["cycle"])
            raters = colleagues(c, n, prefix=f"q{start}x")
            for request in ask_directly(cycle, c.staff, raters):
                answer(request, 4, keep_doing=f"k{request.id}")
            if page == "give":  # the rater's side: many people asking one rater
                for subject in colleagues(c, n, prefix=f"s{start}x"):
                    ask_directly(cycle, subject, [c.peer])
            db.session.commit()

    user = login_as({"give": "peer", "report": "head", "raters": "head"}[page])
    path = {"give": run["give"], "report": run["report"], "raters": run["raters"]}[page]

    def queries():
        with count_queries() as q:
            assert user.get(path).status_code == 200
        return q.count

    grow(5, 0)
    small = queries()
    grow(45, 5)
    assert queries() == small


def test_the_subject_finds_no_request_id_nor_who_answered(app, company, run, login_as):
    request_id = _ask(app, company, run)
    with app.app_context():
        answer(db.session.get(FeedbackRequest, request_id), 4)
        db.session.commit()
    page = login_as("staff").get(run["raters"]).get_data(as_text=True)
    assert "Wang Fang" in page  # whom they asked, they know
    assert "/requests/" not in page and f"card-{request_id}" not in page
    assert "Submitted" not in page  # not who has answered
    assert str(request_id) not in [m for m in page.split('"') if m.isdigit()]


def test_how_the_score_is_computed_shows_the_peers_that_pass(app, company, run, login_as):
    from perfsite.models import ReviewKind

    from .review_factories import write_review

    with app.app_context():
        c = attached(company)
        write_review(db.session.get(Cycle, run["cycle"]), c.staff, c.head, ReviewKind.MANAGER,
                     3, 3)
        db.session.commit()
    results = f"/reviews/{run['cycle']}/people/{company.staff.id}/results"
    _peers_answer(app, company, run, 2)
    assert "(360)" not in login_as("head").get(results).get_data(as_text=True)
    _peers_answer(app, company, run, 1, start=2)
    page = login_as("head").get(results).get_data(as_text=True)
    assert "The peers&#39; ratings (360), averaged" in page or \
        "The peers' ratings (360), averaged" in page


def test_hr_stores_the_scores_again_from_the_overview(app, company, run, login_as):
    admin = f"/feedback/{run['cycle']}/admin"
    response = login_as("hr").form(admin, "/admin/recompute").submit()
    assert response.status_code == 302
    assert "recompute" not in login_as("exec").get(admin).get_data(as_text=True)


def test_a_flush_based_on_the_same_tabs_autosave_in_flight_is_saved_another_tabs_is_not(
        app, company, run, login_as):
    request_id = _ask(app, company, run)
    peer = login_as("peer")
    prefix = f"card{request_id}-"
    form = peer.form(run["give"], f"/requests/{request_id}/submit")  # v1, as the tab knew it

    def draft(text, tab, seq):
        data = {**form.fields, prefix + "keep_doing": text}
        if tab:
            data.update(draft_tab=tab, draft_seq=seq)
        return peer.client.post(f"/feedback/requests/{request_id}/draft", data=data,
                                headers={"HX-Request": "true",
                                         "X-CSRFToken": form.fields["csrf_token"]})

    assert draft("typed", "tab-one-0001", "1").status_code == 200  # v1 -> v2, answer lost
    flush = draft("typed and more", "tab-one-0001", "2")
    assert flush.status_code == 200 and "Draft saved" in flush.get_data(as_text=True)
    assert _request(app, request_id)["keep_doing"] == "typed and more"
    assert draft("other tab", "tab-two-0002", "5").status_code == 409
    assert draft("typed", "tab-one-0001", "1").status_code == 409  # late: stale
    assert draft("no script", None, None).status_code == 409
    assert _request(app, request_id)["keep_doing"] == "typed and more"
