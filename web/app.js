// Chat page of plan-rag. Plain script, no build step, nothing loaded from elsewhere.
// Every text that comes from a document, the server or the user is inserted as text (textContent,
// text nodes, attributes): never as HTML.
"use strict";

(() => {
  const STORE = "planrag.v1.conversations";
  const CURRENT = "planrag.v1.current";
  const KEY = "planrag.v1.apikey";
  const MAX_CONVERSATIONS = 40;
  const HISTORY_TURNS = 8;
  const STAGES = { scope: "范围", retrieve: "检索", answer: "作答", total: "总计" };

  const $ = (id) => document.getElementById(id);
  const state = {
    docs: [],
    docCache: new Map(),
    conversations: [],
    current: null,
    busy: false,
    panelDoc: null,
  };

  // ---------- DOM helpers ----------------------------------------------------------------------

  /** Element with attributes and children; strings become text nodes, never markup. */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.startsWith("on") && typeof value === "function") {
        node.addEventListener(key.slice(2), value);
      } else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  // Material Design "thumb_up" (Apache-2.0); drawn inline because no emoji font can be assumed
  const THUMB = "M2 21h4V9H2v12zm20-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06" +
    "L13.17 1 6.59 7.59C6.22 7.95 6 8.45 6 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05" +
    "c.09-.23.14-.47.14-.73v-2z";

  function thumb(down) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "16");
    svg.setAttribute("height", "16");
    svg.setAttribute("aria-hidden", "true");
    if (down) svg.setAttribute("transform", "rotate(180)");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", THUMB);
    path.setAttribute("fill", "currentColor");
    svg.append(path);
    return svg;
  }

  function toast(message) {
    const box = $("toast");
    box.textContent = message;
    box.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { box.hidden = true; }, 2200);
  }

  function shortTitle(meta) {
    if (!meta) return "";
    if (meta.region && meta.year) return `${meta.region} ${meta.year}`;
    const title = meta.title || "";
    return title.length > 12 ? `${title.slice(0, 12)}…` : title;
  }

  function docMeta(docId) {
    return state.docs.find((d) => d.doc_id === docId) || null;
  }

  function uid() {
    return Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
  }

  // ---------- HTTP ---------------------------------------------------------------------------

  function apiKey() {
    return localStorage.getItem(KEY) || "";
  }

  function askForKey() {
    return new Promise((resolve) => {
      const dialog = $("key-dialog");
      const input = $("key-input");
      input.value = apiKey();
      dialog.addEventListener("close", () => {
        localStorage.setItem(KEY, input.value.trim());
        resolve(Boolean(input.value.trim()));
      }, { once: true });
      dialog.showModal();
      input.focus();
    });
  }

  async function errorMessage(response) {
    try {
      const body = await response.json();
      if (body && body.error && body.error.message) return body.error.message;
    } catch (_) { /* not JSON */ }
    return `服务器返回 ${response.status}`;
  }

  /** fetch with the API key when one is stored; a 401 asks for the key once and retries. */
  async function call(path, options = {}, retried = false) {
    const headers = Object.assign({}, options.headers || {});
    if (options.body) headers["Content-Type"] = "application/json";
    const key = apiKey();
    if (key) headers.Authorization = `Bearer ${key}`;
    const response = await fetch(path, Object.assign({}, options, { headers }));
    if (response.status === 401 && !retried && (await askForKey())) {
      return call(path, options, true);
    }
    if (!response.ok) throw new Error(await errorMessage(response));
    return response;
  }

  async function getJSON(path) {
    return (await call(path)).json();
  }

  /** POST and read Server-Sent Events, calling handlers[event](data) in order. */
  async function stream(path, body, handlers) {
    const response = await call(path, { method: "POST", body: JSON.stringify(body) });
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let event = "message";
        const data = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) event = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
        }
        if (data.length && handlers[event]) handlers[event](JSON.parse(data.join("\n")));
      }
    }
  }

  // ---------- conversations (localStorage) ----------------------------------------------------

  function loadConversations() {
    try {
      const saved = JSON.parse(localStorage.getItem(STORE) || "[]");
      state.conversations = Array.isArray(saved) ? saved : [];
    } catch (_) {
      state.conversations = [];
    }
    const id = localStorage.getItem(CURRENT);
    state.current = state.conversations.find((c) => c.id === id) || null;
  }

  function saveConversations() {
    state.conversations.sort((a, b) => b.updated - a.updated);
    state.conversations = state.conversations.slice(0, MAX_CONVERSATIONS);
    const slim = state.conversations.map((c) => ({
      ...c,
      turns: c.turns.map((t) => ({
        ...t,
        resp: t.resp && {
          ...t.resp,
          passages: (t.resp.passages || []).slice(0, 5).map((p) => ({ ...p, text: p.text.slice(0, 400) })),
        },
      })),
    }));
    try {
      localStorage.setItem(STORE, JSON.stringify(slim));
      localStorage.setItem(CURRENT, state.current ? state.current.id : "");
    } catch (_) {
      toast("浏览器存储已满,较早的对话未保存");
    }
    renderConversationList();
  }

  function renderConversationList() {
    const list = $("conversations");
    list.replaceChildren();
    if (!state.conversations.length) {
      list.append(el("li", { class: "empty" }, "还没有对话"));
      return;
    }
    for (const conv of state.conversations) {
      const active = state.current && conv.id === state.current.id;
      list.append(el("li", { class: active ? "active" : "" },
        el("button", {
          type: "button", class: "conv-open", title: conv.title,
          onclick: () => { openConversation(conv.id); closeSidebar(); },
        }, conv.title),
        el("button", {
          type: "button", class: "conv-delete", "aria-label": "删除对话", title: "删除对话",
          onclick: () => deleteConversation(conv.id),
        }, "×")));
    }
  }

  function newConversation() {
    state.current = null;
    localStorage.setItem(CURRENT, "");
    $("thread").replaceChildren();
    $("welcome").hidden = false;
    renderConversationList();
    closeSidebar();
    $("question").focus();
  }

  function openConversation(id) {
    const conv = state.conversations.find((c) => c.id === id);
    if (!conv) return;
    state.current = conv;
    localStorage.setItem(CURRENT, id);
    const thread = $("thread");
    thread.replaceChildren();
    $("welcome").hidden = conv.turns.length > 0;
    for (const turn of conv.turns) {
      thread.append(userBubble(turn.asked));
      const card = new AnswerCard(turn);
      thread.append(card.node);
      card.fill(turn.resp, turn.error);
    }
    renderConversationList();
    scrollToEnd();
  }

  function deleteConversation(id) {
    state.conversations = state.conversations.filter((c) => c.id !== id);
    if (state.current && state.current.id === id) newConversation();
    saveConversations();
  }

  // ---------- the thread ----------------------------------------------------------------------

  function scrollToEnd() {
    const box = $("messages");
    box.scrollTop = box.scrollHeight;
  }

  function userBubble(text) {
    return el("div", { class: "msg user" }, el("div", { class: "bubble" }, text));
  }

  function citeChip(turn, n, withLabel) {
    const chip = el("button", {
      type: "button", class: withLabel ? "cite cite-chip" : "cite",
      dataset: { n: String(n) }, "aria-label": `引用 ${n}`,
    }, `【${n}】`);
    if (withLabel) {
      const c = turn.resp && turn.resp.citations[n - 1];
      if (c) {
        const where = c.section_path.length ? c.section_path[c.section_path.length - 1] : "";
        chip.append(el("span", { class: "cite-label" }, shortTitle(docMeta(c.doc_id) || c), where ? ` · ${where}` : ""));
      }
    }
    const citation = () => turn.resp && turn.resp.citations[n - 1];
    chip.addEventListener("mouseenter", () => showTip(chip, citation()));
    chip.addEventListener("focus", () => showTip(chip, citation()));
    chip.addEventListener("mouseleave", hideTip);
    chip.addEventListener("blur", hideTip);
    chip.addEventListener("click", () => {
      const c = citation();
      if (c) openDocument(c.doc_id, { start: c.start, end: c.end, path: c.section_path });
    });
    return chip;
  }

  function showTip(anchor, c) {
    if (!c) return;
    const tip = $("tooltip");
    tip.replaceChildren(
      el("strong", {}, c.title),
      el("span", { class: "tip-path" }, c.section_path.join(" › ")),
      el("span", { class: "tip-quote" }, c.quote.length > 90 ? `「${c.quote.slice(0, 90)}…」` : `「${c.quote}」`));
    tip.hidden = false;
    const r = anchor.getBoundingClientRect();
    const width = Math.min(360, window.innerWidth - 16);
    tip.style.maxWidth = `${width}px`;
    const left = Math.max(8, Math.min(r.left, window.innerWidth - width - 8));
    tip.style.left = `${left}px`;
    const below = r.bottom + 8;
    tip.style.top = `${below}px`;
    const h = tip.getBoundingClientRect().height;
    if (below + h > window.innerHeight - 8) tip.style.top = `${Math.max(8, r.top - h - 8)}px`;
  }

  function hideTip() {
    $("tooltip").hidden = true;
  }

  /** Answer text with its 【n】 markers as clickable chips. */
  function answerText(turn, text) {
    const box = el("div", { class: "answer-text" });
    for (const part of text.split(/(【\d+】)/)) {
      const m = /^【(\d+)】$/.exec(part);
      if (m) box.append(citeChip(turn, Number(m[1]), false));
      else if (part) box.append(part);
    }
    return box;
  }

  function timingsLine(timings) {
    if (!timings) return "";
    const parts = Object.entries(timings)
      .filter(([name]) => STAGES[name])
      .map(([name, ms]) => `${STAGES[name]} ${Math.round(ms)} ms`);
    return parts.join(" · ");
  }

  class AnswerCard {
    constructor(turn) {
      this.turn = turn;
      this.node = el("article", { class: "msg assistant" });
      this.body = el("div", { class: "card" });
      this.node.append(this.body);
      this.text = el("div", { class: "answer-text" },
        el("span", { class: "typing", "aria-label": "正在生成" }, el("i"), el("i"), el("i")));
      this.body.append(this.text);
      this.streamed = "";
    }

    meta(data) {
      this.turn.resp = { question: data.question, answer: "", refused: data.refused, type: data.type,
        citations: [], rows: [], passages: [], timings_ms: {} };
      this.text.replaceChildren();
      this.header(data.question, data.refused);
    }

    header(question, refused) {
      if (refused) {
        this.node.classList.add("refused");
        this.body.prepend(el("div", { class: "refusal-badge" }, "⚠ 文档中没有找到答案"));
      }
      if (question && question !== this.turn.asked) {
        this.body.prepend(el("div", { class: "resolved" }, "已结合上文理解为:", el("q", {}, question)));
      }
    }

    token(data) {
      this.streamed += data.text;
      const m = /^【(\d+)】$/.exec(data.text);
      this.text.append(m ? citeChip(this.turn, Number(m[1]), false) : data.text);
      scrollToEnd();
    }

    citations(data) {
      Object.assign(this.turn.resp, data, { answer: this.streamed });
      this.extras();
    }

    done(data) {
      this.turn.resp.timings_ms = data.timings_ms;
      this.actions();
    }

    /** Render a finished answer (from history, or /api/ask). */
    fill(resp, error) {
      if (error || !resp) {
        this.fail(error || "没有收到回答");
        return;
      }
      const text = answerText(this.turn, resp.answer);
      this.text.replaceWith(text);
      this.text = text;
      this.header(resp.question, resp.refused);
      this.extras();
      this.actions();
    }

    fail(message) {
      this.node.classList.add("failed");
      this.text.replaceChildren(el("span", { class: "error-text" }, `出错了:${message}`));
    }

    extras() {
      const resp = this.turn.resp;
      if (resp.rows && resp.rows.length) {
        const rows = resp.rows.map((row) => el("tr", {},
          el("th", { scope: "row" }, row.label),
          el("td", {}, row.value, row.citation ? citeChip(this.turn, row.citation, false) : "")));
        this.body.append(el("table", { class: "compare" },
          el("thead", {}, el("tr", {}, el("th", {}, "对象"), el("th", {}, "数值(出处)"))),
          el("tbody", {}, rows)));
      }
      if (resp.citations && resp.citations.length) {
        this.body.append(el("div", { class: "citations" },
          el("span", { class: "citations-label" }, "出处"),
          resp.citations.map((_, i) => citeChip(this.turn, i + 1, true))));
      }
      if (resp.refused && resp.passages && resp.passages.length) {
        const items = resp.passages.slice(0, 4).map((p) => el("li", {},
          el("button", {
            type: "button", class: "related-item",
            onclick: () => openDocument(p.doc_id, { start: p.start, end: p.end, path: p.section_path }),
          },
          el("span", { class: "related-where" }, `${p.title || p.source} › ${p.section_path.join(" › ")}`),
          el("span", { class: "related-text" }, p.text.length > 140 ? `${p.text.slice(0, 140)}…` : p.text))));
        this.body.append(el("div", { class: "related" },
          el("h3", {}, "相关段落(仅供参考,并未回答该问题)"), el("ol", {}, items)));
      }
    }

    actions() {
      const turn = this.turn;
      const up = el("button", { type: "button", class: "act thumb up", "aria-label": "有帮助", title: "有帮助" }, thumb(false), "有帮助");
      const down = el("button", { type: "button", class: "act thumb down", "aria-label": "没帮助", title: "没帮助" }, thumb(true), "没帮助");
      const copy = el("button", { type: "button", class: "act", title: "复制答案和出处" }, "复制");
      const bar = el("div", { class: "actions" }, copy, up, down,
        el("span", { class: "timings", title: "各阶段耗时" }, timingsLine(turn.resp.timings_ms)));
      const form = this.feedbackForm();
      copy.addEventListener("click", () => copyAnswer(turn));
      up.addEventListener("click", () => form.open("up", up, down));
      down.addEventListener("click", () => form.open("down", down, up));
      if (turn.feedback) {
        (turn.feedback === "up" ? up : down).classList.add("chosen");
        up.disabled = down.disabled = true;
      }
      this.body.append(bar, form.node);
    }

    feedbackForm() {
      const turn = this.turn;
      const comment = el("textarea", { rows: "2", maxlength: "2000", placeholder: "可选:说说原因,帮助我们改进", "aria-label": "反馈意见" });
      const submit = el("button", { type: "submit", class: "btn btn-primary btn-small" }, "提交反馈");
      const node = el("form", { class: "feedback", hidden: true }, comment, submit);
      let rating = null;
      let buttons = [];
      node.addEventListener("submit", async (event) => {
        event.preventDefault();
        submit.disabled = true;
        try {
          await call("/api/feedback", {
            method: "POST",
            body: JSON.stringify({
              question: turn.resp.question, answer: turn.resp.answer,
              citations: turn.resp.citations, rating, comment: comment.value.trim(),
            }),
          });
          turn.feedback = rating;
          saveConversations();
          buttons.forEach((b) => { b.disabled = true; });
          node.replaceChildren(el("p", { class: "thanks" }, "已收到反馈,谢谢!"));
        } catch (err) {
          submit.disabled = false;
          toast(`反馈未能提交:${err.message}`);
        }
      });
      return {
        node,
        open(value, chosen, other) {
          rating = value;
          buttons = [chosen, other];
          chosen.classList.add("chosen");
          other.classList.remove("chosen");
          node.hidden = false;
          comment.focus();
        },
      };
    }
  }

  function copyText(turn) {
    const resp = turn.resp;
    const lines = [resp.answer];
    if (resp.citations.length) {
      lines.push("", "出处:");
      resp.citations.forEach((c, i) => {
        lines.push(`【${i + 1}】${c.title} › ${c.section_path.join(" › ")}`, `「${c.quote}」`);
      });
    }
    return lines.join("\n");
  }

  async function copyAnswer(turn) {
    const text = copyText(turn);
    try {
      await navigator.clipboard.writeText(text);
    } catch (_) {
      const area = el("textarea", { class: "offscreen" });
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    toast("已复制答案和出处");
  }

  // ---------- asking --------------------------------------------------------------------------

  function currentFilters() {
    const filters = {};
    if ($("f-region").value) filters.region = $("f-region").value;
    if ($("f-year").value) filters.year = Number($("f-year").value);
    if ($("f-doc").value) filters.doc_id = $("f-doc").value;
    return Object.keys(filters).length ? filters : null;
  }

  async function ask(text) {
    const question = text.trim();
    if (!question || state.busy) return;
    state.busy = true;
    $("send").disabled = true;
    if (!state.current) {
      state.current = { id: uid(), title: question.slice(0, 40), updated: Date.now(), turns: [] };
      state.conversations.unshift(state.current);
    }
    const conv = state.current;
    const history = conv.turns
      .filter((t) => t.resp && !t.error)
      .slice(-HISTORY_TURNS)
      .map((t) => ({ question: t.resp.question, answer: t.resp.answer.slice(0, 2000) }));
    const turn = { asked: question, filters: currentFilters(), resp: null, feedback: null };
    conv.turns.push(turn);
    $("welcome").hidden = true;
    $("thread").append(userBubble(question));
    const card = new AnswerCard(turn);
    $("thread").append(card.node);
    scrollToEnd();
    const body = { question, history };
    if (turn.filters) body.filters = turn.filters;
    try {
      await stream("/api/ask/stream", body, {
        meta: (d) => card.meta(d),
        token: (d) => card.token(d),
        citations: (d) => card.citations(d),
        done: (d) => card.done(d),
      });
      if (!turn.resp) throw new Error("回答不完整");
    } catch (err) {
      turn.error = err.message;
      card.fail(err.message);
    } finally {
      conv.updated = Date.now();
      saveConversations();
      state.busy = false;
      $("send").disabled = false;
      scrollToEnd();
    }
  }

  // ---------- documents panel -----------------------------------------------------------------

  async function fetchDocument(docId) {
    if (!state.docCache.has(docId)) {
      state.docCache.set(docId, await getJSON(`/api/documents/${encodeURIComponent(docId)}`));
    }
    return state.docCache.get(docId);
  }

  function openPanel(title, showBack) {
    hideTip();
    $("panel").hidden = false;
    $("app").classList.add("panel-open");
    $("panel-title").textContent = title;
    $("panel-back").hidden = !showBack;
    return $("panel-body");
  }

  function closePanel() {
    $("panel").hidden = true;
    $("app").classList.remove("panel-open");
    state.panelDoc = null;
  }

  function openLibrary() {
    closeSidebar();
    const body = openPanel("文档库", false);
    body.replaceChildren();
    body.append(el("p", { class: "panel-note" }, `已收录 ${state.docs.length} 份文件。`));
    const list = el("ul", { class: "library" });
    for (const d of state.docs) {
      const facts = [
        ["发文单位", d.issuer], ["地区", d.region], ["年份", d.year], ["文号", d.doc_number],
        ["发布日期", d.published], ["篇幅", `${d.chars} 字 · ${d.sections} 节`],
      ].filter(([, v]) => v !== null && v !== undefined && v !== "");
      list.append(el("li", { class: "doc-card" },
        el("h3", {}, d.title),
        el("dl", {}, facts.map(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v))])),
        el("div", { class: "doc-actions" },
          el("button", { type: "button", class: "btn btn-small btn-primary", onclick: () => openDocument(d.doc_id, null) }, "阅读全文"),
          el("button", {
            type: "button", class: "btn btn-small",
            onclick: () => { setFilters({ doc_id: d.doc_id }); closePanel(); $("question").focus(); },
          }, "只问这份文件"))));
    }
    body.append(list);
  }

  function deepestSection(outline, start, end) {
    let best = null;
    for (const s of outline) {
      if (s.start <= start && end <= s.end && (!best || s.level >= best.level)) best = s;
    }
    return best;
  }

  /** The document text with section anchors, headings, the cited section and the quote marked. */
  function documentText(doc, hl) {
    const chars = Array.from(doc.text); // offsets count code points, as Python does
    const n = chars.length;
    const at = new Map();
    const cuts = new Set([0, n]);
    const headings = [];
    for (const s of doc.outline) {
      if (!at.has(s.start)) at.set(s.start, []);
      at.get(s.start).push(s);
      cuts.add(s.start);
      const label = Array.from(s.label);
      if (label.length && chars.slice(s.start, s.start + label.length).join("") === s.label) {
        headings.push([s.start, s.start + label.length]);
        cuts.add(s.start + label.length);
      }
    }
    let section = null;
    if (hl) {
      hl = { start: Math.max(0, Math.min(n, hl.start)), end: Math.max(0, Math.min(n, hl.end)) };
      cuts.add(hl.start);
      cuts.add(hl.end);
      section = deepestSection(doc.outline, hl.start, hl.end);
      if (section) { cuts.add(section.start); cuts.add(section.end); }
    }
    const points = [...cuts].filter((x) => x >= 0 && x <= n).sort((a, b) => a - b);
    const article = el("article", { class: "doc-text" });
    for (let i = 0; i + 1 < points.length; i += 1) {
      const [a, b] = [points[i], points[i + 1]];
      for (const s of at.get(a) || []) {
        article.append(el("span", { class: "anchor", id: `sec-${s.id}`, dataset: { section: s.id } }));
      }
      if (a === b) continue;
      const text = chars.slice(a, b).join("");
      const classes = [];
      if (headings.some(([x, y]) => a >= x && b <= y)) classes.push("heading");
      if (section && a >= section.start && b <= section.end) classes.push("cited-section");
      if (hl && a >= hl.start && b <= hl.end && hl.end > hl.start) {
        article.append(el("mark", { class: "quote" }, text));
      } else {
        article.append(el("span", { class: classes.join(" ") || null }, text));
      }
    }
    return article;
  }

  function outlineTree(doc, article) {
    const children = new Map();
    for (const s of doc.outline) {
      const key = s.parent || "";
      if (!children.has(key)) children.set(key, []);
      children.get(key).push(s);
    }
    const branch = (parent) => {
      const kids = children.get(parent) || [];
      if (!kids.length) return null;
      return el("ul", {}, kids.map((s) => el("li", {},
        el("button", {
          type: "button", class: "toc-item", dataset: { section: s.id },
          onclick: () => {
            const anchor = article.querySelector(`[data-section="${CSS.escape(s.id)}"]`);
            if (anchor) anchor.scrollIntoView({ behavior: "smooth", block: "start" });
          },
        }, s.label),
        branch(s.id))));
    };
    return branch("");
  }

  async function openDocument(docId, hl) {
    closeSidebar();
    const body = openPanel("正在打开…", true);
    body.replaceChildren(el("p", { class: "panel-note" }, "正在载入文档…"));
    let doc;
    try {
      doc = await fetchDocument(docId);
    } catch (err) {
      body.replaceChildren(el("p", { class: "error-text" }, `无法打开文档:${err.message}`));
      return;
    }
    state.panelDoc = docId;
    $("panel-title").textContent = doc.title;
    const facts = [doc.issuer, doc.region, doc.year && `${doc.year}年`, doc.doc_number, doc.published]
      .filter(Boolean).join(" · ");
    const article = documentText(doc, hl);
    const toc = el("details", { class: "toc", open: !hl }, el("summary", {}, `目录(${doc.outline.length} 节)`), outlineTree(doc, article));
    const parts = [el("p", { class: "doc-facts" }, facts)];
    if (hl) parts.push(el("p", { class: "crumbs" }, "引用位置:", [doc.title, ...(hl.path || [])].join(" › ")));
    body.replaceChildren(...parts, toc, article);
    const mark = article.querySelector("mark.quote");
    if (mark) {
      requestAnimationFrame(() => mark.scrollIntoView({ block: "center" }));
    } else {
      body.scrollTop = 0;
    }
  }

  // ---------- filters, examples ---------------------------------------------------------------

  function fillSelect(select, values) {
    for (const [value, label] of values) select.append(el("option", { value }, label));
  }

  function setFilters(filters) {
    $("f-region").value = filters.region || "";
    $("f-year").value = filters.year ? String(filters.year) : "";
    $("f-doc").value = filters.doc_id || "";
    showFilters(true);
    updateFilterBadge();
  }

  function updateFilterBadge() {
    const f = currentFilters();
    const badge = $("filter-badge");
    if (!f) { badge.hidden = true; return; }
    const parts = [f.region, f.year && `${f.year}年`, f.doc_id && shortTitle(docMeta(f.doc_id))].filter(Boolean);
    badge.textContent = `已筛选:${parts.join(" · ")}`;
    badge.hidden = false;
  }

  function showFilters(show) {
    $("filters").hidden = !show;
    $("toggle-filters").setAttribute("aria-expanded", String(show));
  }

  /** Example questions made from the loaded documents' places and years. */
  function examples(docs) {
    const placed = docs.filter((d) => d.region && d.year);
    const provinces = placed.filter((d) => d.region_level === "省");
    const asks = ["新培育多少家科技型中小企业?", "研发经费投入增长目标是多少?"];
    const out = provinces.slice(0, 2).map((d, i) => [`${d.region}${d.year}年${asks[i]}`, d.title]);
    if (provinces.length >= 2) {
      const [a, b] = provinces.map((d) => d.region.replace(/省$/, ""));
      out.push([`${a}和${b}的研发经费投入目标分别是多少?`, `${provinces[0].title} / ${provinces[1].title}`]);
    }
    const city = placed.find((d) => d.region_level === "市");
    if (city) out.push([`${city.region}${city.year}年吸纳技术合同成交额是多少?`, city.title]);
    return out;
  }

  function renderExamples() {
    const box = $("examples");
    box.replaceChildren();
    $("welcome-sub").textContent =
      `答案只来自已收录的 ${state.docs.length} 份计划、总结和政府工作报告，每句都附原文出处；文件里没有的，会直接说明。`;
    for (const [question, source] of examples(state.docs)) {
      box.append(el("button", { type: "button", class: "example", onclick: () => ask(question) },
        el("span", { class: "example-q" }, question),
        el("span", { class: "example-src" }, `来自:${source}`)));
    }
  }

  async function loadDocuments() {
    try {
      state.docs = (await getJSON("/api/documents")).documents;
    } catch (err) {
      $("welcome-sub").textContent = `文档列表载入失败:${err.message}`;
      return;
    }
    const regions = [...new Set(state.docs.map((d) => d.region).filter(Boolean))].sort();
    const years = [...new Set(state.docs.map((d) => d.year).filter(Boolean))].sort();
    fillSelect($("f-region"), regions.map((r) => [r, r]));
    fillSelect($("f-year"), years.map((y) => [String(y), `${y}年`]));
    fillSelect($("f-doc"), state.docs.map((d) => [d.doc_id, d.title]));
    renderExamples();
  }

  // ---------- layout --------------------------------------------------------------------------

  function openSidebar() {
    $("app").classList.add("sidebar-open");
    $("scrim").hidden = false;
  }

  function closeSidebar() {
    $("app").classList.remove("sidebar-open");
    $("scrim").hidden = true;
  }

  function autosize() {
    const box = $("question");
    box.style.height = "auto";
    box.style.height = `${Math.min(box.scrollHeight, 180)}px`;
  }

  function wire() {
    const input = $("question");
    $("ask-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value;
      if (!text.trim() || state.busy) return;
      input.value = "";
      autosize();
      ask(text);
    });
    input.addEventListener("keydown", (event) => {
      // isComposing: Enter that confirms an IME candidate must not send the question
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        $("ask-form").requestSubmit();
      }
    });
    input.addEventListener("input", autosize);
    $("new-chat").addEventListener("click", newConversation);
    $("open-library").addEventListener("click", openLibrary);
    $("open-library-top").addEventListener("click", openLibrary);
    $("panel-close").addEventListener("click", closePanel);
    $("panel-back").addEventListener("click", openLibrary);
    $("menu").addEventListener("click", openSidebar);
    $("scrim").addEventListener("click", closeSidebar);
    $("toggle-filters").addEventListener("click", () => showFilters($("filters").hidden));
    for (const id of ["f-region", "f-year", "f-doc"]) $(id).addEventListener("change", updateFilterBadge);
    $("clear-filters").addEventListener("click", () => setFilters({}));
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") { hideTip(); closePanel(); closeSidebar(); }
    });
    window.addEventListener("scroll", hideTip, true);
  }

  wire();
  loadConversations();
  renderConversationList();
  if (state.current) openConversation(state.current.id);
  loadDocuments();
  $("question").focus();
})();
