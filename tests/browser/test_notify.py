"""Chat channels in Chromium: HR adds a DingTalk and a Feishu robot on the settings page,
sends each a test message, the local receiver verifies their signatures, and the delivery
log shows both."""

from __future__ import annotations

from ..notify_support import DINGTALK_SECRET, FEISHU_SECRET
from .conftest import check_accessibility, expect, login


def _add(page, receiver, kind: str, label: str, name: str, secret: str) -> None:
    page.goto("/notify/channels/new")
    page.get_by_label("Chat service").select_option(kind)
    page.get_by_label("Name").fill(name)
    page.get_by_label("Language of its messages").select_option("zh_CN")
    page.get_by_label("Webhook address").fill(receiver.url(kind))
    page.get_by_label("Signing secret").fill(secret)
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    expect(page.locator("#flashes")).to_contain_text(name)
    expect(page.get_by_role("row", name=name)).to_contain_text(label)


def test_hr_sets_up_dingtalk_and_feishu_and_sees_both_test_messages_arrive(page, receiver):
    login(page, "hr")
    page.get_by_role("link", name="Chat channels").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chat channels")
    _add(page, receiver, "dingtalk", "DingTalk", "DingTalk all hands", DINGTALK_SECRET)
    _add(page, receiver, "feishu", "Feishu", "Feishu all hands", FEISHU_SECRET)
    # Write-only: neither secret nor the robots' addresses come back to the page.
    content = page.content()
    assert DINGTALK_SECRET not in content and FEISHU_SECRET not in content
    assert receiver.url("feishu") not in content
    check_accessibility(page)

    for name in ("DingTalk all hands", "Feishu all hands"):
        page.goto("/notify/channels")
        with page.expect_navigation():
            page.get_by_role("button", name=f"Send a test message {name}").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Delivery log")
        expect(page.get_by_text("The message arrived.")).to_be_visible()

    assert len(receiver.accepted("dingtalk")) == 1 and len(receiver.accepted("feishu")) == 1
    assert not receiver.refused()  # both signatures verified
    rows = page.locator("table.deliveries tbody tr")
    expect(rows).to_have_count(2)
    for name in ("DingTalk all hands", "Feishu all hands"):
        expect(page.get_by_role("row", name=name)).to_contain_text("Sent")
    check_accessibility(page)
