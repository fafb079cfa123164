// sms-emulator inbox. Plain JavaScript, no build step, no network beyond the emulator's public admin API:
// GET messages / accounts / callbacks / clock, POST reset, and the server-sent events of GET events.
// Every message text is put in the page with textContent, never as HTML. Every word of the interface comes
// from t() of i18n.js (loaded first); a language switch redraws what this script drew.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  // Relative to the page (/_emulator/), so the inbox also works behind a reverse proxy's path prefix.
  const api = (path) => new URL(path, document.baseURI).toString();
  const LIMIT = 2000;
  const PROVIDERS = { dysms: "dysmsapi", dypns: "dypnsapi", onecloud: "sms.1oc.cn" };
  const statusText = (status) => (["waiting", "delivered", "failed"].includes(status) ? t(`status.${status}`) : status);
  const REPORT_STATES = ["received", "delivered", "retrying", "gave_up", "queued", "sending"];
  const reportState = (name) => (REPORT_STATES.includes(name) ? t(`report.${name}`) : name.replace("_", " "));

  const state = {
    messages: new Map(),            // id -> message
    account: params.get("account") || "",
    provider: params.get("provider") || "",
    phoneFilter: params.get("phone") || "",
    selected: null,                 // the phone whose conversation the phone shows
    pinned: false,                  // false: follow the newest conversation (demos); true: the user chose one
    baseline: 0,                    // messages up to this id were there when the page loaded: already read
    seen: new Map(),                // phone -> highest id shown in the phone
    fresh: new Set(),               // ids that arrived live: animated once
    lastThreadKey: "",
    detailId: null,                 // the message shown beside the phone
    detailFollows: true,            // true: that is the newest of the thread; false: the one the user clicked
    manyAccounts: false,            // messages of several accounts on screen: each bubble names its account
    clockOffset: 0,                 // virtual minus browser time, seconds
    callbacks: { attempts: [], pending: [] },
    accounts: [],
    view: "messages",
  };

  // Small helpers ----------------------------------------------------------------------------------------

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  async function getJSON(path, options) {
    const resp = await fetch(api(path), { cache: "no-store", ...options });
    const body = await resp.json().catch(() => null);
    if (!resp.ok) throw new Error((body && body.error) || `HTTP ${resp.status}`);
    return body;
  }

  function query(extra) {
    const q = new URLSearchParams(extra || {});
    if (state.account) q.set("account", state.account);
    const text = q.toString();
    return text ? `?${text}` : "";
  }

  const pad = (n) => String(n).padStart(2, "0");
  // The day a time falls on, as a key for comparisons only; what the user reads is formatted by I18N.
  const dayKey = (epoch) => { const d = new Date(epoch * 1000); return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`; };
  const virtualNow = () => Date.now() / 1000 + state.clockOffset;

  function formatPhone(phone) {
    return /^1\d{10}$/.test(phone) ? `${phone.slice(0, 3)} ${phone.slice(3, 7)} ${phone.slice(7)}` : `+${phone}`;
  }

  function shortTime(epoch) {
    return dayKey(epoch) === dayKey(virtualNow()) ? I18N.shortTime(epoch) : I18N.monthDay(epoch);
  }

  let toastTimer = null;
  function toast(text) {
    const node = $("toast");
    node.textContent = text;
    node.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { node.hidden = true; }, 2200);
  }

  // Loading ----------------------------------------------------------------------------------------------

  async function loadMessages() {
    const body = await getJSON(`messages${query({ limit: LIMIT })}`);
    state.messages = new Map(body.messages.map((m) => [m.id, m]));
    if (!state.baseline) state.baseline = body.cursor || 0;
    scheduleRender();
  }

  async function loadClock() {
    const body = await getJSON("clock");
    state.clockOffset = body.now - Date.now() / 1000;
    tick();
  }

  async function loadAccounts() {
    const body = await getJSON("accounts");
    state.accounts = body.accounts.map((a) => a.name);
    const select = $("filter-account");
    const names = new Set(state.accounts);
    if (state.account) names.add(state.account);
    select.replaceChildren(el("option", { value: "", "data-i18n": "filter.allAccounts", text: t("filter.allAccounts") }),
      ...[...names].map((name) => el("option", { value: name, text: name, selected: name === state.account })));
  }

  async function loadCallbacks() {
    state.callbacks = await getJSON(`callbacks${query()}`);
    renderCallbacks();
  }

  const debounced = (fn, ms) => { let t = null; return () => { clearTimeout(t); t = setTimeout(() => fn().catch(report), ms); }; };
  const refreshCallbacks = debounced(loadCallbacks, 150);
  const refreshClock = debounced(loadClock, 150);
  function report(err) { console.error(err); }

  // The live feed ----------------------------------------------------------------------------------------

  let source = null;
  function connect() {
    if (source) source.close();
    setLive("connecting");
    source = new EventSource(api(`events${query()}`));
    source.addEventListener("hello", () => {
      setLive("live");
      // (Re)connected: whatever happened while we were away is in the lists, so resynchronise from them.
      Promise.all([loadMessages(), loadClock(), loadCallbacks()]).catch(report);
    });
    const upsert = (event) => {
      const message = JSON.parse(event.data);
      if (!state.messages.has(message.id)) state.fresh.add(message.id);
      state.messages.set(message.id, message);
      if (state.account === "" && !state.accounts.includes(message.account)) loadAccounts().catch(report);
      scheduleRender();
      refreshClock();
    };
    source.addEventListener("message.created", upsert);
    source.addEventListener("message.updated", upsert);
    source.addEventListener("reset", (event) => {
      const data = JSON.parse(event.data);
      for (const [id, m] of state.messages) {
        if (data.account === null || m.account === data.account) state.messages.delete(id);
      }
      scheduleRender();
      refreshCallbacks();
      refreshClock();
    });
    source.addEventListener("callback.attempt", refreshCallbacks);
    source.onerror = () => setLive(source.readyState === EventSource.CLOSED ? "offline" : "connecting");
  }

  function setLive(mode) {
    const node = $("live");
    node.dataset.state = mode;
    const key = mode === "live" ? "live.live" : mode === "offline" ? "live.offline" : mode === "connecting" && !source ? "live.connecting" : "live.reconnecting";
    const text = node.querySelector(".live-text");
    text.dataset.i18n = key;
    text.textContent = t(key);
  }

  // Rendering: conversations -----------------------------------------------------------------------------

  let renderQueued = false;
  function scheduleRender() {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(() => { renderQueued = false; render(); });
  }

  function visibleMessages() {
    const digits = state.phoneFilter.replace(/\D/g, "");
    return [...state.messages.values()].filter((m) =>
      (!state.provider || m.provider === state.provider) && (!digits || m.phone.includes(digits)));
  }

  function conversations(messages) {
    const byPhone = new Map();
    for (const m of messages.sort((a, b) => a.id - b.id)) {
      if (!byPhone.has(m.phone)) byPhone.set(m.phone, []);
      byPhone.get(m.phone).push(m);
    }
    return [...byPhone.entries()].sort((a, b) => b[1].at(-1).id - a[1].at(-1).id);
  }

  function render() {
    const visible = visibleMessages();
    state.manyAccounts = !state.account && new Set(visible.map((m) => m.account)).size > 1;
    const convs = conversations(visible);
    const phones = convs.map(([phone]) => phone);
    if (!state.pinned || !phones.includes(state.selected)) {
      state.selected = phones[0] || null;
      if (!phones.length) state.pinned = false;
    }
    for (const id of bubbles.keys()) if (!state.messages.has(id)) bubbles.delete(id);
    renderConversations(convs);
    renderThread(convs.find(([phone]) => phone === state.selected));
    $("count-messages").textContent = String(state.messages.size);
    document.title = state.messages.size ? t("page.titleCount", { n: state.messages.size }) : t("page.title");
    state.fresh.clear();
  }

  function renderConversations(convs) {
    const list = $("conversations");
    list.replaceChildren(...convs.map(([phone, msgs]) => {
      const last = msgs.at(-1);
      const seen = Math.max(state.seen.get(phone) || 0, state.baseline);
      const unread = phone === state.selected ? 0 : msgs.filter((m) => m.id > seen).length;
      return el("li", {
        class: `conv${phone === state.selected ? " selected" : ""}`, "data-phone": phone, tabindex: 0,
        onclick: () => select(phone), onkeydown: (e) => { if (e.key === "Enter") select(phone); },
      },
      el("div", { class: "avatar", text: phone.slice(-2) }),
      el("div", { class: "conv-phone", text: formatPhone(phone) }),
      el("div", { class: "conv-time", text: shortTime(last.sent_at) }),
      el("div", { class: "conv-preview", text: stripSign(last) }),
      el("div", { class: "conv-side" },
        unread ? el("span", { class: "conv-unread", text: unread }) : el("span", { class: "conv-count", text: msgs.length })));
    }));
    $("conversations-empty").hidden = convs.length > 0;
  }

  function select(phone) {
    state.selected = phone;
    state.pinned = true;
    state.detailFollows = true;
    render();
  }

  // Rendering: the thread --------------------------------------------------------------------------------

  function stripSign(message) {
    const prefix = message.sign ? `【${message.sign}】` : "";
    return prefix && message.content.startsWith(prefix) ? message.content.slice(prefix.length) : message.content;
  }

  function highlighted(text, code) {
    if (!code || !text.includes(code)) return [text];
    const parts = text.split(code);
    return parts.flatMap((part, i) => (i ? [el("mark", { class: "code-inline", text: code }), part] : [part]));
  }

  function bubble(message) {
    const status = message.status;
    const provider = PROVIDERS[message.provider] || message.provider;
    const meta = el("div", { class: "bubble-meta" },
      el("time", { datetime: message.sent_at_iso, title: t("bubble.virtualTime", { when: I18N.dateTime(message.sent_at) }),
        text: I18N.time(message.sent_at) }),
      el("span", { class: `badge status ${status}`, title: message.err_code || "",
        text: status === "failed" && message.err_code ? `${statusText(status)} · ${message.err_code}` : statusText(status) }),
      el("span", { class: "badge provider", text: message.template ? `${provider} · ${message.template}` : provider }),
      state.manyAccounts ? el("span", { class: "badge provider", text: message.account }) : null);
    const codeRow = message.code ? el("div", { class: "code-row" },
      el("div", {}, el("div", { class: "code-label", text: t("code.label") }),
        el("div", { class: "code-value", text: message.code })),
      el("button", { class: "copy", type: "button", "data-code": message.code, text: t("code.copy"),
        onclick: (e) => copy(e.currentTarget, message.code) })) : null;
    const classes = `bubble-wrap${state.fresh.has(message.id) ? " fresh" : ""}${message.id === state.detailId ? " current" : ""}`;
    return el("div", { class: classes, "data-id": message.id, onclick: () => { state.detailId = message.id; state.detailFollows = false; render(); } },
      message.sign ? el("div", { class: "bubble-sign", text: `【${message.sign}】` }) : null,
      el("div", { class: "bubble" }, el("div", { class: "bubble-text" }, highlighted(stripSign(message), message.code)), codeRow),
      meta);
  }

  // Bubbles are kept per message and rebuilt only when what they show changed: a re-render for another
  // message leaves a bubble (its "Copied" state, a text selection) alone.
  const bubbles = new Map();        // id -> { key, node }
  function bubbleNode(message) {
    const key = [message.status, message.err_code, message.id === state.detailId, state.manyAccounts, I18N.lang].join("|");
    const cached = bubbles.get(message.id);
    if (cached && cached.key === key) return cached.node;
    const node = bubble(message);
    node.addEventListener("animationend", () => node.classList.remove("fresh"), { once: true });
    bubbles.set(message.id, { key, node });
    return node;
  }

  function renderThread(conv) {
    const thread = $("thread");
    if (!conv || state.detailFollows || !conv[1].some((m) => m.id === state.detailId)) {
      state.detailId = conv ? conv[1].at(-1).id : null;
    }
    renderDetails(state.detailId === null ? null : state.messages.get(state.detailId));
    if (!conv) {
      $("thread-title").textContent = t("thread.none");
      $("thread-sub").textContent = t(state.messages.size ? "thread.noMatch" : "thread.waiting");
      $("thread-avatar").textContent = "";
      thread.replaceChildren(el("div", { class: "thread-empty" },
        el("p", { text: t(state.messages.size ? "thread.emptyNoMatch" : "thread.emptyWaiting") })));
      state.lastThreadKey = "";
      return;
    }
    const [phone, msgs] = conv;
    $("thread-title").textContent = formatPhone(phone);
    const providers = [...new Set(msgs.map((m) => PROVIDERS[m.provider] || m.provider))].join(", ");
    $("thread-sub").textContent = t("thread.count", { n: msgs.length, providers });
    $("thread-avatar").textContent = phone.slice(-2);
    const children = [];
    let day = "";
    for (const m of msgs) {
      if (dayKey(m.sent_at) !== day) {
        day = dayKey(m.sent_at);
        children.push(el("div", { class: "day", text: day === dayKey(virtualNow()) ? t("thread.today") : I18N.date(m.sent_at) }));
      }
      children.push(bubbleNode(m));
    }
    const key = `${phone}:${msgs.at(-1).id}:${I18N.lang}`;
    const stick = key !== state.lastThreadKey || thread.scrollHeight - thread.scrollTop - thread.clientHeight < 40;
    thread.replaceChildren(...children);
    if (stick) thread.scrollTop = thread.scrollHeight;
    state.lastThreadKey = key;
    state.seen.set(phone, Math.max(state.seen.get(phone) || 0, msgs.at(-1).id));
  }

  function renderDetails(message) {
    $("details-empty").hidden = Boolean(message);
    $("details-json").hidden = !message;
    if (!message) {
      $("details-title").textContent = t("details.title");
      $("details-list").replaceChildren();
      return;
    }
    $("details-title").textContent = t("details.titleId", { id: message.id });
    $("details-json").href = api(`messages/${message.id}`);
    const when = (epoch) => (epoch ? I18N.dateTime(epoch) : "—");
    const rows = [
      [t("details.status"), el("span", { class: `badge ${message.status}`, text: statusText(message.status) })],
      [t("details.provider"), `${PROVIDERS[message.provider] || message.provider} · ${message.action}`],
      [t("details.account"), message.account],
      [t("details.to"), formatPhone(message.phone)],
      [t("details.sign"), message.sign || "—"],
      [t("details.template"), message.template || "—"],
      [t("details.params"), el("pre", { text: JSON.stringify(message.params, null, 1) })],
      [t("details.code"), message.code || "—"],
      [t("details.segments"), message.segments],
      [t("details.sent"), when(message.sent_at)],
      [t("details.final"), when(message.delivered_at)],
      [t("details.receipt"), message.err_code || "—"],
      ["BizId", message.biz_id || "—", true],
      ["OutId", message.out_id || "—", true],
      ["RequestId", message.request_id || "—", true],
    ];
    $("details-list").replaceChildren(...rows.flatMap(([label, value, mono]) => [
      el("dt", { text: label }), el("dd", { class: mono ? "mono" : "" }, value)]));
  }

  async function copy(button, text) {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = el("textarea", { style: "position:fixed;opacity:0" });
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    button.textContent = t("code.copied");
    button.classList.add("copied");
    setTimeout(() => { button.textContent = t("code.copy"); button.classList.remove("copied"); }, 1500);
  }

  // Rendering: callbacks ---------------------------------------------------------------------------------

  function renderCallbacks() {
    const { attempts, pending } = state.callbacks;
    const reports = new Map();
    for (const a of attempts) {
      if (!reports.has(a.id)) reports.set(a.id, []);
      reports.get(a.id).push(a);
    }
    const waiting = new Map(pending.map((p) => [p.id, p]));
    for (const p of pending) if (!reports.has(p.id)) reports.set(p.id, []);
    $("count-callbacks").textContent = String(reports.size);
    $("callbacks-empty").hidden = reports.size > 0;
    $("reports").replaceChildren(...[...reports.entries()].reverse().map(([id, tries]) => {
      const next = waiting.get(id);
      const last = tries.at(-1);
      const first = tries[0] || next;
      const stateName = next ? next.state : last.state;
      const rows = tries.map((a) => el("tr", {},
        el("td", { class: "num", text: `#${a.attempt}/${a.max_attempts}` }),
        el("td", { class: "when", text: I18N.dateTime(a.at) }),
        el("td", { class: "result", text: a.ok ? `HTTP ${a.status}` : a.error || `HTTP ${a.status}` }),
        el("td", {}, el("span", { class: `badge ${a.ok ? "ok" : a.state}`, text: reportState(a.ok ? "received" : a.state) }),
          a.next_try ? el("span", { class: "muted", text: `  ${t("callbacks.nextTry", { time: I18N.time(a.next_try) })}` }) : null)));
      if (next) {
        rows.push(el("tr", {},
          el("td", { class: "num", text: `#${next.attempt}` }),
          el("td", { class: "when", text: next.due ? I18N.dateTime(next.due) : t("callbacks.now") }),
          el("td", { class: "result muted", text: t(next.state === "sending" ? "callbacks.sending" : "callbacks.dueOnClock") }),
          el("td", {}, el("span", { class: `badge ${next.state}`, text: reportState(next.state) }))));
      }
      return el("article", { class: "report", "data-id": id },
        el("div", { class: "report-head" },
          el("span", { class: "report-kind", text: first.kind }),
          el("span", { class: "report-url", text: first.url }),
          first.message ? el("button", { class: "badge provider link", type: "button", text: t("callbacks.message", { id: first.message }),
            title: t("callbacks.showMessage"), onclick: () => showMessage(first.message) }) : null,
          first.account ? el("span", { class: "badge provider", text: first.account }) : null,
          el("span", { class: `badge ${stateName === "delivered" ? "ok" : stateName}`, text: reportState(stateName) })),
        el("table", { class: "attempts" }, el("tbody", {}, rows)),
        el("pre", { class: "report-body", text: JSON.stringify(first.body) }));
    }));
    $("pending").replaceChildren(pending.length ? el("div", { class: "pending-box" },
      el("strong", { text: t("callbacks.waiting", { n: pending.length }) }),
      t("callbacks.advanceHint")) : "");
  }

  function showMessage(id) {
    const message = state.messages.get(id);
    if (!message) { toast(t("callbacks.gone", { id })); return; }
    state.phoneFilter = "";
    state.provider = "";
    $("filter-phone").value = "";
    $("filter-provider").value = "";
    state.selected = message.phone;
    state.pinned = true;
    state.detailId = id;
    state.detailFollows = false;
    showView("messages");
    render();
  }

  // Controls ---------------------------------------------------------------------------------------------

  function syncUrl() {
    const q = new URLSearchParams();
    if (state.account) q.set("account", state.account);
    if (state.provider) q.set("provider", state.provider);
    if (state.phoneFilter) q.set("phone", state.phoneFilter);
    const text = q.toString();
    history.replaceState(null, "", text ? `?${text}` : location.pathname);
  }

  function showView(view) {
    state.view = view;
    for (const tab of document.querySelectorAll(".tab")) {
      const on = tab.dataset.view === view;
      tab.classList.toggle("active", on);
      tab.setAttribute("aria-selected", String(on));
    }
    $("view-messages").hidden = view !== "messages";
    $("view-callbacks").hidden = view !== "callbacks";
    if (view === "callbacks") loadCallbacks().catch(report);
  }

  async function reset() {
    const button = $("reset");
    button.disabled = true;
    try {
      await getJSON(`reset${query({ what: "messages" })}`, { method: "POST" });
      for (const [id, m] of state.messages) if (!state.account || m.account === state.account) state.messages.delete(id);
      state.seen.clear();
      state.pinned = false;
      render();
      await loadCallbacks();
      toast(state.account ? t("reset.doneAccount", { account: state.account }) : t("reset.done"));
    } catch (err) {
      toast(t("reset.failed", { error: err.message }));
    } finally {
      button.disabled = false;
    }
  }

  function tick() {
    const now = virtualNow();
    $("clock").textContent = I18N.dateTime(now);
    $("phone-time").textContent = I18N.shortTime(now);
  }

  function init() {
    $("filter-phone").value = state.phoneFilter;
    $("filter-provider").value = state.provider;
    $("endpoint-hint").textContent = location.host;
    $("filter-phone").addEventListener("input", (e) => { state.phoneFilter = e.target.value.trim(); syncUrl(); render(); });
    $("filter-provider").addEventListener("change", (e) => { state.provider = e.target.value; syncUrl(); render(); });
    $("filter-account").addEventListener("change", (e) => {
      state.account = e.target.value;
      state.messages.clear();
      state.pinned = false;
      syncUrl();
      render();
      connect();                    // the feed and the lists are per account: start over
    });
    for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => showView(tab.dataset.view));
    $("reset").addEventListener("click", reset);
    document.addEventListener("i18n:change", () => { tick(); render(); renderCallbacks(); });
    setInterval(tick, 1000);
    setInterval(() => loadClock().catch(report), 15000);
    loadAccounts().catch(report);
    render();
    connect();
  }

  init();
  window.InboxKit = { copy };      // shared with the inbox's other scripts (phone.js)
})();
