"""Nothing typed is lost (issue 16, item 6), in Chromium: text typed into each autosaved
field and the page closed at once (well before the 800 ms autosave) is there when the page
is opened again. Closing with the browser's "leave the page?" check, the site asks first
while the save is on its way; closing without it (the tab killed), the save still lands.

Fields: the self-review and the manager review, a 360 card, the interview notes (the head's
sections and the person's own comments), an improvement-plan item. Runs on the demo company:
"2026 H2" is in review (reviews, 360); for the interview fields HR moves it on to the
feedback interviews first (tests/browser/test_interviews.py).
"""

from __future__ import annotations

import re
import time

from .conftest import check_accessibility, expect, login
from .test_interviews import _to_interviews


def close_at_once(page, *, ask: bool) -> list[str]:
    """Close the page right after typing; with `ask`, as a person closing a tab (the page
    may ask first: the question is answered "leave"). The dialogs the page raised."""
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", answer)
    with page.expect_event("close"):
        page.close(run_before_unload=ask)
    return dialogs


def reopened(context, url: str, check, tries: int = 20):
    """Open `url` in a new page until `check(page)` holds (the save left with the closed
    page and may land a moment later); the page."""
    page = context.new_page()
    for _ in range(tries):
        page.goto(url)
        if check(page):
            return page
        time.sleep(0.2)
    raise AssertionError(f"not saved: {url}")


def typed_in(page, locator, text: str) -> None:
    locator.click()
    locator.press_sequentially(text, delay=5)


def _person_id(page, name: str) -> str:
    href = page.locator("a", has_text=name).first.get_attribute("href")
    return re.search(r"/people/(\d+)", href).group(1)


def value_is(locator_of, text):
    return lambda page: locator_of(page).input_value() == text


