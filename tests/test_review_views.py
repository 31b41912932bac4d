"""Review pages through the test client (CSRF on): autosave (htmx) and the plain form path,
the confirmation, final submissions against crafted posts, the blind self-review side by side,
results with their formula, settings, completion with nudges, calibration; query counts."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from perfsite.cycles import services as cycles
from perfsite.extensions import db
from perfsite.models import (
    AuditEvent,
    CalibrationMove,
    Cycle,
    Kpi,
    Notification,
    Person,
    Phase,
    Review,
    ReviewKind,
    ReviewSettings,
    ReviewStatus,
    utcnow,
)
from perfsite.reviews.services import reviews, scores

from .coaching_factories import approved_plan
from .conftest import FormParser
from .factories import attached, hr_admin, make_person
from .review_factories import review_cycle, review_values, write_review

SELF, MANAGER = ReviewKind.SELF, ReviewKind.MANAGER


@pytest.fixture
def run(app, company):
    """A cycle in review around Engineering (tests/review_factories.py); plain ids and urls."""
    with app.app_context():
        made = review_cycle(attached(company))
        db.session.commit()
        cycle = made.cycle.id
        return {"cycle": cycle, "kpi": made.kpi.id, "other": made.other.id,
                "self": f"/reviews/{cycle}/people/{company.staff.id}/self",
                "manager": f"/reviews/{cycle}/people/{company.staff.id}/manager",
                "results": f"/reviews/{cycle}/people/{company.staff.id}/results"}


def _write(app, company, run, who, kind, kpi_scores=4, ratings=4, submit=True, person="staff",
           **texts):
    with app.app_context():
        c = attached(company)
        cycle = db.session.get(Cycle, run["cycle"])
        write_review(cycle, getattr(c, person), getattr(c, who), kind, kpi_scores, ratings,
                     submit=submit, **texts)
        db.session.commit()


def _review(app, company, kind=SELF, person="staff"):
    with app.app_context():
        found = db.session.scalar(select(Review).where(
            Review.person_id == getattr(company, person).id, Review.kind == kind.value))
        if found is not None:
            db.session.refresh(found)
            found.scores = {s.kpi_id: s.score for s in found.kpi_scores}
            db.session.expunge(found)
        return found


def _fields(app, company, run, kpi_scores, ratings, person="staff", **texts):
    with app.app_context():
        c = attached(company)
        return review_values(db.session.get(Cycle, run["cycle"]), getattr(c, person),
                             kpi_scores, ratings, **texts)


# Writing a self-review ---------------------------------------------------------------------------

def test_the_self_review_page_has_every_kpi_and_competency_and_saves_as_one_types(
        app, company, run, login_as):
    staff = login_as("staff")
    page = staff.get(run["self"]).get_data(as_text=True)
    for text in ("Portal features", "Uptime", "Collaboration", "Learning", "What got in the way",
                 'data-hx-trigger="input changed delay:800ms"', "Save draft", "Submit…"):
        assert text in page, text
    assert f'name="kpi_{run["kpi"]}_score"' in page
    answer = staff.form(run["self"], "review-form").submit(
        {f"kpi_{run['kpi']}_score": "4", "achievements": "Shipped the portal"}, htmx=True)
    assert answer.status_code == 200
    fragment = answer.get_data(as_text=True)
    assert "Draft saved at" in fragment and "<html" not in fragment
    version = re.search(r'id="review-version" value="(\d+)" data-hx-swap-oob="true"', fragment)
    assert version, fragment
    saved = _review(app, company)
    assert saved.scores[run["kpi"]] == 4 and saved.achievements == "Shipped the portal"
    assert int(version.group(1)) == saved.version
    # Back on the page (a reload, another day): the draft is there.
    again = staff.get(run["self"]).get_data(as_text=True)
    assert "Shipped the portal" in again
    assert re.search(r'<option selected value="4">4 – Exceeds expectations</option>', again)


def test_a_stale_tab_is_told_the_draft_changed_and_can_save_over_it_explicitly(
        app, company, run, login_as):
    staff = login_as("staff")
    first = staff.form(run["self"], "review-form")
    first.submit({"achievements": "from the first tab"}, htmx=True)
    second = staff.form(run["self"], "review-form")  # loaded after the first save
    stale = staff.form(run["self"], "review-form")
    stale.fields["version"] = first.fields["version"]  # a tab opened before the first save
    assert second.submit({"achievements": "second tab, fresh"}, htmx=True).status_code == 200
    answer = stale.submit({"achievements": "stale tab"}, htmx=True)
    assert answer.status_code == 409
    fragment = answer.get_data(as_text=True)
    assert "Not saved: this draft changed elsewhere." in fragment
    assert 'hx-swap-oob' not in fragment  # the stale tab keeps its version: told again next time
    assert _review(app, company).achievements == "second tab, fresh"
    current = re.search(r'name="overwrite_version" value="(\d+)"', fragment).group(1)
    kept = stale.submit({"achievements": "stale tab, kept", "overwrite_version": current})
    assert kept.status_code == 302
    assert _review(app, company).achievements == "stale tab, kept"


def test_without_javascript_a_stale_save_shows_the_page_with_the_conflict(
        app, company, run, login_as):
    staff = login_as("staff")
    stale = staff.form(run["self"], "review-form")
    staff.form(run["self"], "review-form").submit({"learning": "newer"})
    stale.fields["version"] = ""  # opened before the draft existed
    answer = stale.submit({"learning": "older", "achievements": "kept in the form"})
    assert answer.status_code == 409
    page = answer.get_data(as_text=True)
    assert "Not saved: this draft changed elsewhere." in page
    assert "kept in the form</textarea>" in page
    assert re.search(r'id="review-version" value=""', page)  # still the stale version
    assert re.search(r'name="overwrite_version" value="\d+"', page)
    assert _review(app, company).learning == "newer"


def test_without_javascript_save_draft_is_a_plain_post(app, company, run, login_as):
    staff = login_as("staff")
    answer = staff.form(run["self"], "review-form").submit({"learning": "Go"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("#review-form")
    assert "Draft saved." in staff.get(run["self"]).get_data(as_text=True)
    assert _review(app, company).learning == "Go"


def test_a_bad_score_is_not_saved_and_says_why(app, company, run, login_as):
    staff = login_as("staff")
    form = staff.form(run["self"], "review-form")
    answer = form.submit({f"kpi_{run['kpi']}_score": "9"}, htmx=True)
    assert answer.status_code == 422
    assert "Not saved:" in answer.get_data(as_text=True)
    assert _review(app, company) is None


def test_submit_checks_completeness_beside_each_field_and_saves_nothing(
        app, company, run, login_as):
    staff = login_as("staff")
    form = staff.form(run["self"], "review-form")
    form.action = run["self"] + "/submit"
    answer = form.submit({f"kpi_{run['kpi']}_score": "4", "achievements": "typed"})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert re.search(rf'id="kpi_{run["other"]}_score-error">Score this KPI before submitting',
                     page)
    assert "Rate this competency before submitting." in page
    assert "typed</textarea>" in page  # what was typed stays in the form
    assert _review(app, company) is None


def test_submit_asks_for_confirmation_and_a_double_click_submits_once(
        app, company, run, login_as):
    staff = login_as("staff")
    form = staff.form(run["self"], "review-form")
    form.action = run["self"] + "/submit"
    confirm = form.submit(_fields(app, company, run, [5, 3], 4))
    assert confirm.status_code == 200
    page = confirm.get_data(as_text=True)
    assert "Submit your self-review?" in page and "Submit now" in page
    assert _review(app, company).status == ReviewStatus.DRAFT
    submit_now = next(f for f in FormParser.parse(page) if f.id == "confirm-submit")
    submit_now.client, submit_now.page = staff, run["self"]
    assert submit_now.submit().status_code == 302
    again = submit_now.submit()  # the second click of a double click
    assert again.status_code == 409
    assert "submitted and final" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Review.id))) == 1
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "review.submitted")) == 1
    assert "Submitted" in staff.get(run["self"]).get_data(as_text=True)


def test_crafted_posts_cannot_change_or_submit_a_submitted_or_incomplete_review(
        app, company, run, login_as):
    _write(app, company, run, "staff", SELF, 4, 4, submit=False)
    staff = login_as("staff")
    draft = _review(app, company)
    # An incomplete draft, submitted by hand: refused, still a draft.
    values = _fields(app, company, run, [4, None], 4)
    staff.post_form(run["self"] + "/draft", {**values, "version": draft.version},
                    token_from=run["self"])
    draft = _review(app, company)
    refused = staff.post_form(run["self"] + "/submit",
                              {"confirmed": "1", "version": draft.version},
                              token_from=run["self"])
    assert refused.status_code == 422
    assert "Score this KPI before submitting." in refused.get_data(as_text=True)
    assert _review(app, company).status == ReviewStatus.DRAFT
    # Submitted: no post changes it any more.
    _write(app, company, run, "staff", SELF, 4, 4)
    done = _review(app, company)
    for path, data in (("/draft", {**_fields(app, company, run, 1, 1),
                                   "version": done.version}),
                       ("/submit", {"confirmed": "1", "version": done.version}),
                       ("/submit", {**_fields(app, company, run, 1, 1),
                                    "version": done.version})):
        answer = staff.post_form(run["self"] + path, data, token_from=run["self"])
        assert answer.status_code == 409, path
        assert "submitted and final" in answer.get_data(as_text=True)
        htmx = staff.htmx("POST", run["self"] + path, data, token_from=run["self"])
        assert htmx.status_code == 409
        if path == "/draft":  # the autosave says why: final, not "changed elsewhere"
            said = htmx.get_data(as_text=True)
            assert "submitted and final" in said and "changed elsewhere" not in said
    after = _review(app, company)
    assert after.version == done.version and set(after.scores.values()) == {4}




def test_an_old_tab_saving_over_a_submitted_review_is_told_it_is_submitted(
        app, company, run, login_as):
    """Issue 16, item 8: a draft tab left open while the review was submitted elsewhere
    autosaves with its old version; the answer says the review is submitted, not that the
    draft "changed elsewhere" (which invites saving over it)."""
    staff = login_as("staff")
    old_tab = staff.form(run["self"], "review-form")
    old_tab.submit({"achievements": "first words"}, htmx=True)
    _write(app, company, run, "staff", SELF, 4, 4)  # submitted in another tab
    for htmx in (True, False):
        answer = old_tab.submit({"achievements": "typed in the old tab"}, htmx=htmx)
        assert answer.status_code == 409
        said = answer.get_data(as_text=True)
        assert "submitted and final" in said, said
        assert "changed elsewhere" not in said and "overwrite_version" not in said
    assert _review(app, company).status == ReviewStatus.SUBMITTED
@pytest.mark.parametrize("who", ["head", "hr", "exec", "colleague", "sales.head"])
def test_nobody_else_writes_someones_self_review(app, company, run, login_as, who):
    client = login_as(who)
    answer = client.post_form(run["self"] + "/draft", _fields(app, company, run, 1, 1))
    assert answer.status_code == 403
    assert _review(app, company) is None


# The head's side ---------------------------------------------------------------------------------

def test_the_head_sees_the_self_review_only_once_submitted_then_side_by_side(
        app, company, run, login_as):
    _write(app, company, run, "staff", SELF, [5, 3], 4, submit=False,
           achievements="Secret draft words")
    head = login_as("head")
    page = head.get(run["manager"]).get_data(as_text=True)
    assert "Liu Yang has not submitted their self-review yet" in page
    assert "Secret draft words" not in page
    assert head.get(run["self"]).status_code == 200
    assert "Secret draft words" not in head.get(run["self"]).get_data(as_text=True)
    with app.app_context():
        review = db.session.scalar(select(Review))
        reviews.submit(review, db.session.get(Person, company.staff.id),
                       expected_version=review.version, now=utcnow())
        db.session.commit()
    page = head.get(run["manager"]).get_data(as_text=True)
    assert "Secret draft words" in page and "Liu Yang's self-review" in page
    assert "5 – Far exceeds expectations" in page  # staff's own score beside the head's field
    assert 'class="side-by-side"' in page


def test_the_head_lists_their_people_sorted_with_the_next_action(app, company, run, login_as):
    _write(app, company, run, "staff", SELF, 4, 4)
    _write(app, company, run, "head", MANAGER, 3, 3, submit=False, person="colleague")
    head = login_as("head")
    url = f"/reviews/{run['cycle']}/team"
    page = head.get(url).get_data(as_text=True)
    # by my review's state: not started first, then drafts
    assert page.index("Liu Yang") < page.index("Sam Okafor")
    assert "Continue the review" in page and "Write the review" in page
    by_name = head.htmx("GET", url, {"sort": "name"})
    fragment = by_name.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="team-rows">')
    assert fragment.index("Liu Yang") < fragment.index("Sam Okafor")
    descending = head.get(url + "?sort=name&dir=desc").get_data(as_text=True)
    assert descending.index("Sam Okafor") < descending.index("Liu Yang")
    assert 'aria-sort="descending"' in descending
    assert "Nobody in this cycle has you as their reviewer." in login_as("staff").get(
        url).get_data(as_text=True)


def test_the_head_writes_and_submits_the_manager_review(app, company, run, login_as):
    head = login_as("head")
    form = head.form(run["manager"], "review-form")
    form.action = run["manager"] + "/submit"
    confirm = form.submit({**_fields(app, company, run, [4, 3], [4, 3, 4, 5]),
                           "overall": "A strong half year"})
    assert confirm.status_code == 200 and "Submit your review of Liu Yang?" in \
        confirm.get_data(as_text=True)
    submit_now = head.form(run["manager"], "review-form")  # the draft saved meanwhile
    assert submit_now.fields["overall"] == "A strong half year"
    review = _review(app, company, MANAGER)
    answer = head.post_form(run["manager"] + "/submit",
                            {"confirmed": "1", "version": review.version},
                            token_from=run["manager"])
    assert answer.status_code == 302
    with app.app_context():
        result = scores.get_result(db.session.get(Cycle, run["cycle"]),
                                   db.session.get(Person, company.staff.id))
        assert str(result.final_score) == "3.83"  # no self-review: (60×3.75 + 30×4) / 90


def test_hr_reopens_a_submitted_review_but_cannot_edit_one(app, company, run, login_as):
    _write(app, company, run, "staff", SELF, 4, 4)
    hr = login_as("hr")
    page = hr.get(run["self"]).get_data(as_text=True)
    assert "Reopen this review" in page and 'id="review-form"' not in page
    assert hr.post_form(run["self"] + "/draft", _fields(app, company, run, 1, 1)).status_code \
        == 403
    refused = hr.form(run["self"], "/reopen").submit({"reopen-reason": ""})
    assert refused.status_code == 422
    answer = hr.form(run["self"], "/reopen").submit({"reopen-reason": "Wrong KPI scored"})
    assert answer.status_code == 302
    assert _review(app, company).status == ReviewStatus.DRAFT
    with app.app_context():
        assert db.session.scalar(select(Notification.kind).where(
            Notification.recipient_id == company.staff.id,
            Notification.kind != "plan_approved")) == "self_review_reopened"
    assert "Reopen this review" not in login_as("head").get(run["self"]).get_data(as_text=True)


# Results -----------------------------------------------------------------------------------------

def test_results_show_every_step_of_the_formula_with_the_numbers(app, company, run, login_as):
    _write(app, company, run, "head", MANAGER, [4, 3], [4, 3, 4, 5])
    _write(app, company, run, "staff", SELF, [5, 3], 4)
    page = login_as("head").get(run["results"]).get_data(as_text=True)
    for text in ("How is this computed?", "(75 × 4 + 25 × 3) / 100 = <strong>3.75</strong>",
                 "(4 + 3 + 4 + 5) / 4 = <strong>4.00</strong>",
                 "(75 × 5 + 25 × 3) / 100 = <strong>4.50</strong>",
                 "(60 × 3.75 + 30 × 4.00 + 10 × 4.50) / 100 = <strong>3.90</strong>",
                 "3.90 is in band A (3.75–4.49)."):
        assert text in page, text
    assert '<details class="formula card" id="formula">' in page


def test_a_person_sees_their_results_from_the_interviews_on(app, company, run, login_as):
    _write(app, company, run, "head", MANAGER, [4, 3], [4, 3, 4, 5])
    staff = login_as("staff")
    early = staff.get(run["results"])
    assert early.status_code == 200
    assert "3.83" not in early.get_data(as_text=True)
    assert "from the feedback interviews on" in early.get_data(as_text=True)
    with app.app_context():
        cycle = db.session.get(Cycle, run["cycle"])
        for step in (Phase.CALIBRATION, Phase.INTERVIEWS):
            cycles.move_phase(cycle, hr_admin(), step)
        db.session.commit()
    page = staff.get(run["results"]).get_data(as_text=True)
    assert "(60 × 3.75 + 30 × 4.00) / 90 = <strong>3.83</strong>" in page
    assert 'id="renormalised"' in page
    assert login_as("colleague").get(run["results"]).status_code == 403


# Settings ----------------------------------------------------------------------------------------

def test_hr_edits_the_review_settings_and_sees_every_problem_beside_its_field(
        app, company, login_as):
    url = f"/reviews/{company.cycle.id}/settings"  # 2027 H1, in planning
    hr = login_as("hr")
    page = hr.get(url).get_data(as_text=True)
    assert "These are the defaults" in page and "Far exceeds expectations" in page
    form = hr.form(url, "settings-form")
    bad = form.submit({"self_weight": "5", "band_1_low": "3.70", "competency_4_name": "Craft"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "The component weights add up to 95%; 5 short of 100%." in text
    assert "Bands A and S overlap" not in text  # A 3.70–4.49 and B ends 3.74: they overlap
    assert "Bands B and A overlap: B ends at 3.74 and A starts at 3.70." in text
    with app.app_context():
        assert db.session.scalar(select(func.count(ReviewSettings.id))) == 0
    good = form.submit({"competency_4_name": "Craft", "competency_4_name_zh": "技艺",
                        "competency_0_remove": "y"})
    assert good.status_code == 302
    page = hr.get(url).get_data(as_text=True)
    assert "Review settings saved." in page and 'value="Craft"' in page
    assert 'value="Collaboration"' not in page
    exec_page = login_as("exec").get(url)
    assert exec_page.status_code == 200 and 'id="settings-form"' not in \
        exec_page.get_data(as_text=True)
    assert login_as("exec").post_form(url, {}).status_code == 403


def test_settings_lock_once_review_opens(app, company, run, login_as):
    page = login_as("hr").get(f"/reviews/{run['cycle']}/settings").get_data(as_text=True)
    assert 'id="settings-form"' not in page and 'id="settings-locked"' in page
    refused = login_as("hr").post_form(f"/reviews/{run['cycle']}/settings",
                                       {"goals_weight": "100"})
    assert refused.status_code in (409, 422)
    with app.app_context():
        assert db.session.scalar(select(func.count(ReviewSettings.id))) == 0


# Completion and nudges ---------------------------------------------------------------------------

def test_hr_sees_completion_and_nudges_the_late_ones(app, company, run, login_as):
    _write(app, company, run, "staff", SELF, 4, 4)
    hr = login_as("hr")
    url = f"/reviews/{run['cycle']}/completion"
    page = hr.get(url).get_data(as_text=True)
    assert re.search(r"Engineering</a></th>\s*<td[^>]*>2</td>\s*<td[^>]*>1 / 2</td>", page)
    late = hr.htmx("GET", url, {"late": "y"}).get_data(as_text=True)
    assert late.lstrip().startswith('<div id="completion-results">')
    assert "Liu Yang" in late and "Sam Okafor" in late  # staff's manager review is missing
    answer = hr.form(url, "nudge-form").submit()
    assert answer.status_code == 302
    assert "Reminders sent: 1 person to write" in hr.get(url).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Notification.id)).where(
            Notification.kind.in_(["self_review_nudge", "manager_review_nudge"]))) == 2
    assert login_as("head").get(url).status_code == 403
    assert login_as("exec").post_form(url + "/nudge").status_code == 403


def test_the_to_do_list_links_to_the_self_review_and_the_team(app, company, run, login_as):
    page = login_as("staff").get("/coaching/todos").get_data(as_text=True)
    assert f'href="{run["self"]}">Write your self-review for 2026 H2' in page
    page = login_as("head").get("/coaching/todos").get_data(as_text=True)
    assert f'href="/reviews/{run["cycle"]}/team">Review 2 reports for 2026 H2' in page


# Calibration -------------------------------------------------------------------------------------

@pytest.fixture
def calibrating(app, company, run):
    _write(app, company, run, "head", MANAGER, [4, 3], [4, 3, 4, 5])
    _write(app, company, run, "head", MANAGER, 2, 2, person="colleague")
    with app.app_context():
        cycles.move_phase(db.session.get(Cycle, run["cycle"]), hr_admin(), Phase.CALIBRATION)
        db.session.commit()
    return {**run, "page": f"/reviews/{run['cycle']}/calibration"}


def test_the_calibration_page_draws_the_distribution_as_svg_with_a_table(
        app, company, calibrating, login_as):
    page = login_as("hr").get(calibrating["page"]).get_data(as_text=True)
    assert re.search(r'<svg class="chart-svg"[^>]*role="img"[^>]*aria-labelledby="chart-\d+-title',
                     page)
    assert "<title id=" in page and "style=" not in page
    assert re.search(r'<th scope="row" data-label="Rating">A</th>\s*'
                     r'<td class="num" data-label="Engineering \(2 people\)">50%</td>', page)
    assert "at most 10%" in page  # the guidance
    filtered = login_as("exec").htmx("GET", calibrating["page"],
                                     {"department_id": company.sales.id})
    assert filtered.get_data(as_text=True).lstrip().startswith('<div id="calibration-results">')
    assert "Nobody has a rating here yet." in filtered.get_data(as_text=True)
    assert login_as("head").get(calibrating["page"]).status_code == 403


def test_hr_moves_a_rating_with_a_reason_in_place_and_it_shows_everywhere(
        app, company, calibrating, login_as):
    hr = login_as("hr")
    form = hr.form(calibrating["page"], f"/people/{company.staff.id}/calibrate")
    prefix = f"move{company.staff.id}-"
    refused = form.submit({prefix + "to_band": "B", prefix + "reason": ""}, htmx=True)
    assert refused.status_code == 422
    assert "This field is required." in refused.get_data(as_text=True) or \
        "Give a reason" in refused.get_data(as_text=True)
    moved = form.submit({prefix + "to_band": "B", prefix + "reason": "In line with the team"},
                        htmx=True)
    assert moved.status_code == 200
    fragment = moved.get_data(as_text=True)
    assert "In line with the team" in fragment and "A → <strong>B</strong>" in fragment
    with app.app_context():
        assert db.session.scalar(select(func.count(CalibrationMove.id))) == 1
    results = hr.get(calibrating["results"]).get_data(as_text=True)
    assert re.search(r'id="final-rating">B', results)
    assert re.search(r'id="original-rating">A', results)
    assert "In line with the team" in results and "How is this computed?" in results
    # Without JavaScript: the move is its own page, and a redirect back.
    page = hr.get(f"/reviews/{calibrating['cycle']}/people/{company.colleague.id}/calibrate")
    assert page.status_code == 200
    prefix = f"move{company.colleague.id}-"
    plain = hr.form(f"/reviews/{calibrating['cycle']}/people/{company.colleague.id}/calibrate",
                    "/calibrate").submit({prefix + "to_band": "B", prefix + "reason": "Fair"})
    assert plain.status_code == 302 and "/calibration" in plain.headers["Location"]


# Query counts ------------------------------------------------------------------------------------

def _grow_team(app, company, run, count, start=0):
    """`count` more people in Engineering, each with an approved plan in the review cycle,
    a self-review submitted, a manager review submitted; the cycle then in calibration when
    it is."""
    with app.app_context():
        c = attached(company)
        cycle = db.session.get(Cycle, run["cycle"])
        goal = db.session.get(Kpi, run["kpi"]).goal
        phase = cycle.phase
        if phase != Phase.PLANNING.value:
            cycle.phase = Phase.PLANNING.value  # plans are approved in planning
        for i in range(start, start + count):
            person = make_person(f"extra{i}", c.eng, manager=c.head)
            approved_plan(cycle, person, c.head, [(f"KPI {i}", goal, "100")])
        cycle.phase = Phase.REVIEW.value
        db.session.flush()
        for i in range(start, start + count):
            person = db.session.scalar(select(Person).filter_by(username=f"extra{i}"))
            write_review(cycle, person, person, SELF, 3, 3)
            write_review(cycle, person, c.head, MANAGER, 1 + i % 5, 1 + i % 5)
        cycle.phase = phase
        db.session.commit()


@pytest.mark.parametrize("page", ["team", "review", "calibration"])
def test_review_pages_run_the_same_queries_for_5_or_50_people(app, company, run, login_as,
                                                             count_queries, page):
    if page == "calibration":
        with app.app_context():
            cycle = db.session.get(Cycle, run["cycle"])
            cycles.move_phase(cycle, hr_admin(), Phase.CALIBRATION)
            db.session.commit()
    user = login_as("hr" if page == "calibration" else "head")
    path = {"team": f"/reviews/{run['cycle']}/team", "review": run["manager"],
            "calibration": f"/reviews/{run['cycle']}/calibration"}[page]

    def queries():
        with count_queries() as q:
            assert user.get(path).status_code == 200
        return q.count

    _grow_team(app, company, run, 3)  # Engineering: head, staff, colleague + 3 with plans
    small = queries()
    _grow_team(app, company, run, 45, start=3)
    assert queries() == small


def test_moving_to_calibration_says_what_is_missing_and_calibration_lists_who_has_no_score(
        app, company, run, login_as):
    """Issue 16, item 10: HR is shown, before the move, how many self and manager reviews
    are missing per department (with links to who is late); after it, calibration lists
    the people without a final score instead of leaving them out."""
    _write(app, company, run, "staff", SELF, 4, 4)
    _write(app, company, run, "head", MANAGER, 4, 4)
    _write(app, company, run, "head", MANAGER, 3, 3, submit=False, person="colleague")
    hr = login_as("hr")
    confirm = hr.get(f"/cycles/{run['cycle']}/phase?to=calibration")
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    row = re.search(r'<tr id="missing-\d+">(.*?)</tr>', page, re.S).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    assert "Engineering" in row
    assert [re.sub(r"<[^>]+>", "", c).strip() for c in cells] == ["1", "1", "0"]
    assert f"/reviews/{run['cycle']}/completion?department_id=" in row and "late=1" in row
    form = hr.form(f"/cycles/{run['cycle']}/phase?to=calibration", "/phase")
    assert form.submit().status_code == 302
    calibration = hr.get(f"/reviews/{run['cycle']}/calibration").get_data(as_text=True)
    listed = re.search(r'<section aria-labelledby="without-score-heading".*?</section>',
                       calibration, re.S)
    assert listed, "the people without a final score are not listed"
    assert "Sam Okafor" in listed.group(0) and "Liu Yang" not in listed.group(0)
    assert "Without a final score" in calibration and "(1)" in listed.group(0)


def test_the_results_page_links_to_the_printable_review(app, company, run, login_as):
    """Issue 16, item 13 (results): the printable review is one click from the results."""
    _write(app, company, run, "staff", SELF, 4, 4)
    _write(app, company, run, "head", MANAGER, 4, 4)
    hr = login_as("hr")
    page = hr.get(run["results"]).get_data(as_text=True)
    link = re.search(r'<a href="(/reports/\d+/people/\d+)"[^>]*>Printable review</a>', page)
    assert link, "no link to the printable review"
    assert link.group(1) == f"/reports/{run['cycle']}/people/{company.staff.id}"
    assert hr.get(link.group(1)).status_code == 200


@pytest.mark.parametrize("kind", ["self", "manager"])
def test_a_flush_based_on_the_same_tabs_autosave_in_flight_is_saved_another_tabs_is_not(
        app, company, run, login_as, kind):
    """A tab died with its autosave in flight: autosave.js flushed what was typed, based on
    the version before that autosave's answer. Same tab (token), higher number: saved."""
    writer, field = ("staff", "achievements") if kind == "self" else ("head", "overall")
    person = login_as(writer)
    started = person.form(run[kind], "review-form")
    started.submit({field: "started", "draft_tab": "tab-one-0001", "draft_seq": "1"},
                   htmx=True)
    loaded = person.form(run[kind], "review-form")  # the page as the tab knew it: v1
    autosave = loaded.submit({field: "typed", "draft_tab": "tab-one-0001", "draft_seq": "2"},
                             htmx=True)
    assert autosave.status_code == 200  # v1 -> v2; its answer never reached the dead tab
    flush = loaded.submit({field: "typed and more", "draft_tab": "tab-one-0001",
                           "draft_seq": "3"}, htmx=True)
    assert flush.status_code == 200, flush.get_data(as_text=True)
    assert getattr(_review(app, company, ReviewKind(kind)), field) == "typed and more"
    other = loaded.submit({field: "other tab", "draft_tab": "tab-two-0002", "draft_seq": "9"},
                          htmx=True)
    assert other.status_code == 409
    assert "Not saved: this draft changed elsewhere." in other.get_data(as_text=True)
    late = loaded.submit({field: "typed", "draft_tab": "tab-one-0001", "draft_seq": "2"},
                         htmx=True)  # the autosave's request again, reordered: stale
    assert late.status_code == 409
    no_script = loaded.submit({field: "no script"})  # no tab fields: today's rule
    assert no_script.status_code == 409
    assert getattr(_review(app, company, ReviewKind(kind)), field) == "typed and more"
