"""What the browser tests share: opening the page and asking a question through it."""

from __future__ import annotations

from typing import Any

ANSWER_TIMEOUT_MS = 60_000


def open_page(browser: Any, url: str, errors: list[str], **options: Any) -> Any:
    """A fresh page (empty localStorage) of the app at `url`, its script errors collected in
    `errors`; returned once the examples and the knowledge-base selector are drawn."""
    from playwright.sync_api import expect

    context = browser.new_context(locale="zh-CN", **options)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(url + "/")
    expect(page.locator(".example").first).to_be_visible()
    expect(page.locator("#kb-select option").first).to_be_attached()
    return page


def ask(page: Any, question: str, timeout_ms: int = ANSWER_TIMEOUT_MS) -> Any:
    """Type a question, press Enter, wait for its finished answer card and return that card."""
    from playwright.sync_api import expect

    done = page.locator(".msg.assistant .actions, .msg.assistant.failed")
    before = done.count()
    index = page.locator(".msg.assistant").count()
    page.locator("#question").fill(question)
    page.locator("#question").press("Enter")
    expect(done).to_have_count(before + 1, timeout=timeout_ms)
    card = page.locator(".msg.assistant").nth(index)  # this card, not whichever is last
    expect(card).not_to_have_class("msg assistant failed")
    return card
