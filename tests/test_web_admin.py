"""The admin view of the page in headless Debian chromium, against the real server: two
questions asked, one answer rated 没帮助 with a comment, then 管理 shows the rating under its
filter (comment, answer, citations) and the counts per day as SVG bar charts."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from rag.config import ROOT
from tests.browser import ask, open_page
from tests.live_server import LiveServer
from tests.test_web import _CONTRAST_JS, _FOCUS_JS  # the page's own checks (WCAG, 4.5:1)

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOT = ROOT / "docs" / "screenshot-admin.png"
NUMERIC = "陕西省2022年技术合同成交额目标是多少?"
FOREIGN = "广东省2021年新增多少高新技术企业?"


@pytest.fixture
def page(browser: Any, server: LiveServer) -> Iterator[Any]:
    """A fresh page (empty localStorage) that must raise no script error."""
    errors: list[str] = []
    page = open_page(browser, server.url, errors, viewport={"width": 1360, "height": 880})
    yield page
    page.context.close()
    assert errors == []


def _bars(page: Any, chart: str, series: str) -> int:
    """How many bars of one series the chart draws, each a <rect> of positive height."""
    heights: list[float] = page.locator(f"#{chart} svg rect.bar-{series}").evaluate_all(
        "(rects) => rects.map((r) => r.getBBox().height)"
    )
    assert all(h > 0 for h in heights)
    return len(heights)


def test_admin_view_lists_ratings_by_filter_and_charts_the_days(page: Any) -> None:
    comment = f"数字对，但希望注明出自哪一年的文件。编号{uuid.uuid4().hex[:6]}"
    rated = ask(page, NUMERIC)
    expect(rated.locator(".cite-chip")).to_have_count(1)
    refused = ask(page, FOREIGN)
    expect(refused).to_have_class("msg assistant refused")
    rated.locator(".thumb.down").click()
    rated.locator(".feedback textarea").fill(comment)
    rated.locator(".feedback button[type=submit]").click()
    expect(rated.locator(".thanks")).to_be_visible()
    refused.locator(".thumb.up").click()
    refused.locator(".feedback button[type=submit]").click()
    expect(refused.locator(".thanks")).to_be_visible()

    opener = page.locator("#open-admin")
    expect(opener).to_have_text("管理")
    opener.click()
    panel = page.locator("#panel")
    expect(panel).to_be_visible()
    expect(page.locator("#panel-title")).to_have_text("管理")
    expect(page.locator("#panel-title")).to_be_focused()

    # the charts: today's bars for questions and refusals, and for both ratings
    totals = page.locator("#admin-totals")
    expect(totals).to_contain_text("近 30 天：提问")
    asked, refusals = (int(n) for n in re.findall(r"(?:提问|拒答) (\d+) 个", totals.inner_text()))
    assert asked >= 2 and refusals >= 1
    for chart, series in (
        ("admin-questions-chart", "questions"),
        ("admin-questions-chart", "refusals"),
        ("admin-ratings-chart", "up"),
        ("admin-ratings-chart", "down"),
    ):
        assert _bars(page, chart, series) >= 1, (chart, series)
    for chart in ("admin-questions-chart", "admin-ratings-chart"):
        svg = page.locator(f"#{chart} svg")
        expect(svg).to_have_attribute("role", "img")
        expect(svg).to_have_attribute("aria-label", re.compile(r"^每日(提问与拒答|评价)："))
        assert svg.bounding_box()["height"] > 100
    expect(page.locator("#admin-questions-chart .admin-legend")).to_have_text(
        re.compile("提问.*拒答")
    )

    # the ratings: 没帮助 shows the comment with the answer and its citation; 有帮助 does not
    filters = page.locator("#fb-filters")
    down = filters.locator("button[data-rating=down]")
    expect(down).to_contain_text("没帮助（")
    down.click()
    expect(down).to_have_attribute("aria-pressed", "true")
    expect(down).to_be_focused()
    items = page.locator("#fb-list .fb-item")
    expect(items.first).to_be_visible()
    assert items.count() == page.locator("#fb-list .fb-item.down").count()
    mine = page.locator("#fb-list .fb-item", has_text=comment)
    expect(mine).to_have_count(1)
    expect(mine.locator(".fb-question")).to_have_text(NUMERIC)
    expect(mine.locator(".fb-comment")).to_have_text(comment)
    expect(mine.locator(".fb-answer")).to_contain_text("2500亿元")
    expect(mine.locator(".fb-cites li")).to_have_count(1)
    expect(mine.locator(".fb-quote")).to_contain_text("2500亿元")
    expect(mine.locator(".fb-cite-path")).to_contain_text("陕西省科学技术厅2022年科技工作要点 › ")
    expect(mine.locator(".fb-time")).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d$"))
    expect(page.locator("#fb-status")).to_contain_text("「没帮助」共")

    # text contrast in the panel, and the rings of its keyboard stops
    low = page.evaluate(_CONTRAST_JS)
    assert low["low"] == [], low["low"]
    mine.scroll_into_view_if_needed()
    page.wait_for_timeout(200)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))

    up = filters.locator("button[data-rating=up]")
    page.keyboard.press("Shift+Tab")
    expect(up).to_be_focused()
    ring = page.evaluate(_FOCUS_JS)
    assert ring["width"] >= 2 and ring["ratio"] >= 4.5, ring
    page.keyboard.press("Enter")
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(down).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#fb-list .fb-item", has_text=comment)).to_have_count(0)
    expect(page.locator("#fb-list .fb-item.up").first).to_be_visible()
    assert page.locator("#fb-list .fb-item.down").count() == 0

    # a shorter range redraws the charts with fewer days
    page.locator("#admin-days").select_option("7")
    expect(page.locator("#admin-totals")).to_contain_text("近 7 天：")

    # Escape closes the panel and gives focus back to 管理
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(opener).to_be_focused()


def test_admin_view_fits_a_phone(browser: Any, server: LiveServer) -> None:
    errors: list[str] = []
    page = open_page(browser, server.url, errors, viewport={"width": 370, "height": 760})
    opener = page.locator("#open-admin")
    expect(opener).to_be_in_viewport(ratio=1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 370
    opener.click()
    expect(page.locator("#admin-questions-chart svg")).to_be_visible()
    box = page.locator("#admin-questions-chart svg").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 370
    assert page.evaluate("document.getElementById('panel-body').scrollWidth") <= 370
    page.context.close()
    assert errors == []
