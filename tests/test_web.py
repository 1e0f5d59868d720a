"""The chat page in headless Debian chromium, against a real server with the real model."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import docx
import pytest

from rag.config import ROOT
from tests.live_server import LiveServer

# the numeric answer names its period and measure, then the figure (all verbatim but the label)
SHAANXI_ANSWER = "2022年目标:技术合同成交额达到2500亿元"

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = ROOT / "artifacts" / "screenshots"
NUMERIC = "陕西省2022年技术合同成交额目标是多少?"
FOREIGN = "广东省2021年新增多少高新技术企业?"
ANHUI = "安徽2021年新增多少家省级科技特派员工作站?"
ANSWER_TIMEOUT_MS = 60_000


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
    card = ask(page, "陕西和安徽的高新技术企业目标分别是多少?")
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
    expect(mark).to_contain_text("1500家")
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
    card.locator("details.related summary").click()
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
    card = ask(page, "陕西和安徽的高新技术企业目标分别是多少?")
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


# --- failures, filters, limits, layout, accessibility, export --------------------------------


@pytest.fixture
def quiet_page(browser: Any, server: LiveServer) -> Iterator[Any]:
    """A fresh page that must raise no script error; failed requests (a test makes them fail)
    may be logged by the browser."""
    context = _context(browser, viewport={"width": 1360, "height": 880})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and "Failed to load resource" not in msg.text
            else None
        ),
    )
    page.goto(server.url + "/")
    expect(page.locator(".example").first).to_be_visible()
    yield page
    context.close()
    assert errors == []


def send(page: Any, question: str) -> Any:
    """Type a question and press Enter; the new answer card, finished or failed."""
    done = page.locator(".msg.assistant .actions, .msg.assistant.failed")
    before = done.count()
    page.locator("#question").fill(question)
    page.locator("#question").press("Enter")
    expect(done).to_have_count(before + 1, timeout=ANSWER_TIMEOUT_MS)
    return page.locator(".msg.assistant").last


def test_server_down_says_so_keeps_the_question_and_retries(quiet_page: Any) -> None:
    page = quiet_page
    page.route("**/api/ask/stream", lambda route: route.abort("connectionrefused"))
    card = send(page, NUMERIC)
    expect(card).to_have_class("msg assistant failed")
    expect(card.locator(".error-text")).to_contain_text("无法连接到服务器")
    expect(card.locator(".error-text")).to_have_attribute("role", "alert")
    expect(page.locator("#question")).to_have_value(NUMERIC)  # nothing to type again
    shot(page, "server-down.png")
    page.unroute("**/api/ask/stream")
    card.locator("button.retry").click()
    answered = page.locator(".msg.assistant .actions")
    expect(answered).to_have_count(1, timeout=ANSWER_TIMEOUT_MS)
    # the failed exchange is replaced by the answered one, and the box is empty again
    expect(page.locator(".msg.assistant")).to_have_count(1)
    expect(page.locator(".msg.user")).to_have_count(1)
    expect(page.locator(".msg.assistant .answer-text")).to_have_text(SHAANXI_ANSWER)
    expect(page.locator("#question")).to_have_value("")


def test_wrong_key_says_so_keeps_the_question_and_retries(quiet_page: Any) -> None:
    page = quiet_page
    sent_keys: list[str | None] = []
    refusal = {
        "error": {
            "type": "unauthorized",
            "message": "the API key in the Authorization header is not valid",
        }
    }

    def unauthorized(route: Any) -> None:
        sent_keys.append(route.request.headers.get("authorization"))
        route.fulfill(
            status=401,
            content_type="application/json",
            headers={"WWW-Authenticate": "Bearer"},
            body=json.dumps(refusal),
        )

    page.route("**/api/ask/stream", unauthorized)
    page.locator("#question").fill(NUMERIC)
    page.locator("#question").press("Enter")
    dialog = page.locator("#key-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("需要访问密钥")
    page.locator("#key-input").fill("wrong-key")
    dialog.locator("button", has_text="保存").click()
    card = page.locator(".msg.assistant.failed")
    expect(card).to_have_count(1)
    assert sent_keys == [None, "Bearer wrong-key"]
    expect(card.locator(".error-text")).to_contain_text("访问密钥缺失或不正确")
    expect(page.locator("#question")).to_have_value(NUMERIC)
    page.unroute("**/api/ask/stream")
    card.locator("button.retry").click()
    expect(page.locator(".msg.assistant .answer-text")).to_have_text(
        SHAANXI_ANSWER, timeout=ANSWER_TIMEOUT_MS
    )


def test_refusal_under_a_filter_says_so_and_reads_inside_it(page: Any) -> None:
    page.locator("#toggle-filters").click()
    page.locator("#f-region").select_option("陕西省")
    card = ask(page, FOREIGN)
    expect(card).to_have_class("msg assistant refused")
    # short: the badge, one sentence, the filter; the related reading folded away
    expect(card.locator(".answer-text")).to_have_text("文档不涉及广东省。")
    expect(card.locator(".filter-note")).to_contain_text("只在筛选范围内查找：陕西省")
    related = card.locator("details.related")
    expect(related).not_to_have_attribute("open", "")
    expect(card.locator(".related-item").first).to_be_hidden()
    related.locator("summary").click()
    where = card.locator(".related-where")
    assert where.count() >= 1
    for text in where.all_inner_texts():
        # named by the document's title (never its file name), inside the filter
        assert text.startswith("中共陕西省委科技工委 陕西省科学技术厅2022年科技工作要点"), text
    shot(page, "refusal-filtered.png")
    # the offer to look everywhere asks again without the filter
    card.locator(".filter-note button").click()
    again = page.locator(".msg.assistant").last
    expect(again.locator(".actions")).to_have_count(1, timeout=ANSWER_TIMEOUT_MS)
    expect(again.locator(".filter-note")).to_have_count(0)
    expect(page.locator("#filter-badge")).to_be_hidden()


def test_comparison_is_shown_once_as_a_table(page: Any) -> None:
    card = ask(page, "陕西和安徽的高新技术企业目标分别是多少?")
    expect(card.locator("table.compare tbody tr")).to_have_count(2)
    expect(card.locator(".answer-text")).to_have_count(0)
    assert card.inner_text().count("1500家") == 1
    page.reload()
    card = page.locator(".msg.assistant").last
    expect(card.locator("table.compare tbody tr")).to_have_count(2)
    assert card.inner_text().count("1500家") == 1


def test_a_question_over_the_limit_is_announced_not_cut(page: Any) -> None:
    box = page.locator("#question")
    counter = page.locator("#question-count")
    expect(counter).to_have_attribute("role", "status")
    long = "陕西省" + "技术合同" * 125  # 503 characters; the server takes 500
    box.fill(long)
    expect(counter).to_contain_text("超出上限 500 字")
    expect(counter).to_contain_text("请删减 3 字")
    expect(box).to_have_attribute("aria-invalid", "true")
    box.press("Enter")
    page.wait_for_timeout(300)
    expect(page.locator("#thread .msg")).to_have_count(0)  # not sent
    assert box.input_value() == long  # and not cut


def test_the_limit_is_the_servers(browser: Any, server: LiveServer) -> None:
    context = _context(browser, viewport={"width": 1360, "height": 880})
    page = context.new_page()
    page.route(
        "**/api/ask/limits",
        lambda route: route.fulfill(json={"max_question_chars": 12}),
    )
    page.goto(server.url + "/")
    box = page.locator("#question")
    counter = page.locator("#question-count")
    box.fill("陕西省2022年技术合同成交额")  # 15 characters
    expect(counter).to_contain_text("超出上限 12 字")
    box.press("Backspace")
    box.press("Backspace")
    box.press("Backspace")
    expect(counter).to_have_text("12 / 12 字")
    expect(box).to_have_attribute("aria-invalid", "false")
    context.close()


def test_phone_370_examples_fit(browser: Any, server: LiveServer) -> None:
    context = _context(
        browser,
        viewport={"width": 370, "height": 780},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    page.goto(server.url + "/")
    examples = page.locator(".example")
    expect(examples.first).to_be_visible()
    assert examples.count() >= 3

    def no_horizontal_scroll() -> None:
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth,"
            " document.getElementById('messages').scrollWidth,"
            " document.getElementById('messages').clientWidth]"
        )
        assert widths[0] <= widths[1] == 370 and widths[2] <= widths[3], widths

    no_horizontal_scroll()
    for n in range(examples.count()):
        box = examples.nth(n).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 370, box
    shot(page, "phone-370.png")
    card = ask(page, FOREIGN)
    card.locator("details.related summary").click()
    no_horizontal_scroll()
    ask(page, "陕西和安徽的高新技术企业目标分别是多少?")
    no_horizontal_scroll()
    page.locator("#export-toggle").click()
    expect(page.locator("#export-menu")).to_be_in_viewport(ratio=1)
    no_horizontal_scroll()
    shot(page, "phone-370-answers.png")
    context.close()


# UI text: ASCII ,:;?!() touching a Chinese character (full-width ，：；？！（） belong there)
_MIXED = re.compile(r"[\u3400-\u9fff][,:;?!()]|[,:;?!()][\u3400-\u9fff]")
_JS_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|`(?:[^`\\]|\\.)*`')


class _HtmlText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.texts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.texts.extend(v for k, v in attrs if v and k in {"placeholder", "aria-label", "title"})


def ui_strings() -> list[tuple[str, str]]:
    """(file, text) of every string the page can show: HTML text and labels, JS literals."""
    out: list[tuple[str, str]] = []
    for path in sorted((ROOT / "web").glob("*.html")):
        parser = _HtmlText()
        parser.feed(path.read_text(encoding="utf-8"))
        out += [(path.name, t) for t in parser.texts]
    for path in sorted((ROOT / "web").glob("*.js")):
        code = path.read_text(encoding="utf-8")
        out += [(path.name, m.group(0)) for m in _JS_STRING.finditer(code)]
    return out


def test_ui_strings_use_full_width_punctuation() -> None:
    strings = ui_strings()
    assert any("，" in s for _f, s in strings) and len(strings) > 100  # the scan sees the text
    assert [(f, s) for f, s in strings if _MIXED.search(s)] == []


def test_the_scan_would_catch_ascii_punctuation() -> None:
    assert _MIXED.search("输入问题,Enter 发送") and _MIXED.search("(仅供参考)")
    assert not _MIXED.search("输入问题，Enter 发送") and not _MIXED.search("f(x, y)")


def test_focus_moves_into_the_document_and_back(page: Any) -> None:
    card = ask(page, NUMERIC)
    chip = card.locator(".cite-chip").first
    chip.focus()
    page.keyboard.press("Enter")
    mark = page.locator("#panel mark.quote")
    expect(mark).to_be_focused()
    expect(mark).to_be_in_viewport()
    page.keyboard.press("Escape")
    expect(page.locator("#panel")).to_be_hidden()
    expect(chip).to_be_focused()
    # the library: focus goes to the panel's heading, and back to the button that opened it
    page.locator("#open-library").click()
    expect(page.locator("#panel-title")).to_be_focused()
    page.locator("#panel-close").click()
    expect(page.locator("#open-library")).to_be_focused()


def test_skip_link_goes_to_the_question_box(page: Any) -> None:
    # from the end of the page round to its start: the first stop is the skip link
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement === document.body"):
            break
    page.keyboard.press("Tab")
    link = page.locator("#skip-link")
    expect(link).to_be_focused()
    expect(link).to_be_in_viewport()
    expect(link).to_have_text("跳到提问框")
    page.keyboard.press("Enter")
    expect(page.locator("#question")).to_be_focused()


# WCAG relative luminance and contrast, over the composited background of each element
_CONTRAST_JS = """
() => {
  const parse = (c) => {
    const m = /rgba?\\(([^)]+)\\)/.exec(c || "");
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, under) => ({
    r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a), a: 1,
  });
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const background = (node) => {
    const chain = [];
    for (let n = node; n && n.nodeType === 1; n = n.parentElement) chain.push(n);
    let bg = { r: 255, g: 255, b: 255, a: 1 };
    for (const n of chain.reverse()) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c && c.a > 0) bg = over(c, bg);
    }
    return bg;
  };
  const shown = (n) => n.getClientRects().length > 0 && getComputedStyle(n).visibility !== "hidden";
  const label = (n) => {
    const text = (n.textContent || n.placeholder || "").trim().slice(0, 30);
    return `${n.tagName.toLowerCase()}.${n.className} 「${text}」`;
  };
  window.__contrast = { parse, over, ratio, background, shown, label };
  const low = [];
  let checked = 0;
  for (const n of document.querySelectorAll("body *")) {
    if (!shown(n) || n.closest(":disabled, [aria-hidden=true]")) continue;
    const own = [...n.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim());
    const field = n.matches("textarea, input, select");
    if (!own && !field) continue;
    const bg = background(n);
    const colours = [getComputedStyle(n).color];
    if (n.matches("textarea, input")) colours.push(getComputedStyle(n, "::placeholder").color);
    for (const colour of colours) {
      const r = ratio(over(parse(colour), bg), bg);
      checked += 1;
      if (r < 4.5) low.push(`${label(n)} ${colour} on ${JSON.stringify(bg)}: ${r.toFixed(2)}`);
    }
  }
  return { checked, low };
}
"""

_FOCUS_JS = """
() => {
  const n = document.activeElement;
  const { parse, over, ratio, background } = window.__contrast;
  const s = getComputedStyle(n);
  const behind = background(n.parentElement || n);
  const ring = parse(s.outlineColor);
  const r = s.outlineStyle === "none" || !ring ? 0 : ratio(over(ring, behind), behind);
  return { who: window.__contrast.label(n), id: n.id, width: parseFloat(s.outlineWidth), ratio: r,
           visible: n.getClientRects().length > 0 };
}
"""


def test_contrast_of_text_timings_and_focus_rings(page: Any) -> None:
    ask(page, NUMERIC)
    refused = ask(page, FOREIGN)
    refused.locator("details.related summary").click()
    page.locator("#toggle-filters").click()
    low = page.evaluate(_CONTRAST_JS)
    assert low["checked"] > 40 and low["low"] == [], low["low"]
    timings = page.locator(".timings").first
    expect(timings).to_contain_text("总计")

    # every keyboard stop draws a ring that stands out from what is behind it
    page.evaluate("document.activeElement.blur()")
    stops: list[dict[str, Any]] = []
    for _ in range(120):
        page.keyboard.press("Tab")
        stop = page.evaluate(_FOCUS_JS)
        if stop["who"].startswith("body."):
            continue  # past the last stop, the browser's own controls
        if stops and stop["who"] == stops[0]["who"]:
            break
        stops.append(stop)
    assert len(stops) > 20
    weak = [s for s in stops if s["visible"] and (s["width"] < 2 or s["ratio"] < 4.5)]
    assert weak == []

    # the document panel too: its text, and the rings inside it
    page.locator(".msg.assistant .cite-chip").first.click()
    expect(page.locator("#panel mark.quote")).to_be_focused()
    low = page.evaluate(_CONTRAST_JS)
    assert low["low"] == [], low["low"]
    page.keyboard.press("Tab")
    stop = page.evaluate(_FOCUS_JS)
    assert stop["width"] >= 2 and stop["ratio"] >= 4.5, stop


def test_export_markdown_and_word_from_the_page(page: Any, tmp_path: Path) -> None:
    expect(page.locator("#export-toggle")).to_be_disabled()  # nothing to export yet
    ask(page, NUMERIC)
    ask(page, FOREIGN)
    page.locator("#export-toggle").click()
    menu = page.locator("#export-menu")
    expect(menu).to_be_visible()
    expect(menu.locator("button").first).to_be_focused()
    shot(page, "export-menu.png")
    with page.expect_download() as info:
        menu.locator("button", has_text="Markdown").click()
    download = info.value
    assert download.suggested_filename == "陕西省2022年技术合同成交额目标是多少.md"
    md = Path(download.path()).read_text(encoding="utf-8")
    expect(page.locator("#toast")).to_contain_text("已导出 Markdown 文件")
    assert f"## 问题 1：{NUMERIC}" in md and SHAANXI_ANSWER in md
    title = "中共陕西省委科技工委 陕西省科学技术厅2022年科技工作要点"
    assert re.search(rf"\n1\. {title} › .+\n\n   > 「.*技术合同成交额达到2500亿元", md)
    assert "**未找到答案**" in md and "文档不涉及广东省" in md

    page.locator("#export-toggle").click()
    with page.expect_download() as info:
        menu.locator("button", has_text="Word").click()
    download = info.value
    assert download.suggested_filename.endswith(".docx")
    saved = tmp_path / "conversation.docx"
    download.save_as(saved)
    texts = [p.text for p in docx.Document(str(saved)).paragraphs]
    assert f"问题 1：{NUMERIC}" in texts and SHAANXI_ANSWER in texts
    assert any(re.fullmatch(rf"1\. {title} › .+", t) for t in texts)
    assert any("技术合同成交额达到2500亿元" in t and t.startswith("「") for t in texts)
    assert "未找到答案" in texts
