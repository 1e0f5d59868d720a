"""The 指标 view of the page in headless Debian chromium: filter, sort, a cell opens its quote
highlighted in the document panel, the bar and line charts are drawn, CSV and .xlsx downloads
open. Served in-process (uvicorn in a thread) over made-up city reports with the fake embedder:
the table needs no vectors."""

from __future__ import annotations

import csv
import io
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from rag.config import load_settings
from rag.server.app import create_app
from rag.service import RagService
from tests.conftest import FakeEmbedder
from tests.test_targets import PLANS

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = [pytest.mark.browser]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("web-targets")
    folder = root / "plans"
    folder.mkdir()
    for name, text in PLANS.items():
        (folder / name).write_text(text, encoding="utf-8")
    settings = load_settings(env={}, data_dir=root / "data", evidence_model=root / "none.json")
    service = RagService(settings, FakeEmbedder())
    service.ingest([folder])
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, service), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the test server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(browser: Any, url: str) -> Iterator[Any]:
    """The page with the 指标 view open; it must raise no script error."""
    context = browser.new_context(
        locale="zh-CN", accept_downloads=True, viewport={"width": 1360, "height": 880}
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(url + "/")
    page.click("#open-targets")
    expect(page.locator(".targets-table tbody tr").first).to_be_visible()
    yield page
    context.close()
    assert not errors, errors


def _filter(
    page: Any, indicator: str = "", place: str = "", year: str = "", kind: str = ""
) -> None:
    page.fill("#t-indicator", indicator)
    page.select_option("#t-place", place)
    page.select_option("#t-year", year)
    page.select_option("#t-kind", kind)
    page.click("#targets-form button[type=submit]")


def _values(page: Any) -> list[str]:
    cells = page.locator(".targets-table tbody tr td:nth-child(6)")
    return [str(t) for t in cells.all_inner_texts()]


def test_filter_sort_and_a_cell_opens_its_quote(page: Any) -> None:
    assert page.locator("#messages").is_hidden() and page.locator("#ask-form").is_hidden()
    _filter(page, indicator="光谷企业", year="2034")
    expect(page.locator(".targets-table tbody tr")).to_have_count(3)
    assert sorted(_values(page)) == sorted(["500家以上", "三百家", "450家"])
    sort = page.locator('.targets-table [data-sort="value"]')
    sort.click()
    expect(page.locator('.targets-table th[aria-sort="ascending"]')).to_have_count(1)
    assert _values(page) == ["三百家", "450家", "500家以上"]
    page.locator('.targets-table [data-sort="value"]').click()
    assert _values(page) == ["500家以上", "450家", "三百家"]
    page.locator(".targets-table .cell-link", has_text="三百家").click()
    mark = page.locator("#panel mark.quote")
    expect(mark).to_be_visible()
    expect(mark).to_contain_text("新增光谷企业三百家")
    expect(page.locator("#panel-title")).to_have_text("2034年碧水市政府工作报告")
    # back to the conversation
    page.click("#open-targets")
    assert page.locator("#targets-view").is_hidden() and page.locator("#messages").is_visible()


def test_bar_chart_across_places_and_line_across_years(page: Any) -> None:
    _filter(page, indicator="研发投入强度", year="2034")
    bars = page.locator(".bar-chart rect.chart-bar")
    expect(bars).to_have_count(2)
    widths = {
        page.locator(".bar-chart text.chart-label").nth(i).text_content(): float(
            bars.nth(i).get_attribute("width")
        )
        for i in range(2)
    }
    assert widths["青山市"] > widths["碧水市"] > 0  # 3.2% against 2.8%
    _filter(page, indicator="星火产业产值", place="青山市", kind="target")
    line = page.locator(".line-chart polyline")
    expect(line).to_have_count(1)
    points = line.get_attribute("points").split()
    assert len(points) == 2  # 2033 and 2034 targets: 800 and 900亿元
    (x1, y1), (x2, y2) = (tuple(map(float, p.split(","))) for p in points)
    assert x2 > x1 and y2 < y1  # later to the right, larger higher
    expect(page.locator(".line-chart text.chart-label", has_text="2033")).to_have_count(1)


def test_csv_and_xlsx_downloads_open(page: Any, tmp_path: Path) -> None:
    _filter(page, place="碧水市")
    with page.expect_download() as info:
        page.click("#t-csv")
    path = tmp_path / "t.csv"
    info.value.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert {r["place"] for r in rows} == {"碧水市"} and len(rows) == len(_values(page))
    assert all(r["value"] in r["quote"] for r in rows)
    with page.expect_download() as info:
        page.click("#t-xlsx")
    path = tmp_path / "t.xlsx"
    info.value.save_as(path)
    from openpyxl import load_workbook

    sheet = load_workbook(path).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    places = {row[header.index("place")] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert places == {"碧水市"}
