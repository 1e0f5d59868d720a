"""The knowledge-base view of the page in headless Debian chromium, against the real server:
a new base, an upload followed to its end, a question answered from it without a restart,
removal with confirmation and its undo."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import docx
import pytest

from rag.config import ROOT
from tests.browser import ask, open_page
from tests.live_server import LiveServer
from tests.test_web import _CONTRAST_JS  # the page's own contrast check (WCAG, 4.5:1)

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOT = ROOT / "docs" / "screenshot-library.png"
KB = "云台测试"  # a base of its own: the seed base other browser tests count stays as it was
PLAN_TITLE = "云台区2033年科技工作要点"
PLAN_LINES = [
    PLAN_TITLE,
    "云台区科学技术局",
    "一、主要目标",
    "新增孵化器7家,新增高新技术企业15家。",
    "二、重点任务",
    "(一)建设创新载体",
    "推进孵化器和众创空间建设,完善孵化服务体系。",
]
OTHER_PLAN = "\n\n".join(
    [
        "海港区2033年科技工作要点",
        "一、主要目标",
        "技术合同成交额达到9亿元。",
    ]
)
QUESTION = "云台区2033年新增孵化器多少家?"
JOB_TIMEOUT_MS = 180_000


@pytest.fixture
def page(browser: Any, server: LiveServer) -> Iterator[Any]:
    """A fresh page (empty localStorage) that must raise no script error."""
    errors: list[str] = []
    page = open_page(browser, server.url, errors, viewport={"width": 1360, "height": 880})
    yield page
    page.context.close()
    assert errors == []


def _plan_docx(path: Path) -> Path:
    document = docx.Document()
    for line in PLAN_LINES:
        document.add_paragraph(line)
    document.save(str(path))
    return path


def _create_kb(page: Any, name: str) -> None:
    page.locator("#open-library").click()
    if page.locator("#kb-select option", has_text=name).count():
        page.locator("#kb-select").select_option(name)
        return
    page.locator("#kb-name").fill(name)
    page.locator("#kb-form button[type=submit]").click()
    expect(page.locator("#kb-message")).to_contain_text(f"已新建知识库「{name}」")
    expect(page.locator("#kb-select")).to_have_value(name)
    expect(page.locator("#upload-kb")).to_have_value(name)


def _upload(page: Any, files: list[Path]) -> Any:
    """Choose the files, press 上传 and wait for the bar to reach 完成; the status box."""
    page.locator("#upload-files").set_input_files([str(f) for f in files])
    expect(page.locator("#upload-chosen")).to_contain_text(f"已选 {len(files)} 个文件：")
    page.locator("#upload-send").click()
    bar = page.locator("#upload-progress")
    expect(bar).to_have_attribute("data-stage", "done", timeout=JOB_TIMEOUT_MS)
    expect(bar).to_have_attribute("value", "100")
    status = page.locator("#upload-status")
    expect(status.locator(".job-stage")).to_have_text("进度：完成")
    return status


def test_upload_ask_remove_and_undo(page: Any, tmp_path: Path) -> None:
    plan = _plan_docx(tmp_path / f"{PLAN_TITLE}.docx")
    other = tmp_path / "海港区2033年科技工作要点.md"
    other.write_text(OTHER_PLAN, encoding="utf-8")
    wrong = tmp_path / "说明.exe"
    wrong.write_bytes(b"MZ\x00\x00")

    _create_kb(page, KB)
    expect(page.locator("#library-note")).to_contain_text("还没有文件")
    # every stage the bar shows, in order, as the page draws it
    page.evaluate(
        """() => {
          window.__stages = [];
          new MutationObserver(() => {
            const bar = document.getElementById("upload-progress");
            const label = document.getElementById("upload-stage");
            const seen = bar && `${bar.dataset.stage} ${bar.value} ${label.textContent}`;
            if (seen && window.__stages.at(-1) !== seen) window.__stages.push(seen);
          }).observe(document.getElementById("panel-body"), { childList: true, subtree: true });
        }"""
    )
    status = _upload(page, [plan, other, wrong])
    stages = page.evaluate("window.__stages")
    assert stages[0].startswith("upload 0 进度：上传中（3 个文件）"), stages
    assert stages[-1] == "done 100 进度：完成", stages
    values = [int(s.split()[1]) for s in stages if not s.startswith("failed")]
    assert values == sorted(values), stages  # the bar never goes back
    expect(status.locator(".file-error")).to_have_count(1)
    expect(status.locator(".file-error")).to_have_text("说明.exe：未收录（不支持 .exe 类型的文件）")
    expect(status.locator(".file-ok")).to_have_count(2)
    expect(status.locator(".job-done")).to_contain_text(f"完成：知识库「{KB}」现有 2 份文件")
    # the list refreshed by itself
    cards = page.locator("#library-docs .doc-card")
    expect(cards).to_have_count(2)
    expect(cards.filter(has_text=PLAN_TITLE)).to_have_count(1)
    expect(page.locator("#kb-select option", has_text=KB)).to_have_text(f"{KB}（2 份）")
    low = page.evaluate(_CONTRAST_JS)
    assert low["checked"] > 30 and low["low"] == [], low["low"]
    page.locator("#panel-body").evaluate("b => { b.scrollTop = 0; }")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    page.locator("#panel-close").click()

    # asked in the selected base, without a restart; the citation opens in that base
    sent: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda r: sent.append(json.loads(r.post_data)) if r.url.endswith("/ask/stream") else None,
    )
    card = ask(page, QUESTION)
    assert sent[-1]["kbs"] == [KB]
    expect(card.locator(".answer-text")).to_contain_text("7家")
    chip = card.locator(".cite-chip").first
    expect(chip).to_contain_text("云台")
    with page.expect_request(
        lambda r: f"kb={quote(KB, safe='')}" in r.url and "/api/documents/" in r.url
    ):
        chip.click()
    expect(page.locator("#panel-title")).to_have_text(PLAN_TITLE)
    expect(page.locator("#panel mark.quote")).to_contain_text("7家")

    # 全部知识库: every base that holds documents, answered together
    page.locator("#kb-select").select_option(label="全部知识库")
    card = ask(page, QUESTION)
    assert len(sent[-1]["kbs"]) >= 2 and KB in sent[-1]["kbs"] and "plans" in sent[-1]["kbs"]
    expect(card.locator(".answer-text")).to_contain_text("7家")
    page.locator("#kb-select").select_option(KB)

    # removal: a confirmation dialog, the card goes, a toast offers 撤销
    page.locator("#open-library").click()
    dialogs: list[str] = []

    def accept(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    cards.filter(has_text=PLAN_TITLE).locator("button", has_text="删除").click()
    expect(cards).to_have_count(1)
    assert dialogs == [f"确定从知识库「{KB}」删除《{PLAN_TITLE}》吗？删除后短时间内可以撤销。"]
    expect(cards.filter(has_text=PLAN_TITLE)).to_have_count(0)
    toast = page.locator("#toast")
    expect(toast).to_be_visible()
    expect(toast).to_contain_text(f"已删除《{PLAN_TITLE}》")
    undo = toast.locator("button", has_text="撤销")
    expect(undo).to_be_focused()
    expect(page.locator("#kb-select option", has_text=KB)).to_have_text(f"{KB}（1 份）")
    low = page.evaluate(_CONTRAST_JS)
    assert low["low"] == [], low["low"]

    undo.click()
    expect(toast).to_contain_text(f"已恢复《{PLAN_TITLE}》")
    expect(cards).to_have_count(2)
    expect(cards.filter(has_text=PLAN_TITLE)).to_have_count(1)
    card = ask(page, QUESTION)
    expect(card.locator(".answer-text")).to_contain_text("7家")


def test_dismissed_confirmation_keeps_the_document(page: Any) -> None:
    page.locator("#open-library").click()
    cards = page.locator("#library-docs .doc-card")
    expect(cards).not_to_have_count(0)
    before = cards.count()
    page.once("dialog", lambda dialog: dialog.dismiss())
    cards.first.locator("button", has_text="删除").click()
    page.wait_for_timeout(500)
    expect(cards).to_have_count(before)
    expect(page.locator("#toast")).to_be_hidden()


def test_progress_falls_back_to_polling(page: Any, tmp_path: Path) -> None:
    # an event stream that ends at once (a proxy that buffers, say): the page polls the job
    page.route(
        "**/api/jobs/*/events",
        lambda route: route.fulfill(status=200, content_type="text/event-stream", body=""),
    )
    polled: list[str] = []
    page.on("request", lambda r: polled.append(r.url) if "/api/jobs/" in r.url else None)
    _create_kb(page, KB)
    note = tmp_path / "云台区2033年科技工作补充说明.txt"
    note.write_text("云台区2033年科技工作补充说明\n\n一、主要目标\n\n新建实验室3家。", "utf-8")
    _upload(page, [note])
    assert any(not url.endswith("/events") for url in polled), polled
    expect(page.locator("#library-docs .doc-card", has_text="补充说明")).to_have_count(1)


def test_an_empty_base_says_so_instead_of_answering(page: Any) -> None:
    _create_kb(page, "空的知识库")
    expect(page.locator("#library-note")).to_contain_text("「空的知识库」还没有文件")
    page.locator("#panel-close").click()
    page.locator("#question").fill(QUESTION)
    page.locator("#question").press("Enter")
    failed = page.locator(".msg.assistant.failed")
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("「空的知识库」还没有文件")


def test_selector_fits_a_phone(browser: Any, server: LiveServer) -> None:
    errors: list[str] = []
    page = open_page(browser, server.url, errors, viewport={"width": 370, "height": 760})
    select = page.locator("#kb-select")
    expect(select).to_be_visible()
    expect(select).to_have_accessible_name("知识库")
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1] == 370, widths
    box = select.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 370, box
    page.context.close()
    assert errors == []


PDF_TITLE = "石门县2033年科技工作要点"
PDF_HTML = (
    f"<html><body><h1>{PDF_TITLE}</h1><p>一、主要目标</p>"
    "<p>全县新增众创空间6家,技术合同成交额达到3亿元。</p></body></html>"
)


def test_a_pdf_is_uploaded_answered_and_reindexed(browser: Any, page: Any, tmp_path: Path) -> None:
    # the PDF is printed by chromium itself, with the CJK font `make setup` installs
    printer = browser.new_page()
    printer.set_content(PDF_HTML)
    pdf = tmp_path / f"{PDF_TITLE}.pdf"
    printer.pdf(path=str(pdf))
    printer.close()
    _create_kb(page, "石门测试")
    status = _upload(page, [pdf])
    expect(status.locator(".file-ok")).to_have_count(1)
    page.locator("#panel-close").click()
    card = ask(page, "石门县2033年新增众创空间多少家?")
    expect(card.locator(".answer-text")).to_contain_text("6")
    expect(card.locator(".cite-chip")).to_have_count(1)
    # 重建索引 reads the kept original again and shows the same progress
    page.locator("#open-library").click()
    doc = page.locator("#library-docs .doc-card").filter(has_text="石门县")
    with page.expect_request(lambda r: r.url.endswith("/reindex?kb=" + quote("石门测试", safe=""))):
        doc.locator("button", has_text="重建索引").click()
    bar = page.locator("#upload-progress")
    expect(bar).to_have_attribute("data-stage", "done", timeout=JOB_TIMEOUT_MS)