def test_review_and_360_drafts_typed_and_closed_at_once_are_saved(open_page):
    page = open_page()
    context = page.context
    login(page, "staff")
    page.goto("/reviews/")
    page.get_by_role("link", name=re.compile("self-review", re.I)).first.click()
    expect(page.locator("h1")).to_have_text("My self-review · 2026 H2")
    review_url = page.url
    check_accessibility(page)

    # Closed as a person closes a tab: asked first (the save is on its way), then saved.
    typed_in(page, page.get_by_label("What got in the way"), "The staging cluster was down")
    assert close_at_once(page, ask=True) == ["beforeunload"]
    page = reopened(context, review_url, value_is(
        lambda p: p.get_by_label("What got in the way"), "The staging cluster was down"))

    # Killed without the question (a crash, a phone dropping the tab): saved all the same,
    # based on the version the last save gave (no conflict with its own earlier save).
    typed_in(page, page.get_by_label("What you want to learn"), "Kubernetes operators")
    assert close_at_once(page, ask=False) == []
    page = reopened(context, review_url, value_is(
        lambda p: p.get_by_label("What you want to learn"), "Kubernetes operators"))
    expect(page.get_by_label("What got in the way")).to_have_value(
        "The staging cluster was down")

    # Hidden, not closed (another tab in front): saved at once, and the page goes on
    # saving as one types, on the version that save returned.
    typed_in(page, page.get_by_label("Achievements"), "Portal search")
    page.evaluate("""() => {
        Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    expect(page.locator("#autosave-status")).to_contain_text("Draft saved at")
    page.evaluate("() => { delete document.visibilityState; }")
    with page.expect_response(lambda r: r.url.endswith("/draft")) as later:
        typed_in(page, page.get_by_label("Achievements"), " and filters")
    assert later.value.status == 200
    expect(page.locator("#autosave-status")).to_contain_text("Draft saved at")
    page.close()

    # A 360 card.
    page = context.new_page()
    page.goto("/feedback/")
    page.get_by_role("link", name="Feedback to give").first.click()
    give_url = page.url
    card = page.locator("article.feedback-card").first
    card_id = card.get_attribute("id")
    check_accessibility(page)
    typed_in(page, card.get_by_label("Keep doing"), "Clear release notes")
    assert close_at_once(page, ask=True) == ["beforeunload"]
    reopened(context, give_url, value_is(
        lambda p: p.locator(f"#{card_id}").get_by_label("Keep doing"), "Clear release notes"))


def test_the_manager_review_typed_and_closed_at_once_is_saved(open_page):
    page = open_page()
    context = page.context
    login(page, "head")
    page.goto("/reviews/")
    page.get_by_role("link", name="Open the list").first.click()
    manager_url = page.url.split("/team")[0] + "/people/{}/manager"
    page.goto(manager_url.format(_person_id(page, "Liu Yang")))
    manager_url = page.url
    expect(page.get_by_label("Overall assessment")).to_be_visible()
    typed_in(page, page.get_by_label("Overall assessment"), "Steady quarter")
    assert close_at_once(page, ask=True) == ["beforeunload"]
    reopened(context, manager_url, value_is(lambda p: p.get_by_label("Overall assessment"),
                                            "Steady quarter"))


def test_interview_notes_and_plan_items_typed_and_closed_at_once_are_saved(
        open_page, live_server):
    _to_interviews(live_server.app)
    page = open_page()
    context = page.context
    login(page, "head")
    page.goto("/interviews/")
    with page.expect_navigation():
        page.get_by_role("link", name="2026 H2").click()
    with page.expect_navigation():
        page.locator("#interview-rows").get_by_role(
            "link", name=re.compile("Open.*Liu Yang")).click()
    interview_url = page.url
    assert re.search(r"/interviews/\d+$", interview_url), interview_url
    check_accessibility(page)

    for section, text in (("prep", "Ask about on-call"), ("strengths", "Reliable releases"),
                          ("improve", "Earlier risk calls"), ("outcomes", "Pair weekly"),
                          ("reply", "Fair point")):
        typed_in(page, page.locator(f"#note-{section}-text"), text)
        assert close_at_once(page, ask=True) == ["beforeunload"], section
        page = reopened(context, interview_url, value_is(
            lambda p, s=section: p.locator(f"#note-{s}-text"), text))

    # An improvement-plan item typed and the page left before "Add the item".
    if not page.locator("#add-item-form").is_visible():
        page.locator("#add-item summary").click()
    typed_in(page, page.locator("#add-item-form").get_by_label("Action"), "Lead one retro")
    assert close_at_once(page, ask=True) == ["beforeunload"]
    page = reopened(context, interview_url,
                    lambda p: "Lead one retro" in (p.locator("#improvement-plan").text_content()
                                                   or ""))
    expect(page.locator("#plan-items")).to_contain_text("Lead one retro")
    page.close()

    # The person's own comments.
    other = open_page()
    login(other, "staff")
    other.goto(interview_url)
    typed_in(other, other.locator("#note-person-text"), "I would like more 1:1s")
    assert close_at_once(other, ask=True) == ["beforeunload"]
    reopened(other.context, interview_url, value_is(lambda p: p.locator("#note-person-text"),
                                                    "I would like more 1:1s"))


def hold_first_autosave(page, pattern: str) -> list:
    """Let the first autosave to `pattern` reach the server (it is saved there) but keep its
    answer from the page, as if the tab died while it was in flight; later ones pass. The
    held (route, response) pairs."""
    held = []

    def handle(route):
        if route.request.method == "POST" and not held:
            held.append((route, route.fetch()))
        else:
            route.continue_()

    page.route(pattern, handle)
    return held


def wait_until_held(page, held) -> None:
    for _ in range(100):
        if held:
            return
        page.wait_for_timeout(100)
    raise AssertionError("no autosave was sent")


def test_text_typed_while_an_autosave_is_in_flight_is_saved_when_the_tab_dies(open_page):
    """The flush sent when the tab dies names the version before the autosave in flight
    (its answer never came back): the server takes it all the same, as every version since
    was this tab's own (perfsite/drafts.py), so the text typed meanwhile is not lost."""
    page = open_page()
    context = page.context
    login(page, "staff")
    page.goto("/reviews/")
    page.get_by_role("link", name=re.compile("self-review", re.I)).first.click()
    review_url = page.url
    held = hold_first_autosave(page, "**/self/draft")
    typed_in(page, page.get_by_label("Achievements"), "Portal search")
    wait_until_held(page, held)
    assert held[0][1].status == 200  # saved on the server; the page never hears of it
    typed_in(page, page.get_by_label("Achievements"), " and filters")
    assert close_at_once(page, ask=False) == []
    reopened(context, review_url, value_is(
        lambda p: p.get_by_label("Achievements"), "Portal search and filters")).close()

    # A 360 card: the same.
    page = context.new_page()
    page.goto("/feedback/")
    page.get_by_role("link", name="Feedback to give").first.click()
    give_url = page.url
    card_id = page.locator("article.feedback-card").first.get_attribute("id")
    held = hold_first_autosave(page, "**/feedback/requests/*/draft")
    typed_in(page, page.locator(f"#{card_id}").get_by_label("Keep doing"), "Clear notes")
    wait_until_held(page, held)
    typed_in(page, page.locator(f"#{card_id}").get_by_label("Keep doing"), " every release")
    assert close_at_once(page, ask=False) == []
    reopened(context, give_url, value_is(
        lambda p: p.locator(f"#{card_id}").get_by_label("Keep doing"),
        "Clear notes every release"))


def test_notes_typed_while_an_autosave_is_in_flight_are_saved_when_the_tab_dies(
        open_page, live_server):
    """Interview notes: the same, and no stale save is left to settle."""
    _to_interviews(live_server.app)
    head = open_page()
    login(head, "head")
    head.goto("/interviews/")
    with head.expect_navigation():
        head.get_by_role("link", name="2026 H2").click()
    with head.expect_navigation():
        head.locator("#interview-rows").get_by_role(
            "link", name=re.compile("Open.*Liu Yang")).click()
    interview_url = head.url
    held = hold_first_autosave(head, "**/notes/strengths")
    typed_in(head, head.locator("#note-strengths-text"), "Reliable releases")
    wait_until_held(head, held)
    typed_in(head, head.locator("#note-strengths-text"), ", calm on call")
    assert close_at_once(head, ask=False) == []
    head = reopened(head.context, interview_url, value_is(
        lambda p: p.locator("#note-strengths-text"), "Reliable releases, calm on call"))
    expect(head.locator("#note-strengths")).not_to_have_class(re.compile("conflict"))
