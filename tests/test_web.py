"""The chat page in headless Debian chromium, against a real server with the real model."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rag.config import ROOT
from tests.live_server import LiveServer, live_server

# the numeric answer names its period and measure, then the figure (all verbatim but the label)
SHAANXI_ANSWER = "2022年目标:技术合同成交额达到2500亿元"

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
SHOTS = ROOT / "artifacts" / "screenshots"
NUMERIC = "陕西省2022年技术合同成交额目标是多少?"
FOREIGN = "广东省2021年新增多少高新技术企业?"
ANHUI = "安徽2021年新增多少家省级科技特派员工作站?"
ANSWER_TIMEOUT_MS = 60_000


@pytest.fixture(scope="session")
def server() -> LiveServer:
    return live_server()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make setup` installs the Debian chromium package")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _context(browser: Any, **options: Any) -> Any:
    # bypass_csp: the page's own CSP would stop injected handlers by itself; the tests must
    # show that the page never turns document text into markup in the first place
    return browser.new_context(
        bypass_csp=True,
        locale="zh-CN",
        permissions=["clipboard-read", "clipboard-write"],
        **options,
    )


@pytest.fixture
def page(browser: Any, server: LiveServer) -> Iterator[Any]:
    """A fresh page (empty localStorage) that must raise no script error."""
    context = _context(browser, viewport={"width": 1360, "height": 880})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(server.url + "/")
    expect(page.locator(".example").first).to_be_visible()
    yield page
    context.close()
    assert errors == []


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))


def ask(page: Any, question: str) -> Any:
    """Type a question, press Enter, wait for the finished answer card and return it."""
    done = page.locator(".msg.assistant .actions, .msg.assistant.failed")
    before = done.count()
    page.locator("#question").fill(question)
    page.locator("#question").press("Enter")
    expect(done).to_have_count(before + 1, timeout=ANSWER_TIMEOUT_MS)
    card = page.locator(".msg.assistant").last
    expect(card).not_to_have_class("msg assistant failed")
    return card


def test_numeric_question_shows_the_figure(page: Any) -> None:
    card = ask(page, NUMERIC)
    expect(card.locator(".answer-text")).to_have_text(SHAANXI_ANSWER)
    expect(card.locator(".cite-chip")).to_have_count(1)
    expect(card.locator(".timings")).to_contain_text("总计")
    shot(page, "answer.png")


def test_citation_hover_and_panel_with_highlighted_quote(page: Any) -> None:
    card = ask(page, "陕西和安徽的技术合同成交额目标分别是多少?")
    expect(card.locator("table.compare tbody tr")).to_have_count(2)
    expect(card.locator("table.compare .cite")).to_have_count(2)
    # rows follow the order the question names the places in: 陕西 first
    chip = card.locator(".cite-chip").nth(0)
    chip.hover()
    tip = page.locator("#tooltip")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("陕西省科学技术厅2022年科技工作要点")
    expect(tip.locator(".tip-path")).not_to_be_empty()
    shot(page, "compare-hover.png")
    chip.click()
    panel = page.locator("#panel")
    expect(panel).to_be_visible()
    expect(page.locator("#panel-title")).to_contain_text("陕西")
    mark = panel.locator("mark.quote")
    expect(mark).to_have_count(1)
    expect(mark).to_contain_text("2500亿元")
    expect(mark).to_be_in_viewport()
    expect(panel.locator(".crumbs")).to_contain_text("陕西")
    page.wait_for_timeout(300)
    shot(page, "citation.png")


def test_unanswerable_question_shows_the_refusal(page: Any) -> None:
    card = ask(page, FOREIGN)
    expect(card).to_have_class("msg assistant refused")
    expect(card.locator(".refusal-badge")).to_contain_text("没有找到")
    expect(card.locator(".answer-text")).to_contain_text("广东")
    assert card.locator(".related-item").count() >= 1
    expect(card.locator(".cite-chip")).to_have_count(0)
    card.locator(".related-item").first.click()
    expect(page.locator("#panel mark.quote").first).to_be_in_viewport()
    shot(page, "refusal.png")


def test_follow_up_carries_the_conversation(page: Any) -> None:
    sent: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda r: sent.append(json.loads(r.post_data)) if r.url.endswith("/ask/stream") else None,
    )
    first = ask(page, ANHUI)
    expect(first.locator(".answer-text")).to_contain_text("50家")
    second = ask(page, "那陕西呢?")
    expect(second.locator(".resolved")).to_contain_text("陕西")
    expect(second.locator(".resolved")).to_contain_text("科技特派员工作站")
    assert sent[1]["history"][0]["question"] == ANHUI
    assert sent[1]["history"][0]["answer"].endswith("50家")
    # the Shaanxi plan sets no such figure: the honest answer is a refusal with Shaanxi passages
    related = second.locator(".related-where")
    if second.get_attribute("class") == "msg assistant refused":
        expect(related.first).to_contain_text("陕西")
    shot(page, "follow-up.png")


def test_feedback_is_stored_on_the_server(page: Any, server: LiveServer) -> None:
    card = ask(page, NUMERIC)
    card.locator(".thumb.down").click()
    comment = "希望同时给出上年的数字 <b>"
    card.locator(".feedback textarea").fill(comment)
    card.locator(".feedback button[type=submit]").click()
    expect(card.locator(".thanks")).to_be_visible()
    with sqlite3.connect(server.feedback_db) as conn:
        row = conn.execute(
            "SELECT question, answer, citations, rating FROM feedback WHERE comment = ?",
            (comment,),
        ).fetchone()
    assert row is not None
    question, answer, citations, rating = row
    assert (question, answer, rating) == (NUMERIC, SHAANXI_ANSWER, -1)
    assert "2500亿元" in json.loads(citations)[0]["quote"]
    expect(card.locator(".thumb.down")).to_be_disabled()


def test_copy_answer_with_citations(page: Any) -> None:
    card = ask(page, NUMERIC)
    card.locator(".act", has_text="复制").click()
    expect(page.locator("#toast")).to_contain_text("已复制")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith(SHAANXI_ANSWER)
    assert "【1】" in copied and "技术合同成交额达到2500亿元" in copied


def test_html_in_a_document_renders_as_text(page: Any) -> None:
    page.locator("#open-library").click()
    cards = page.locator(".doc-card")
    expect(cards).to_have_count(6)
    # its title line is mostly markup, so the card is titled by the file's name (never made up)
    injected = cards.filter(has_text="999_injection")
    injected.locator("button", has_text="阅读全文").click()
    article = page.locator("#panel .doc-text")
    expect(article).to_contain_text("测试市<script>window.__x=1</script>2023年科技工作要点")
    expect(article).to_contain_text('<img src=x onerror="window.__y=1">')
    page.locator(".toc-item", has_text="基础研究").hover()
    expect(page.locator(".toc-item", has_text="<b onmouseover")).to_have_count(1)
    shot(page, "injection-document.png")
    page.locator("#panel-close").click()

    card = ask(page, "测试市2023年技术合同成交额达到多少?")
    expect(card.locator(".answer-text")).to_contain_text("123亿元")
    card.locator(".cite-chip").first.hover()
    expect(page.locator("#tooltip")).to_contain_text("<script>window.__x=1</script>")
    card.locator(".cite-chip").first.click()
    expect(page.locator("#panel mark.quote")).to_contain_text("<img src=x onerror=")
    page.wait_for_timeout(300)
    assert page.evaluate("[window.__x, window.__y, window.__z]") == [None, None, None]
    assert page.evaluate("document.querySelectorAll('img, b, #panel script').length") == 0


def test_phone_width_layout(browser: Any, server: LiveServer) -> None:
    context = _context(
        browser,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    page.goto(server.url + "/")
    expect(page.locator(".example").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    expect(page.locator("#menu")).to_be_visible()
    assert page.locator("#sidebar").bounding_box()["x"] < 0  # off-canvas until the menu opens
    card = ask(page, "陕西和安徽的技术合同成交额目标分别是多少?")
    expect(card.locator("table.compare")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "phone.png")
    card.locator(".cite-chip").first.click()
    panel = page.locator("#panel")
    expect(panel.locator("mark.quote")).to_be_in_viewport()
    assert panel.bounding_box()["width"] == pytest.approx(390, abs=1)
    shot(page, "phone-citation.png")
    page.locator("#panel-close").click()
    page.locator("#menu").click()
    expect(page.locator("#new-chat")).to_be_in_viewport()
    context.close()


def test_history_is_kept_in_the_browser(page: Any, server: LiveServer) -> None:
    ask(page, NUMERIC)
    page.reload()
    expect(page.locator("#thread .msg.user")).to_have_text(NUMERIC)
    expect(page.locator("#thread .answer-text")).to_have_text(SHAANXI_ANSWER)
    expect(page.locator(".conv-open")).to_have_count(1)
    page.locator("#new-chat").click()
    expect(page.locator("#welcome")).to_be_visible()
    expect(page.locator("#thread .msg")).to_have_count(0)
    page.locator(".conv-open").first.click()
    expect(page.locator("#thread .answer-text")).to_have_text(SHAANXI_ANSWER)
    page.locator(".conv-delete").first.click(force=True)
    expect(page.locator(".conv-open")).to_have_count(0)


def test_enter_sends_and_shift_enter_adds_a_line(page: Any) -> None:
    box = page.locator("#question")
    box.fill("第一行")
    box.press("Shift+Enter")
    box.type("第二行")
    assert box.input_value() == "第一行\n第二行"
    expect(page.locator("#thread .msg")).to_have_count(0)
    box.fill("")
    ask(page, NUMERIC)
    expect(box).to_have_value("")


def test_examples_come_from_the_documents(page: Any) -> None:
    examples = page.locator(".example-q").all_inner_texts()
    assert len(examples) >= 3
    assert any("陕西省2022年" in e for e in examples)
    # each example is answerable: an example that is refused would be a poor first impression
    for n in range(len(examples)):
        page.locator(".example").nth(n).click()
        card = page.locator(".msg.assistant")
        expect(card.locator(".actions")).to_have_count(1, timeout=ANSWER_TIMEOUT_MS)
        expect(card).to_have_class("msg assistant")
        expect(card.locator(".cite-chip").first).to_be_visible()
        page.locator("#new-chat").click()


def test_filters_are_sent_with_the_question(page: Any) -> None:
    sent: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda r: sent.append(json.loads(r.post_data)) if r.url.endswith("/ask/stream") else None,
    )
    page.locator("#toggle-filters").click()
    page.locator("#f-region").select_option("陕西省")
    page.locator("#f-year").select_option("2022")
    expect(page.locator("#filter-badge")).to_contain_text("陕西省")
    ask(page, "技术合同成交额目标是多少?")
    assert sent[0]["filters"] == {"region": "陕西省", "year": 2022}


def test_document_viewer_has_a_section_tree(page: Any) -> None:
    page.locator("#open-library").click()
    card = page.locator(".doc-card").filter(has_text="陕西省科学技术厅2022年")
    expect(card.locator("dd").first).to_be_visible()
    card.locator("button", has_text="阅读全文").click()
    toc = page.locator("#panel .toc")
    expect(toc).to_have_attribute("open", "")
    nested = toc.locator("ul ul .toc-item")
    assert nested.count() > 5
    target = nested.nth(8)
    target.click()
    section = target.get_attribute("data-section")
    expect(page.locator(f'#panel [data-section="{section}"].anchor')).to_be_in_viewport()
    shot(page, "document.png")
