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
  const DEFAULT_MAX_QUESTION = 500; // until the server says otherwise (GET /api/ask/limits)
  const KB_STORE = "planrag.v1.kb";
  const ALL_KBS = "*"; // the selector's 「全部知识库」
  const JOB_STAGES = {
    upload: "上传中", queued: "排队中", read: "读取", chunk: "切分", embed: "向量化", save: "保存", done: "完成", failed: "失败",
  };
  // how far along a job is at the start and end of each stage (the embedding takes the longest)
  const JOB_SPAN = { upload: [0, 0], queued: [0, 0], read: [0, 10], chunk: [10, 20], embed: [20, 90], save: [90, 100], done: [100, 100], failed: [0, 0] };
  const POLL_MS = 700;

  const $ = (id) => document.getElementById(id);
  const state = {
    docs: [],
    docCache: new Map(),
    conversations: [],
    current: null,
    busy: false,
    panelDoc: null,
    panelOpener: null,
    maxQuestion: DEFAULT_MAX_QUESTION,
    kbs: [],        // GET /api/kbs
    kb: "",         // the selected knowledge base, or ALL_KBS
    job: null,      // the last upload job (its JSON), shown in the library panel
    uploading: false,
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

  /** A short message at the bottom; with `action` ({label, run, ms}) it carries a button
   *  (e.g. 撤销) and stays for `ms`. Returns the button, if any. */
  function toast(message, action) {
    const box = $("toast");
    const parts = [el("span", { class: "toast-text" }, message)];
    let button = null;
    if (action) {
      button = el("button", {
        type: "button", class: "toast-action",
        onclick: () => { box.hidden = true; clearTimeout(toast.timer); action.run(); },
      }, action.label);
      parts.push(button);
    }
    box.replaceChildren(...parts);
    box.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => {
      if (button && box.contains(document.activeElement)) $("question").focus();
      box.hidden = true;
    }, action ? action.ms : 2200);
    return button;
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
        if (dialog.returnValue !== "ok") { resolve(false); return; }
        localStorage.setItem(KEY, input.value.trim());
        resolve(Boolean(input.value.trim()));
      }, { once: true });
      dialog.returnValue = "";
      dialog.showModal();
      input.focus();
    });
  }

  /** A failed request: HTTP status (0 when the server could not be reached) and the server's
   *  own error type and message. */
  class ApiError extends Error {
    constructor(status, kind, detail, retryAfter) {
      super(detail || `HTTP ${status}`);
      this.status = status;
      this.kind = kind;
      this.detail = detail;
      this.retryAfter = retryAfter;
    }
  }

  async function apiError(response) {
    let kind = "";
    let detail = "";
    try {
      const body = await response.json();
      if (body && body.error) ({ type: kind = "", message: detail = "" } = body.error);
    } catch (_) { /* not JSON */ }
    return new ApiError(response.status, kind, detail, response.headers.get("Retry-After"));
  }

  /** What went wrong, in Chinese, for a person: the server's own message only as a detail. */
  function describeError(err) {
    if (!(err instanceof ApiError)) return `页面出错了（${err && err.message}），请刷新后重试。`;
    const { status, kind, retryAfter } = err;
    const detail = err.detail ? `（服务器说明：${err.detail}）` : "";
    const wait = retryAfter ? `请在 ${retryAfter} 秒后重试。` : "请稍后重试。";
    if (kind === "incomplete") return "回答没有完整收到（连接中断了），请重试。";
    if (kind === "empty-kb") return `${selectionLabel()}还没有文件，无从作答。请先在「知识库」面板上传文件，或在顶栏换一个知识库。`;
    if (status === 0) return "无法连接到服务器。请确认服务已启动、网络通畅，然后重试。";
    if (status === 401) return "访问密钥缺失或不正确，服务器拒绝了请求。请重试并输入正确的密钥。";
    if (status === 429) return `请求过于频繁，${wait}`;
    if (status === 413) return `内容太长，超出了服务器允许的大小。${detail}`;
    if (status === 503 && retryAfter) return `服务器正忙，${wait}`;
    if (status === 503) return `服务器暂时无法作答（索引或模型可能还没有载入），${wait}${detail}`;
    if (status >= 500) return `服务器内部出错，${wait}`;
    return `服务器没有接受这个请求（${status}）。${detail}`;
  }

  /** fetch with the API key when one is stored; a 401 asks for the key once and retries.
   *  Every failure is an ApiError, an unreachable server included (status 0). */
  async function call(path, options = {}, retried = false) {
    const headers = Object.assign({}, options.headers || {});
    if (typeof options.body === "string") headers["Content-Type"] = "application/json";
    const key = apiKey();
    if (key) headers.Authorization = `Bearer ${key}`;
    let response;
    try {
      response = await fetch(path, Object.assign({}, options, { headers }));
    } catch (_) {
      throw new ApiError(0, "network", "");
    }
    if (response.status === 401 && !retried && (await askForKey())) {
      return call(path, options, true);
    }
    if (!response.ok) throw await apiError(response);
    return response;
  }

  async function getJSON(path) {
    return (await call(path)).json();
  }

  /** POST and read Server-Sent Events, calling handlers[event](data) in order. */
  async function stream(path, body, handlers) {
    const response = await call(path, { method: "POST", body: JSON.stringify(body) });
    await readEvents(response, handlers);
  }

  /** Read a response's Server-Sent Events, calling handlers[event](data) in order. */
  async function readEvents(response, handlers) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch (_) {
        throw new ApiError(0, "incomplete", ""); // the connection broke mid-answer
      }
      const { value, done } = chunk;
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
      toast("浏览器存储已满，较早的对话未保存");
    }
    renderConversationList();
    updateExportButton();
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
    updateExportButton();
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
    updateExportButton();
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
        chip.setAttribute("aria-label", `引用 ${n}：${[c.title, ...c.section_path].join(" › ")}`);
      }
    }
    const citation = () => turn.resp && turn.resp.citations[n - 1];
    chip.addEventListener("mouseenter", () => showTip(chip, citation()));
    chip.addEventListener("focus", () => showTip(chip, citation()));
    chip.addEventListener("mouseleave", hideTip);
    chip.addEventListener("blur", hideTip);
    chip.addEventListener("click", () => {
      const c = citation();
      if (c) openDocument(c.doc_id, { start: c.start, end: c.end, path: c.section_path }, chip, turn.kbs);
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

  /** Text with its 【n】 markers as clickable chips, appended to `box`. */
  function appendMarked(box, turn, text) {
    for (const part of text.split(/(【\d+】)/)) {
      const m = /^【(\d+)】$/.exec(part);
      if (m) box.append(citeChip(turn, Number(m[1]), false));
      else if (part) box.append(part);
    }
    return box;
  }

  function answerText(turn, text) {
    return appendMarked(el("div", { class: "answer-text" }), turn, text);
  }

  const REFUSAL_HEAD = /^文档中没有找到该问题的答案[：:]?/;

  /** A refusal's own words without the sentence the badge already says. */
  function refusalReason(text) {
    const rest = text.replace(REFUSAL_HEAD, "").trim();
    return rest === "。" ? "" : rest;
  }

  function timingsLine(timings) {
    if (!timings) return "";
    const parts = Object.entries(timings)
      .filter(([name]) => STAGES[name])
      .map(([name, ms]) => `${STAGES[name]} ${Math.round(ms)} ms`);
    return parts.join(" · ");
  }

  /** 「陕西省 · 2022年 · 某文件」 for a request's filters; "" for none. */
  function filterLabel(filters) {
    if (!filters) return "";
    const doc = filters.doc_id && docMeta(filters.doc_id);
    return [filters.region, filters.year && `${filters.year}年`,
      filters.doc_id && (doc ? doc.title : filters.doc_id)].filter(Boolean).join(" · ");
  }

  function compareTable(turn, rows) {
    const body = rows.map((row) => el("tr", {},
      el("th", { scope: "row" }, row.label),
      el("td", {}, row.value, row.citation ? citeChip(turn, row.citation, false) : "")));
    return el("table", { class: "compare" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "对象"), el("th", { scope: "col" }, "数值（出处）"))),
      el("tbody", {}, body));
  }

  function citationList(turn, citations) {
    return el("div", { class: "citations" },
      el("span", { class: "citations-label" }, turn.resp.refused ? "文档给出的是" : "出处"),
      citations.map((_, i) => citeChip(turn, i + 1, true)));
  }

  /** A refusal's related reading: closed by default, passages named by document title. */
  function relatedReading(turn, passages) {
    const shown = passages.slice(0, 4);
    const items = shown.map((p) => el("li", {},
      el("button", {
        type: "button", class: "related-item",
        onclick: (event) => openDocument(p.doc_id, { start: p.start, end: p.end, path: p.section_path }, event.currentTarget, turn.kbs),
      },
      el("span", { class: "related-where" }, [p.title || "未命名文档", ...p.section_path].join(" › ")),
      el("span", { class: "related-text" }, p.text.length > 140 ? `${p.text.slice(0, 140)}…` : p.text))));
    return el("details", { class: "related" },
      el("summary", {}, `相关段落 ${shown.length} 段（仅供参考，并未回答该问题）`),
      el("ol", {}, items));
  }

  /** Under an active filter a refusal says where it looked, and offers to look everywhere. */
  function filterNote(turn) {
    return el("p", { class: "filter-note" },
      `只在筛选范围内查找：${filterLabel(turn.filters)}。`,
      el("button", {
        type: "button", class: "act",
        onclick: () => { setFilters({}); ask(turn.asked, null); },
      }, "清除筛选后重问"));
  }

  class AnswerCard {
    constructor(turn) {
      this.turn = turn;
      this.node = el("article", { class: "msg assistant", "aria-busy": "true" });
      this.body = el("div", { class: "card" });
      this.node.append(this.body);
      this.text = el("div", { class: "answer-text" },
        el("span", { class: "typing", role: "img", "aria-label": "正在查找答案" }, el("i"), el("i"), el("i")));
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
        this.body.prepend(el("div", { class: "resolved" }, "已结合上文理解为：", el("q", {}, question)));
      }
    }

    /** A comparison is shown as its table alone; its text lines wait for the rows. */
    holdsText() {
      const resp = this.turn.resp;
      return resp.type === "compare" && !resp.refused;
    }

    token(data) {
      this.streamed += data.text;
      if (this.holdsText()) return;
      if (this.turn.resp.refused) {
        this.text.textContent = refusalReason(this.streamed);
      } else {
        appendMarked(this.text, this.turn, data.text);
      }
      scrollToEnd();
    }

    citations(data) {
      Object.assign(this.turn.resp, data, { answer: this.streamed });
      this.showText();
      this.extras();
    }

    done(data) {
      this.finished = true;
      this.turn.resp.timings_ms = data.timings_ms;
      this.actions();
      this.node.removeAttribute("aria-busy");
    }

    /** Render a finished answer (from history, or /api/ask). */
    fill(resp, error) {
      if (error || !resp) {
        this.fail(error || { status: -1 });
        return;
      }
      this.showText();
      this.header(resp.question, resp.refused);
      this.extras();
      this.actions();
      this.node.removeAttribute("aria-busy");
    }

    /** The answer's text, unless a comparison table says the same. */
    showText() {
      const resp = this.turn.resp;
      let text;
      if (resp.rows && resp.rows.length) text = compareTable(this.turn, resp.rows);
      else if (resp.refused) text = el("div", { class: "answer-text" }, refusalReason(resp.answer));
      else text = answerText(this.turn, resp.answer);
      this.text.replaceWith(text);
      this.text = text;
    }

    /** A failed question: what went wrong in Chinese, and a retry that asks it again. */
    fail(error) {
      this.node.classList.add("failed");
      this.node.removeAttribute("aria-busy");
      const message = typeof error === "string" ? error
        : error.status === -1 ? "没有收到回答。" : describeError(error);
      const box = el("div", { class: "answer-text" },
        el("p", { class: "error-text", role: "alert" }, `出错了：${message}`),
        el("button", { type: "button", class: "btn btn-small retry", onclick: () => retry(this) }, "重试"));
      this.body.replaceChildren(box);
      this.text = box;
    }

    extras() {
      const turn = this.turn;
      const resp = turn.resp;
      if (resp.refused && turn.filters) this.body.append(filterNote(turn));
      if (resp.citations && resp.citations.length) this.body.append(citationList(turn, resp.citations));
      if (resp.refused && resp.passages && resp.passages.length) this.body.append(relatedReading(turn, resp.passages));
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
      const comment = el("textarea", { rows: "2", maxlength: "2000", placeholder: "可选：说说原因，帮助我们改进", "aria-label": "反馈意见" });
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
          node.replaceChildren(el("p", { class: "thanks" }, "已收到反馈，谢谢！"));
        } catch (err) {
          submit.disabled = false;
          toast(`反馈未能提交：${describeError(err)}`);
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
      lines.push("", "出处：");
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

  /** Ask a question (under the given filters, by default the ones set on the page). */
  async function ask(text, filters = currentFilters()) {
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
    const kbs = selectedKbs();
    const turn = { asked: question, filters, kbs, resp: null, feedback: null };
    conv.turns.push(turn);
    $("welcome").hidden = true;
    const bubble = userBubble(question);
    const card = new AnswerCard(turn);
    card.bubble = bubble;
    $("thread").append(bubble, card.node);
    scrollToEnd();
    const body = { question, history };
    if (filters) body.filters = filters;
    if (kbs.length) body.kbs = kbs;
    try {
      if (state.kbs.length && !kbs.length) throw new ApiError(400, "empty-kb", "");
      await stream("/api/ask/stream", body, {
        meta: (d) => card.meta(d),
        token: (d) => card.token(d),
        citations: (d) => card.citations(d),
        done: (d) => card.done(d),
      });
      if (!card.finished) throw new ApiError(0, "incomplete", "");
    } catch (err) {
      turn.resp = null;
      turn.error = describeError(err);
      card.fail(err);
      keepQuestion(question);
    } finally {
      conv.updated = Date.now();
      saveConversations();
      state.busy = false;
      $("send").disabled = false;
      scrollToEnd();
    }
  }

  /** A question that failed stays in the input box, unless something else was typed since. */
  function keepQuestion(question) {
    const box = $("question");
    if (!box.value.trim()) {
      box.value = question;
      autosize();
      checkLength();
    }
  }

  /** Ask a failed question again, in place of the failed exchange. */
  function retry(card) {
    if (state.busy || !state.current) return;
    const conv = state.current;
    const turn = card.turn;
    conv.turns = conv.turns.filter((t) => t !== turn);
    if (card.bubble) card.bubble.remove();
    else if (card.node.previousElementSibling) card.node.previousElementSibling.remove();
    card.node.remove();
    if ($("question").value.trim() === turn.asked) {
      $("question").value = "";
      autosize();
      checkLength();
    }
    ask(turn.asked, turn.filters);
  }

  // ---------- question length -----------------------------------------------------------------

  /** Characters as the server counts them (code points of the trimmed text). */
  function questionLength(text) {
    return Array.from(text.trim()).length;
  }

  /** Show (and announce) how far a question is over the server's limit; true when it fits. */
  function checkLength() {
    const n = questionLength($("question").value);
    const max = state.maxQuestion;
    const counter = $("question-count");
    const over = n > max;
    const near = n > max * 0.8;
    counter.hidden = !near;
    counter.classList.toggle("over", over);
    $("question").setAttribute("aria-invalid", String(over));
    if (over) counter.textContent = `问题有 ${n} 字，超出上限 ${max} 字，请删减 ${n - max} 字后再发送。`;
    else if (near) counter.textContent = `${n} / ${max} 字`;
    return !over;
  }

  async function loadLimits() {
    try {
      const limits = await getJSON("/api/ask/limits");
      if (Number.isInteger(limits.max_question_chars) && limits.max_question_chars > 0) {
        state.maxQuestion = limits.max_question_chars;
      }
    } catch (_) { /* keep the default; the server still checks every question */ }
    checkLength();
  }

  // ---------- export --------------------------------------------------------------------------

  /** The current conversation as POST /api/export wants it: answered turns only. */
  function exportBody(conv) {
    const turns = conv.turns.filter((t) => t.resp && !t.error).map((t) => ({
      question: t.resp.question,
      asked: t.asked,
      answer: t.resp.answer,
      refused: Boolean(t.resp.refused),
      filters: filterLabel(t.filters),
      citations: (t.resp.citations || []).map((c) => ({ title: c.title, section_path: c.section_path, quote: c.quote })),
    }));
    return { title: conv.title, turns };
  }

  function exportable() {
    return Boolean(state.current && state.current.turns.some((t) => t.resp && !t.error));
  }

  function updateExportButton() {
    $("export-toggle").disabled = !exportable();
    if (!exportable()) showExportMenu(false);
  }

  function showExportMenu(show) {
    $("export-menu").hidden = !show;
    $("export-toggle").setAttribute("aria-expanded", String(show));
    if (show) $("export-menu").querySelector("button").focus();
  }

  /** The file name the server gave (Content-Disposition filename*), else a plain one. */
  function downloadName(response, format) {
    const header = response.headers.get("Content-Disposition") || "";
    const m = /filename\*=UTF-8''([^;]+)/i.exec(header);
    try {
      if (m) return decodeURIComponent(m[1]);
    } catch (_) { /* malformed: fall through */ }
    return `对话记录.${format}`;
  }

  async function exportConversation(format) {
    showExportMenu(false);
    if (!exportable()) return;
    const label = format === "docx" ? "Word" : "Markdown";
    try {
      const response = await call(`/api/export?format=${format}`, {
        method: "POST", body: JSON.stringify(exportBody(state.current)),
      });
      const blob = await response.blob();
      const link = el("a", { href: URL.createObjectURL(blob), download: downloadName(response, format), class: "offscreen" });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
      toast(`已导出 ${label} 文件`);
    } catch (err) {
      toast(`导出失败：${describeError(err)}`);
    }
    $("export-toggle").focus();
  }

  // ---------- documents panel -----------------------------------------------------------------

  /** A document's text and outline, looked up in the knowledge bases `kbs` (the server's
   *  default when none are given). */
  async function fetchDocument(docId, kbs) {
    const key = `${(kbs || []).join("\n")}|${docId}`;
    if (!state.docCache.has(key)) {
      const query = kbQuery(kbs);
      state.docCache.set(key, await getJSON(`/api/documents/${encodeURIComponent(docId)}${query ? `?${query}` : ""}`));
    }
    return state.docCache.get(key);
  }

  /** Open the side panel and move focus into it; `opener` gets focus back when it closes. */
  function openPanel(title, showBack, opener) {
    hideTip();
    const panel = $("panel");
    const outside = (node) => node && node !== document.body && !panel.contains(node);
    if (outside(opener)) state.panelOpener = opener;
    else if (panel.hidden) state.panelOpener = outside(document.activeElement) ? document.activeElement : null;
    panel.hidden = false;
    $("app").classList.add("panel-open");
    $("panel-title").textContent = title;
    $("panel-back").hidden = !showBack;
    $("panel-title").focus({ preventScroll: true });
    return $("panel-body");
  }

  function closePanel() {
    if ($("panel").hidden) return;
    const panelHadFocus = $("panel").contains(document.activeElement);
    $("panel").hidden = true;
    $("app").classList.remove("panel-open");
    state.panelDoc = null;
    const opener = state.panelOpener;
    state.panelOpener = null;
    if (panelHadFocus && opener && opener.isConnected) opener.focus({ preventScroll: true });
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

  /** Show a document in the panel, the quote `hl` marked and focused when given. */
  async function openDocument(docId, hl, opener, kbs) {
    closeSidebar();
    const body = openPanel("正在打开…", true, opener);
    body.replaceChildren(el("p", { class: "panel-note" }, "正在载入文档…"));
    let doc;
    try {
      doc = await fetchDocument(docId, kbs);
    } catch (err) {
      body.replaceChildren(el("p", { class: "error-text", role: "alert" }, `无法打开文档：${describeError(err)}`));
      return;
    }
    state.panelDoc = docId;
    $("panel-title").textContent = doc.title;
    const facts = [doc.issuer, doc.region, doc.year && `${doc.year}年`, doc.doc_number, doc.published]
      .filter(Boolean).join(" · ");
    const article = documentText(doc, hl);
    const toc = el("details", { class: "toc", open: !hl }, el("summary", {}, `目录（${doc.outline.length} 节）`), outlineTree(doc, article));
    const parts = [el("p", { class: "doc-facts" }, facts)];
    if (hl) parts.push(el("p", { class: "crumbs" }, "引用位置：", [doc.title, ...(hl.path || [])].join(" › ")));
    body.replaceChildren(...parts, toc, article);
    const mark = article.querySelector("mark.quote");
    if (mark) {
      // focus on the quote itself: a screen reader reads it, the keyboard continues from it
      mark.setAttribute("tabindex", "-1");
      mark.focus({ preventScroll: true });
      requestAnimationFrame(() => mark.scrollIntoView({ block: "center" }));
    } else {
      body.scrollTop = 0;
    }
  }

  // ---------- the 指标 view: every figure of the documents as a row -----------------------------

  const KIND_LABELS = {
    target: "目标", result: "完成情况", growth: "增长率", share: "比重或比率", count: "数量", money: "金额", rank: "位次", level: "总量",
  };
  const TARGET_COLUMNS = [
    ["place", "地方"], ["year", "年份"], ["stance", "性质"], ["kind", "度量"], ["indicator_norm", "指标"], ["value", "数值"],
  ];
  const SVG_NS = "http://www.w3.org/2000/svg";
  const targets = { rows: [], total: 0, sort: { key: "place", asc: true }, query: {}, options: null };

  /** An SVG element with attributes (never markup). */
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  }

  /** GET /api/targets with the view's filters and the selected knowledge bases. */
  function targetsUrl(format) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(targets.query)) if (value) params.set(key, value);
    if (format) params.set("format", format);
    const kb = kbQuery(selectedKbs());
    return `/api/targets?${[params.toString(), kb].filter(Boolean).join("&")}`;
  }

  function sortValue(row, key) {
    if (key === "value") return row.base_amount === null ? -Infinity : row.base_amount;
    if (key === "year") return row.year || 0;
    return String(row[key] || "");
  }

  function sortedTargets() {
    const { key, asc } = targets.sort;
    const sign = asc ? 1 : -1;
    return [...targets.rows].sort((a, b) => {
      const x = sortValue(a, key);
      const y = sortValue(b, key);
      if (x < y) return -sign;
      if (x > y) return sign;
      return a.doc_id < b.doc_id ? -1 : a.doc_id > b.doc_id ? 1 : a.value_start - b.value_start;
    });
  }

  /** The figure as the table shows it: value, its bound, and the kind of statement. */
  function figureLabel(row) {
    const before = ["突破", "超过", "超", "逾", "不少于", "不低于", "不超过", "不高于", "接近", "约", "近", "不到"];
    const prefix = before.find((q) => row.qualifier.startsWith(q)) || "";
    return `${prefix}${row.value}${row.qualifier.slice(prefix.length)}`;
  }

  function targetsTable(rows) {
    const head = TARGET_COLUMNS.map(([key, label]) => {
      const active = targets.sort.key === key;
      const sort = active ? (targets.sort.asc ? "ascending" : "descending") : "none";
      return el("th", { scope: "col", "aria-sort": sort },
        el("button", {
          type: "button", class: "sort-btn", dataset: { sort: key },
          onclick: () => {
            targets.sort = { key, asc: active ? !targets.sort.asc : true };
            renderTargets();
            const again = document.querySelector(`.targets-table [data-sort="${key}"]`);
            if (again) again.focus();
          },
        }, label, active ? (targets.sort.asc ? " ▲" : " ▼") : ""));
    });
    const body = rows.map((row) => el("tr", {},
      el("td", {}, row.place),
      el("td", {}, row.year || "—"),
      el("td", {}, KIND_LABELS[row.stance] || "—"),
      el("td", {}, KIND_LABELS[row.kind] || row.kind),
      el("td", { title: row.indicator }, row.indicator_norm || "—"),
      el("td", {}, el("button", {
        type: "button", class: "cell-link", title: "在文档中查看原文",
        onclick: (event) => openDocument(row.doc_id, { start: row.start, end: row.end, path: row.section_path },
          event.currentTarget, selectedKbs()),
      }, figureLabel(row)))));
    return el("table", { class: "targets-table" },
      el("thead", {}, el("tr", {}, head)), el("tbody", {}, body));
  }

  /** The most frequent value of `key` among the rows (ties: the first seen). */
  function modal(rows, key) {
    const counts = new Map();
    for (const r of rows) counts.set(r[key], (counts.get(r[key]) || 0) + 1);
    let best = null;
    for (const [value, n] of counts) if (best === null || n > counts.get(best)) best = value;
    return best;
  }

  /** The rows a chart can compare: those in the unit most of them share and, when the
   *  filter leaves several indicators, those of the most frequent one. */
  function chartRows(rows) {
    const numeric = rows.filter((r) => r.base_amount !== null);
    if (!numeric.length) return null;
    const unit = modal(numeric, "base_unit");
    const same = numeric.filter((r) => r.base_unit === unit);
    const name = modal(same, "indicator_norm");
    const named = same.filter((r) => r.indicator_norm === name);
    return { unit, rows: new Set(named.map((r) => r.place)).size > 1 || new Set(named.map((r) => r.year)).size > 1 ? named : same };
  }

  function amountLabel(value, unit) {
    const text = Number.isInteger(value) ? String(value) : value.toFixed(2).replace(/0+$/, "");
    return `${text}${unit}`;
  }

  /** Bars across places: each place's first figure (in the table's order), one unit. */
  function barChart(rows) {
    const usable = chartRows(rows);
    if (!usable) return null;
    const byPlace = new Map();
    for (const r of usable.rows) if (!byPlace.has(r.place)) byPlace.set(r.place, r);
    if (byPlace.size < 2) return null;
    const bars = [...byPlace.values()].slice(0, 30);
    const max = Math.max(...bars.map((r) => r.base_amount), 0) || 1;
    const rowH = 22;
    const width = 560;
    const left = 130;
    const chart = svg("svg", {
      class: "chart bar-chart", viewBox: `0 0 ${width} ${bars.length * rowH + 8}`, role: "img",
      "aria-label": `各地方的数值（${usable.unit || "无单位"}）`,
    });
    bars.forEach((r, i) => {
      const y = i * rowH + 4;
      const w = Math.max(1, ((width - left - 90) * r.base_amount) / max);
      chart.append(
        svg("text", { x: left - 6, y: y + 14, "text-anchor": "end", class: "chart-label" }, r.place),
        svg("rect", { x: left, y: y + 3, width: w, height: rowH - 8, class: "chart-bar" }, svg("title", {}, `${r.place}：${r.value}`)),
        svg("text", { x: left + w + 4, y: y + 14, class: "chart-value" }, r.value));
    });
    return el("figure", { class: "chart-box" }, el("figcaption", {}, `各地方对比（${usable.unit || "无单位"}）`), chart);
  }

  /** A line across years for each place (at most six), one unit. */
  function lineChart(rows) {
    const usable = chartRows(rows);
    if (!usable) return null;
    const years = [...new Set(usable.rows.map((r) => r.year).filter(Boolean))].sort((a, b) => a - b);
    if (years.length < 2) return null;
    const places = [...new Set(usable.rows.map((r) => r.place))].slice(0, 6);
    const series = places.map((place) => years.map((year) => {
      const hit = usable.rows.find((r) => r.place === place && r.year === year);
      return hit ? { year, row: hit } : null;
    }).filter(Boolean)).filter((points) => points.length);
    const values = series.flat().map((p) => p.row.base_amount);
    const [lo, hi] = [Math.min(...values), Math.max(...values)];
    const width = 560;
    const height = 220;
    const pad = { left: 50, right: 20, top: 14, bottom: 30 };
    const x = (year) => pad.left + ((width - pad.left - pad.right) * years.indexOf(year)) / (years.length - 1);
    const y = (v) => height - pad.bottom - ((height - pad.top - pad.bottom) * (v - lo)) / ((hi - lo) || 1);
    const chart = svg("svg", {
      class: "chart line-chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": `逐年变化（${usable.unit || "无单位"}）`,
    });
    chart.append(svg("line", { x1: pad.left, y1: height - pad.bottom, x2: width - pad.right, y2: height - pad.bottom, class: "chart-axis" }));
    for (const year of years) {
      chart.append(svg("text", { x: x(year), y: height - 10, "text-anchor": "middle", class: "chart-label" }, `${year}`));
    }
    chart.append(
      svg("text", { x: pad.left - 6, y: y(hi) + 4, "text-anchor": "end", class: "chart-label" }, amountLabel(hi, usable.unit)),
      svg("text", { x: pad.left - 6, y: y(lo) + 4, "text-anchor": "end", class: "chart-label" }, amountLabel(lo, usable.unit)));
    series.forEach((points, i) => {
      const cls = `chart-series s${i}`;
      chart.append(svg("polyline", { points: points.map((p) => `${x(p.year)},${y(p.row.base_amount)}`).join(" "), class: cls }));
      for (const p of points) {
        chart.append(svg("circle", { cx: x(p.year), cy: y(p.row.base_amount), r: 3.5, class: cls },
          svg("title", {}, `${p.row.place} ${p.year}年：${p.row.value}`)));
      }
    });
    const legend = el("p", { class: "chart-legend" }, series.map((points, i) => el("span", { class: `legend-item s${i}` }, points[0].row.place)));
    return el("figure", { class: "chart-box" }, el("figcaption", {}, `逐年变化（${usable.unit || "无单位"}）`), chart, legend);
  }

  function targetsFilters() {
    const opts = targets.options || { places: [], years: [] };
    const select = (id, label, values, current, name = (v) => v) => el("label", {}, label,
      el("select", { id }, el("option", { value: "" }, "全部"),
        values.map((v) => el("option", { value: v, selected: String(v) === String(current || "") }, name(v)))));
    const form = el("form", { class: "targets-filters", id: "targets-form" },
      el("label", { class: "grow" }, "指标",
        el("input", { id: "t-indicator", type: "search", value: targets.query.indicator || "", placeholder: "如：研发投入强度", maxlength: "100" })),
      select("t-place", "地方", opts.places, targets.query.place),
      select("t-year", "年份", opts.years, targets.query.year),
      select("t-kind", "性质或度量", Object.keys(KIND_LABELS), targets.query.kind, (k) => KIND_LABELS[k]),
      el("button", { type: "submit", class: "btn btn-small btn-primary" }, "筛选"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      targets.query = {
        indicator: $("t-indicator").value.trim(), place: $("t-place").value, year: $("t-year").value, kind: $("t-kind").value,
      };
      loadTargets();
    });
    return form;
  }

  function renderTargets(message) {
    const view = $("targets-view");
    const rows = sortedTargets();
    const shown = rows.slice(0, 500);
    const downloads = el("span", { class: "targets-downloads" },
      el("button", { type: "button", class: "btn btn-small", id: "t-csv", onclick: () => downloadTargets("csv") }, "导出 CSV"),
      el("button", { type: "button", class: "btn btn-small", id: "t-xlsx", onclick: () => downloadTargets("xlsx") }, "导出 Excel"));
    const count = message || `共 ${targets.total} 条${targets.total > shown.length ? `，显示前 ${shown.length} 条` : ""}；点数值查看原文`;
    const charts = el("div", { class: "charts" }, barChart(rows), lineChart(rows));
    view.replaceChildren(
      el("h2", { class: "targets-title" }, "指标"),
      targetsFilters(),
      el("p", { class: "targets-count", role: "status" }, count, " ", downloads),
      charts,
      el("div", { class: "table-wrap" }, targetsTable(shown)));
  }

  async function loadTargets() {
    renderTargets("正在载入…");
    try {
      const body = await getJSON(targetsUrl());
      targets.rows = body.rows;
      targets.total = body.total;
      if (!targets.options) {
        // the filter choices come from the whole table (the first, unfiltered load)
        targets.options = {
          places: [...new Set(body.rows.map((r) => r.place))].sort(),
          years: [...new Set(body.rows.map((r) => r.year).filter(Boolean))].sort((a, b) => b - a),
        };
      }
      renderTargets();
    } catch (err) {
      targets.rows = [];
      targets.total = 0;
      renderTargets(`无法载入指标：${describeError(err)}`);
    }
  }

  async function downloadTargets(format) {
    try {
      const response = await call(targetsUrl(format));
      const blob = await response.blob();
      const link = el("a", { href: URL.createObjectURL(blob), download: `指标.${format}`, class: "offscreen" });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (err) {
      toast(`导出失败：${describeError(err)}`);
    }
  }

  /** Show the 指标 view in place of the conversation (or go back to it). */
  function showTargets(show) {
    $("targets-view").hidden = !show;
    $("messages").hidden = show;
    $("ask-form").hidden = show;
    $("open-targets").setAttribute("aria-pressed", show ? "true" : "false");
    $("open-targets").textContent = show ? "返回问答" : "指标";
    if (show) {
      targets.options = null;
      loadTargets().then(() => { if ($("t-indicator")) $("t-indicator").focus(); });
    }
  }

  // ---------- knowledge bases and the library panel -------------------------------------------

  const enc = encodeURIComponent;
  const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

  /** 「kb=a&kb=b」 for the given knowledge bases ("" for none). */
  function kbQuery(kbs) {
    return (kbs || []).filter(Boolean).map((k) => `kb=${enc(k)}`).join("&");
  }

  function kbInfo(name) {
    return state.kbs.find((k) => k.name === name) || null;
  }

  function defaultKb() {
    const found = state.kbs.find((k) => k.default) || state.kbs[0];
    return found ? found.name : "";
  }

  /** The knowledge bases a question is asked in: the selected one, or every one that holds
   *  documents under 「全部知识库」 (an empty base has nothing to answer from). [] when the
   *  server did not list its bases: it then answers from its default. */
  function selectedKbs() {
    if (!state.kbs.length) return [];
    const picked = state.kb === ALL_KBS ? state.kbs : state.kbs.filter((k) => k.name === state.kb);
    return picked.filter((k) => k.documents > 0).map((k) => k.name);
  }

  function selectionLabel() {
    if (state.kb === ALL_KBS) return `全部知识库（${state.kbs.length} 个）`;
    return `知识库「${state.kb}」`;
  }

  async function loadKbs() {
    try {
      state.kbs = (await getJSON("/api/kbs")).kbs || [];
    } catch (_) {
      state.kbs = []; // an older server: questions and documents go to its default base
    }
    const names = state.kbs.map((k) => k.name);
    const wanted = state.kb || localStorage.getItem(KB_STORE) || "";
    state.kb = wanted === ALL_KBS || names.includes(wanted) ? wanted : defaultKb();
    const select = $("kb-select");
    select.replaceChildren(...state.kbs.map((k) => el("option", { value: k.name }, `${k.name}（${k.documents} 份）`)));
    if (state.kbs.length) select.append(el("option", { value: ALL_KBS }, "全部知识库"));
    select.value = state.kb;
    select.disabled = !state.kbs.length;
  }

  async function chooseKb(value) {
    state.kb = value;
    localStorage.setItem(KB_STORE, value);
    await loadDocuments();
    if ($("upload-kb")) $("upload-kb").value = ""; // uploads follow the new choice
    updateLibrary();
    if (!$("targets-view").hidden) { targets.options = null; loadTargets(); } // the 指标 of the new choice
  }

  /** Re-read the bases and the documents, and redraw the library panel if it is open. */
  async function refreshLibrary() {
    state.docCache.clear();
    await loadKbs();
    await loadDocuments();
    updateLibrary();
  }

  function openLibrary(event) {
    closeSidebar();
    const body = openPanel("知识库", false, event && event.currentTarget);
    body.replaceChildren(libraryView());
    updateLibrary();
  }

  /** The library panel: upload, a new knowledge base, and the documents of the selection. */
  function libraryView() {
    // the browser's own file button speaks the browser's language: a labelled button of ours
    // stands in for it, the input itself stays focusable
    const files = el("input", {
      type: "file", id: "upload-files", class: "file-input", multiple: true,
      accept: ".txt,.md,.html,.htm,.docx,.pdf", "aria-describedby": "upload-chosen upload-hint",
    });
    const chosen = el("span", { class: "file-chosen", id: "upload-chosen" }, "未选择文件");
    files.addEventListener("change", () => {
      const names = [...files.files].map((f) => f.name);
      chosen.textContent = names.length ? `已选 ${names.length} 个文件：${names.join("、")}` : "未选择文件";
    });
    const target = el("select", { id: "upload-kb" });
    const send = el("button", { type: "submit", class: "btn btn-primary btn-small", id: "upload-send", disabled: state.uploading }, "上传");
    const upload = el("form", { class: "lib-box upload-form", id: "upload-form", "aria-labelledby": "upload-heading" },
      el("h3", { id: "upload-heading" }, "上传文件"),
      el("div", { class: "lib-row" },
        files, el("label", { for: "upload-files", class: "btn btn-small file-button" }, "选择文件…"), chosen),
      el("div", { class: "lib-row" },
        el("label", { for: "upload-kb" }, "上传到"), target, send),
      el("p", { class: "hint", id: "upload-hint" }, "支持 .txt、.md、.html、.docx、.pdf，可一次选多个文件；上传后自动建索引，无需重启。"),
      el("div", { class: "upload-status", id: "upload-status", "aria-live": "polite" }));
    upload.addEventListener("submit", (event) => { event.preventDefault(); uploadFiles(); });

    const name = el("input", {
      type: "text", id: "kb-name", maxlength: "40", autocomplete: "off", "aria-describedby": "kb-hint",
    });
    const create = el("form", { class: "lib-box kb-form", id: "kb-form", "aria-labelledby": "kb-heading" },
      el("h3", { id: "kb-heading" }, "新建知识库"),
      el("div", { class: "lib-row" },
        el("label", { for: "kb-name" }, "名称"), name,
        el("button", { type: "submit", class: "btn btn-small" }, "新建")),
      el("p", { class: "hint", id: "kb-hint" }, "名称可用汉字、字母、数字、- 和 _，最多 40 个字。"),
      el("p", { class: "form-message", id: "kb-message", role: "status" }));
    create.addEventListener("submit", (event) => { event.preventDefault(); createKb(name); });

    return el("div", { class: "library-view" },
      el("p", { class: "panel-note", id: "library-note" }),
      upload,
      create,
      el("h3", { class: "lib-heading", id: "library-heading" }, "文档"),
      el("ul", { class: "library", id: "library-docs", "aria-labelledby": "library-heading" }));
  }

  /** Fill the open library panel (if it is open) from state: note, upload target, documents. */
  function updateLibrary() {
    const list = $("library-docs");
    if (!list || $("panel").hidden) return;
    const info = state.kb === ALL_KBS ? null : kbInfo(state.kb);
    let note = `已收录 ${state.docs.length} 份文件。`;
    if (state.kbs.length) {
      note = info && !info.documents
        ? `${selectionLabel()}还没有文件，请先上传。`
        : `${selectionLabel()}已收录 ${state.docs.length} 份文件。`;
    }
    $("library-note").textContent = note;

    const target = $("upload-kb");
    const keep = target.value;
    target.replaceChildren(...state.kbs.map((k) => el("option", { value: k.name }, k.name)));
    target.disabled = !state.kbs.length; // no list: uploads go to the server's default base
    target.value = keep && kbInfo(keep) ? keep : (state.kb === ALL_KBS ? defaultKb() : state.kb);
    showJob(state.job);

    const all = state.kb === ALL_KBS;
    list.replaceChildren(...state.docs.map((d) => docCard(d, all)));
    if (!state.docs.length) list.append(el("li", { class: "panel-note" }, "这里还没有文件。"));
  }

  function docCard(d, withKb) {
    const facts = [
      ["知识库", withKb ? d.kb : null],
      ["发文单位", d.issuer], ["地区", d.region], ["年份", d.year], ["文号", d.doc_number],
      ["发布日期", d.published], ["篇幅", `${d.chars} 字 · ${d.sections} 节`],
    ].filter(([, v]) => v !== null && v !== undefined && v !== "");
    return el("li", { class: "doc-card", dataset: { doc: d.doc_id } },
      el("h3", {}, d.title),
      el("dl", {}, facts.map(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v))])),
      el("div", { class: "doc-actions" },
        el("button", {
          type: "button", class: "btn btn-small btn-primary",
          onclick: (event) => openDocument(d.doc_id, null, event.currentTarget, d.kb ? [d.kb] : null),
        }, "阅读全文"),
        el("button", {
          type: "button", class: "btn btn-small",
          onclick: () => { setFilters({ doc_id: d.doc_id }); closePanel(); $("question").focus(); },
        }, "只问这份文件"),
        el("button", {
          type: "button", class: "btn btn-small", "aria-label": `重建《${d.title}》的索引`,
          onclick: () => reindexDocument(d),
        }, "重建索引"),
        el("button", {
          type: "button", class: "btn btn-small btn-danger", "aria-label": `删除《${d.title}》`,
          onclick: () => removeDocument(d),
        }, "删除")));
  }

  /** Read an uploaded document's kept original again; progress shows like an upload's. */
  async function reindexDocument(d) {
    if (state.uploading) return;
    const query = kbQuery(d.kb ? [d.kb] : null);
    setUploading(true);
    try {
      const response = await call(
        `/api/documents/${enc(d.doc_id)}/reindex${query ? `?${query}` : ""}`, { method: "POST" });
      const { job } = await response.json();
      await followJob(job);
    } catch (err) {
      toast(err.status === 404
        ? `《${d.title}》不是从页面上传的，服务器没有保存原件；请用 rag ingest 重新收录它的文件。`
        : `重建索引失败：${describeError(err)}`);
    } finally {
      setUploading(false);
    }
  }

  // ---------- upload and its progress ---------------------------------------------------------

  /** Percent done of a job: each stage spans a part of the bar, done/total moves within it. */
  function jobPercent(job) {
    const [from, to] = JOB_SPAN[job.stage] || [0, 0];
    const part = job.total ? Math.min(1, job.done / job.total) : 0;
    return Math.round(from + (to - from) * part);
  }

  function jobStageText(job) {
    const name = JOB_STAGES[job.stage] || job.stage;
    if (job.stage === "embed" && job.total) return `${name} ${job.done}/${job.total}`;
    if (job.stage === "upload") return `${name}（${job.files.length} 个文件）`;
    return name;
  }

  // the server's reasons for refusing an upload, as it words them
  const UPLOAD_REASONS = [
    [/^type (\S+) is not read/, (m) => `不支持 ${m[1]} 类型的文件`],
    [/^larger than (\d+) MB/, (m) => `文件超过 ${m[1]} MB 的上限`],
    [/^the same file name twice/, () => "同一次上传中文件名重复"],
    [/^file name must be/, () => "文件名不合规（须为 1～120 个可打印字符）"],
  ];

  function uploadReason(message) {
    for (const [pattern, say] of UPLOAD_REASONS) {
      const m = pattern.exec(message || "");
      if (m) return say(m);
    }
    return message || "原因不明";
  }

  function fileLine(job, f) {
    if (f.status === "error") return el("li", { class: "file-error" }, `${f.name}：未收录（${uploadReason(f.message)}）`);
    const settled = job.stage === "done";
    return el("li", { class: settled ? "file-ok" : "" }, `${f.name}：${settled ? "已收录" : "等待处理"}`);
  }

  function jobSummary(job) {
    if (job.stage === "failed") return el("p", { class: "error-text", role: "alert" }, `失败：${job.error || "未知原因"}`);
    if (job.stage !== "done" || !job.report) return null;
    const r = job.report;
    const where = job.kb ? `知识库「${job.kb}」` : "知识库";
    return el("p", { class: "job-done" },
      `完成：${where}现有 ${r.documents} 份文件、${r.chunks} 个片段，本次向量化 ${r.embedded} 段，用时 ${r.seconds} 秒。`);
  }

  /** Draw an upload job (or the upload itself, before the server named a job). */
  function showJob(job) {
    state.job = job;
    const box = $("upload-status");
    if (!box) return;
    if (!job) { box.replaceChildren(); return; }
    const label = el("label", { for: "upload-progress", class: "job-stage", id: "upload-stage" }, "进度：", jobStageText(job));
    const bar = el("progress", {
      id: "upload-progress", max: "100", value: String(jobPercent(job)),
      dataset: { stage: job.stage }, class: job.stage === "failed" ? "failed" : null,
    });
    const files = (job.files || []).map((f) => fileLine(job, f));
    box.replaceChildren(label, bar, files.length ? el("ul", { class: "job-files" }, files) : null, jobSummary(job));
  }

  function setUploading(on) {
    state.uploading = on;
    if ($("upload-send")) $("upload-send").disabled = on;
  }

  async function uploadFiles() {
    const input = $("upload-files");
    const files = [...input.files];
    if (!files.length) {
      showJob({ stage: "failed", error: "请先选择要上传的文件。", files: [] });
      input.focus();
      return;
    }
    if (state.uploading) return;
    const kb = $("upload-kb").value;
    const data = new FormData();
    for (const f of files) data.append("files", f, f.name);
    setUploading(true);
    showJob({ stage: "upload", done: 0, total: 0, kb, files: files.map((f) => ({ name: f.name, status: "ok" })) });
    try {
      const query = kbQuery([kb]);
      const response = await call(`/api/documents${query ? `?${query}` : ""}`, { method: "POST", body: data });
      const { job } = await response.json();
      input.value = "";
      if ($("upload-chosen")) $("upload-chosen").textContent = "未选择文件";
      await followJob(job);
    } catch (err) {
      showJob({ stage: "failed", kb, error: describeError(err), files: [] });
    } finally {
      setUploading(false);
    }
  }

  /** Follow a job to its end: its event stream, else (or when that breaks) polling. */
  async function followJob(job) {
    let last = job;
    showJob(last);
    if (!last.finished) {
      const seen = (j) => { last = j; showJob(j); };
      try {
        await readEvents(await call(`/api/jobs/${enc(job.id)}/events`), { progress: seen, done: seen });
      } catch (_) { /* no stream: poll below */ }
    }
    let misses = 0;
    while (!last.finished) {
      await sleep(POLL_MS);
      try {
        last = await getJSON(`/api/jobs/${enc(job.id)}`);
        misses = 0;
        showJob(last);
      } catch (err) {
        misses += 1;
        if (misses >= 10 || err.status === 404) {
          showJob({ ...last, stage: "failed", error: `无法获取进度：${describeError(err)}` });
          return;
        }
      }
    }
    if (last.stage === "done") {
      await refreshLibrary();
      showJob(last);
    }
  }

  // ---------- removal with undo, new knowledge base -------------------------------------------

  async function removeDocument(d) {
    const where = d.kb ? `知识库「${d.kb}」` : "知识库";
    if (!window.confirm(`确定从${where}删除《${d.title}》吗？删除后短时间内可以撤销。`)) return;
    let result;
    try {
      const query = [kbQuery([d.kb]), `confirm=${enc(d.doc_id)}`].filter(Boolean).join("&");
      result = await (await call(`/api/documents/${enc(d.doc_id)}?${query}`, { method: "DELETE" })).json();
    } catch (err) {
      toast(`删除失败：${describeError(err)}`);
      return;
    }
    await refreshLibrary();
    const seconds = Number(result.undo_seconds) || 10;
    const undo = toast(`已删除《${d.title}》`, {
      label: "撤销",
      ms: Math.max(1000, seconds * 1000 - 1000), // a little inside the server's window
      run: () => undoRemoval(result.undo_token, d.title),
    });
    // the card and its button are gone: the undo is the natural next stop
    undo.focus({ preventScroll: true });
  }

  async function undoRemoval(token, title) {
    try {
      await call("/api/documents/undo", { method: "POST", body: JSON.stringify({ token }) });
    } catch (err) {
      toast(`撤销失败：${describeError(err)}`);
      return;
    }
    await refreshLibrary();
    toast(`已恢复《${title}》`);
    const back = $("library-docs");
    if (back && !$("panel").hidden) $("panel-title").focus({ preventScroll: true });
  }

  async function createKb(input) {
    const name = input.value.trim();
    const message = $("kb-message");
    if (!name) {
      message.textContent = "请输入知识库名称。";
      input.focus();
      return;
    }
    try {
      await call("/api/kbs", { method: "POST", body: JSON.stringify({ name }) });
    } catch (err) {
      message.textContent = `新建失败：${describeError(err)}`;
      input.focus();
      return;
    }
    input.value = "";
    message.textContent = `已新建知识库「${name}」，并已切换到它；请上传文件。`;
    state.kb = name;
    localStorage.setItem(KB_STORE, name);
    await refreshLibrary();
    $("upload-kb").value = name;
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
    badge.textContent = `已筛选：${parts.join(" · ")}`;
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
    const asks = ["新培育多少家科技型中小企业？", "研发经费投入增长目标是多少？"];
    const out = provinces.slice(0, 2).map((d, i) => [`${d.region}${d.year}年${asks[i]}`, d.title]);
    if (provinces.length >= 2) {
      const [a, b] = provinces.map((d) => d.region.replace(/省$/, ""));
      out.push([`${a}和${b}的研发经费投入目标分别是多少？`, `${provinces[0].title} / ${provinces[1].title}`]);
    }
    const city = placed.find((d) => d.region_level === "市");
    if (city) out.push([`${city.region}${city.year}年吸纳技术合同成交额是多少？`, city.title]);
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
        el("span", { class: "example-src" }, `来自：${source}`)));
    }
  }

  /** Options of a filter select (after its first, 「全部…」), keeping the choice if it stays. */
  function refill(select, values) {
    const keep = select.value;
    select.replaceChildren(select.options[0]);
    fillSelect(select, values);
    select.value = values.some(([v]) => v === keep) ? keep : "";
  }

  /** The documents of the selected knowledge base(s), each tagged with its base. */
  async function loadDocuments() {
    const docs = [];
    const bases = state.kbs.length ? selectedKbs() : [null];
    try {
      for (const kb of bases) {
        const query = kbQuery([kb]);
        const listed = (await getJSON(`/api/documents${query ? `?${query}` : ""}`)).documents;
        const seen = new Set(docs.map((d) => d.doc_id));
        docs.push(...listed.filter((d) => !seen.has(d.doc_id)).map((d) => ({ ...d, kb })));
      }
    } catch (err) {
      $("welcome-sub").textContent = `文档列表载入失败：${describeError(err)}`;
      return;
    }
    state.docs = docs;
    const regions = [...new Set(state.docs.map((d) => d.region).filter(Boolean))].sort();
    const years = [...new Set(state.docs.map((d) => d.year).filter(Boolean))].sort();
    refill($("f-region"), regions.map((r) => [r, r]));
    refill($("f-year"), years.map((y) => [String(y), `${y}年`]));
    refill($("f-doc"), state.docs.map((d) => [d.doc_id, d.title]));
    updateFilterBadge();
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

  /** A phone has no Shift+Enter to explain, and no room for it in one line. */
  function fitPlaceholder() {
    const narrow = window.matchMedia("(max-width: 760px)").matches;
    $("question").placeholder = narrow ? "输入问题" : "输入问题，Enter 发送，Shift+Enter 换行";
  }

  function wire() {
    const input = $("question");
    $("ask-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value;
      if (!text.trim() || state.busy) return;
      if (!checkLength()) {
        // announced by the counter (a live region); the question stays as typed
        $("question-count").textContent += " ";
        input.focus();
        return;
      }
      input.value = "";
      autosize();
      checkLength();
      ask(text);
    });
    input.addEventListener("keydown", (event) => {
      // isComposing: Enter that confirms an IME candidate must not send the question
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        $("ask-form").requestSubmit();
      }
    });
    input.addEventListener("input", () => { autosize(); checkLength(); });
    window.matchMedia("(max-width: 760px)").addEventListener("change", fitPlaceholder);
    fitPlaceholder();
    $("new-chat").addEventListener("click", newConversation);
    $("open-library").addEventListener("click", openLibrary);
    $("open-library-top").addEventListener("click", openLibrary);
    $("panel-close").addEventListener("click", closePanel);
    $("panel-back").addEventListener("click", openLibrary);
    $("menu").addEventListener("click", openSidebar);
    $("scrim").addEventListener("click", closeSidebar);
    $("toggle-filters").addEventListener("click", () => showFilters($("filters").hidden));
    $("open-targets").addEventListener("click", () => showTargets($("targets-view").hidden));
    $("export-toggle").addEventListener("click", () => showExportMenu($("export-menu").hidden));
    for (const item of $("export-menu").querySelectorAll("[data-format]")) {
      item.addEventListener("click", () => exportConversation(item.dataset.format));
    }
    $("key-cancel").addEventListener("click", () => $("key-dialog").close("cancel"));
    $("skip-link").addEventListener("click", (event) => { event.preventDefault(); input.focus(); });
    for (const id of ["f-region", "f-year", "f-doc"]) $(id).addEventListener("change", updateFilterBadge);
    $("clear-filters").addEventListener("click", () => setFilters({}));
    $("kb-select").addEventListener("change", (event) => chooseKb(event.target.value));
    document.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      hideTip();
      if (!$("export-menu").hidden) { showExportMenu(false); $("export-toggle").focus(); return; }
      closePanel();
      closeSidebar();
    });
    window.addEventListener("scroll", hideTip, true);
    document.addEventListener("click", (event) => {
      if (!$("export-menu").hidden && !event.target.closest(".export")) showExportMenu(false);
    });
  }

  async function start() {
    wire();
    loadConversations();
    renderConversationList();
    updateExportButton();
    if (state.current) openConversation(state.current.id);
    $("question").focus();
    // one after the other: a server with a key asks for it once, not once per request
    await loadKbs();
    await loadDocuments();
    await loadLimits();
  }

  // the admin view (admin.js, loaded after this script) builds its panel with these
  window.planrag = { el, call, openPanel, closeSidebar, describeError, thumb };

  start();
})();
