// Admin view of plan-rag: ratings with their answers and citations (filterable by 有帮助/没帮助),
// and questions, refusals and ratings per day drawn as inline SVG. Uses the helpers app.js
// exposes as window.planrag; like app.js, it inserts every text as text, never as markup.
"use strict";

(() => {
  const { el, call, openPanel, closeSidebar, describeError, thumb } = window.planrag;
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const PAGE = 20;
  const RANGES = [7, 30, 90];
  const FILTERS = [["", "全部"], ["up", "有帮助"], ["down", "没帮助"]];
  // bar colours: each at least 3:1 on white (graphics), the legend's text is ordinary ink
  const SERIES = {
    questions: { label: "提问", colour: "#1d5ba8" },
    refusals: { label: "拒答", colour: "#b45309" },
    up: { label: "有帮助", colour: "#1f7a3a" },
    down: { label: "没帮助", colour: "#b42318" },
  };
  const view = { rating: "", days: 30, offset: 0, items: [] };

  // ---------- charts --------------------------------------------------------------------------

  function svgNode(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** A round top for the y axis: 1, 2, 5 × 10^n at or above `n`. */
  function niceMax(n) {
    if (n <= 4) return Math.max(1, n);
    const step = 10 ** Math.floor(Math.log10(n));
    return [1, 2, 5, 10].map((f) => f * step).find((v) => v >= n);
  }

  const shortDate = (iso) => iso.slice(5); // 「11-26」

  /** Grouped bars, one group per day, one bar per series; role="img" with a summary label. */
  function barChart(daily, keys, summary) {
    const [W, H, left, right, top, bottom] = [640, 150, 34, 8, 10, 24];
    const plotW = W - left - right;
    const plotH = H - top - bottom;
    const most = niceMax(Math.max(0, ...daily.flatMap((d) => keys.map((k) => d[k]))));
    const y = (v) => top + plotH - (v / most) * plotH;
    const svg = svgNode("svg", { viewBox: `0 0 ${W} ${H}`, class: "admin-chart-svg", role: "img", "aria-label": summary });
    svg.append(svgNode("title", {}, summary));
    for (const v of [0, most / 2, most]) {
      if (v !== Math.round(v)) continue;
      svg.append(svgNode("line", { class: "grid", x1: left, x2: W - right, y1: y(v), y2: y(v) }));
      svg.append(svgNode("text", { class: "axis", x: left - 6, y: y(v) + 4, "text-anchor": "end" }, String(v)));
    }
    const slot = plotW / daily.length;
    const barW = Math.max(1, Math.min(14, (slot * 0.8) / keys.length));
    const every = Math.max(1, Math.ceil(daily.length / 8));
    daily.forEach((d, i) => {
      const x0 = left + i * slot + (slot - barW * keys.length) / 2;
      keys.forEach((key, k) => {
        if (!d[key]) return;
        const height = Math.max(1.5, (d[key] / most) * plotH);
        const bar = svgNode("rect", {
          class: `bar bar-${key}`, x: x0 + k * barW, y: top + plotH - height, width: barW, height,
          fill: SERIES[key].colour,
        });
        bar.append(svgNode("title", {}, `${d.date}　${SERIES[key].label} ${d[key]}`));
        svg.append(bar);
      });
      if ((daily.length - 1 - i) % every === 0) {
        svg.append(svgNode("text", { class: "axis", x: left + (i + 0.5) * slot, y: H - 8, "text-anchor": "middle" }, shortDate(d.date)));
      }
    });
    svg.append(svgNode("line", { class: "baseline", x1: left, x2: W - right, y1: y(0), y2: y(0) }));
    return svg;
  }

  function legend(keys) {
    return el("ul", { class: "admin-legend" }, keys.map((key) => el("li", {},
      el("span", { class: `swatch swatch-${key}`, "aria-hidden": "true" }), SERIES[key].label)));
  }

  function chart(id, title, daily, keys, summary) {
    return el("figure", { class: "admin-chart", id },
      el("figcaption", { class: "admin-chart-title" }, title),
      barChart(daily, keys, `${title}：${summary}`),
      legend(keys));
  }

  /** Every day's numbers as a table, for those who cannot see the bars. */
  function dailyTable(daily) {
    const keys = ["questions", "refusals", "up", "down"];
    const rows = daily.filter((d) => keys.some((k) => d[k])).reverse();
    const table = el("table", { class: "daily-table" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "日期"), keys.map((k) => el("th", { scope: "col" }, SERIES[k].label)))),
      el("tbody", {}, rows.map((d) => el("tr", {}, el("th", { scope: "row" }, d.date), keys.map((k) => el("td", {}, String(d[k])))))));
    return el("details", { class: "daily-data" },
      el("summary", {}, `按日数据（${rows.length} 天有记录）`),
      rows.length ? table : el("p", { class: "panel-note" }, "这段时间还没有记录。"));
  }

  async function loadStats() {
    const box = $("admin-stats");
    if (!box) return;
    box.setAttribute("aria-busy", "true");
    let stats;
    try {
      const offset = -new Date().getTimezoneOffset();
      stats = await (await call(`/api/admin/stats?days=${view.days}&utc_offset_minutes=${offset}`)).json();
    } catch (err) {
      box.replaceChildren(el("p", { class: "error-text", role: "alert" }, `无法读取统计：${describeError(err)}`));
      box.removeAttribute("aria-busy");
      return;
    }
    const t = stats.totals;
    const rate = t.questions ? `（${Math.round((t.refusals / t.questions) * 100)}%）` : "";
    box.replaceChildren(
      el("p", { class: "admin-totals", id: "admin-totals" },
        `近 ${stats.days} 天：提问 ${t.questions} 个，拒答 ${t.refusals} 个${rate}；评价有帮助 ${t.up} 条，没帮助 ${t.down} 条。`),
      chart("admin-questions-chart", "每日提问与拒答", stats.daily, ["questions", "refusals"], `共 ${t.questions} 个问题，拒答 ${t.refusals} 个`),
      chart("admin-ratings-chart", "每日评价", stats.daily, ["up", "down"], `有帮助 ${t.up} 条，没帮助 ${t.down} 条`),
      dailyTable(stats.daily));
    box.removeAttribute("aria-busy");
  }

  // ---------- ratings ---------------------------------------------------------------------------

  function localTime(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return iso;
    const two = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
  }

  function citationItem(c) {
    const path = [c.title || c.doc_id || "（未知文件）", ...(c.section_path || [])].join(" › ");
    return el("li", {},
      el("span", { class: "fb-cite-path" }, path),
      c.quote ? el("span", { class: "fb-quote" }, `「${c.quote}」`) : null);
  }

  function feedbackItem(item) {
    const up = item.rating === "up";
    const cites = item.citations || [];
    return el("li", { class: `fb-item ${item.rating}` },
      el("div", { class: "fb-head" },
        el("span", { class: `fb-rating ${item.rating}` }, thumb(!up), up ? "有帮助" : "没帮助"),
        el("time", { class: "fb-time", datetime: item.created }, localTime(item.created))),
      el("dl", { class: "fb-fields" },
        el("dt", {}, "问题"), el("dd", { class: "fb-question" }, item.question),
        el("dt", {}, "意见"),
        item.comment ? el("dd", { class: "fb-comment" }, item.comment) : el("dd", { class: "fb-none" }, "（未填写）"),
        el("dt", {}, "答案"), el("dd", { class: "fb-answer" }, item.answer || "（空）"),
        el("dt", {}, "引用"),
        cites.length ? el("dd", {}, el("ol", { class: "fb-cites" }, cites.map(citationItem)))
          : el("dd", { class: "fb-none" }, "（无）")));
  }

  function filterButtons(counts) {
    return FILTERS.map(([value, label]) => {
      const n = value ? counts[value] : counts.up + counts.down;
      return el("button", {
        type: "button", class: "btn btn-small fb-filter", dataset: { rating: value },
        "aria-pressed": String(view.rating === value),
        onclick: () => { view.rating = value; loadFeedback(false); },
      }, value ? thumb(value === "down") : null, `${label}（${n}）`);
    });
  }

  async function loadFeedback(more) {
    const list = $("fb-list");
    if (!list) return;
    if (!more) { view.offset = 0; view.items = []; }
    const query = `limit=${PAGE}&offset=${view.offset}${view.rating ? `&rating=${view.rating}` : ""}`;
    let page;
    try {
      page = await (await call(`/api/admin/feedback?${query}`)).json();
    } catch (err) {
      $("fb-status").replaceChildren(el("span", { class: "error-text", role: "alert" }, `无法读取评价：${describeError(err)}`));
      return;
    }
    view.items = view.items.concat(page.items);
    view.offset = view.items.length;
    const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.rating : undefined;
    $("fb-filters").replaceChildren(...filterButtons(page.counts));
    if (focused !== undefined) {
      const again = $("fb-filters").querySelector(`[data-rating="${focused}"]`);
      if (again) again.focus();
    }
    const which = view.rating ? `「${FILTERS.find(([v]) => v === view.rating)[1]}」` : "";
    $("fb-status").textContent = page.total
      ? `${which}共 ${page.total} 条，显示 ${view.items.length} 条。`
      : `还没有${which}评价。`;
    if (more) list.append(...page.items.map(feedbackItem));
    else list.replaceChildren(...page.items.map(feedbackItem));
    $("fb-more").hidden = view.items.length >= page.total;
  }

  // ---------- the panel -------------------------------------------------------------------------

  function adminView() {
    const range = el("select", {
      id: "admin-days",
      onchange: (event) => { view.days = Number(event.target.value); loadStats(); },
    }, RANGES.map((d) => el("option", { value: d, selected: d === view.days }, `近 ${d} 天`)));
    return el("div", { class: "admin-view" },
      el("section", { class: "admin-section", "aria-labelledby": "admin-stats-heading" },
        el("div", { class: "admin-row" },
          el("h3", { id: "admin-stats-heading" }, "使用统计"),
          el("label", { for: "admin-days", class: "admin-range" }, "范围"), range),
        el("div", { id: "admin-stats", "aria-live": "polite" }, el("p", { class: "panel-note" }, "正在读取统计…"))),
      el("section", { class: "admin-section", "aria-labelledby": "admin-fb-heading" },
        el("h3", { id: "admin-fb-heading" }, "用户评价"),
        el("div", { class: "fb-filters", id: "fb-filters", role: "group", "aria-label": "按评价筛选" }),
        el("p", { class: "panel-note", id: "fb-status", role: "status" }, "正在读取评价…"),
        el("ul", { class: "fb-list", id: "fb-list", "aria-labelledby": "admin-fb-heading" }),
        el("button", { type: "button", class: "btn btn-small", id: "fb-more", hidden: true, onclick: () => loadFeedback(true) }, "加载更多")));
  }

  function openAdmin(event) {
    closeSidebar();
    const body = openPanel("管理", false, event && event.currentTarget);
    body.replaceChildren(adminView());
    body.scrollTop = 0;
    loadStats();
    loadFeedback(false);
  }

  $("open-admin").addEventListener("click", openAdmin);
})();
