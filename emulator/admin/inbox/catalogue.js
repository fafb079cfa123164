// sms-emulator inbox, "Templates & signs" tab: the account's catalogue with each item's review state, and the
// reviewer's buttons. Everything goes through the admin API (GET catalogue, POST catalogue/{kind}/{key}/{decision},
// PUT catalogue/review-policy), as a test would; loaded after inbox.js, whose tab buttons switch views.
// Template contents and sign names are the user's data and are never translated; every other word comes from t().
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const api = (path) => new URL(path, document.baseURI).toString();
  const POLL = 3000;
  let catalogue = null;

  const account = () => ($("filter-account") && $("filter-account").value) || "";
  const query = () => (account() ? `?account=${encodeURIComponent(account())}` : "");
  const visible = () => !$("view-catalogue").hidden;

  function showError(text) {
    $("review-error").textContent = text || "";
    $("review-error").hidden = !text;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function decisionButton(kind, key, decision) {
    const button = el("button", `button small ${decision === "approve" ? "" : "ghost"}`, t(`review.${decision}`));
    button.type = "button";
    button.dataset.decision = decision;
    button.addEventListener("click", () => decide(kind, key, decision, button));
    return button;
  }

  function row(kind, item) {
    const key = kind === "templates" ? item.code : item.name;
    const tr = el("tr");
    tr.dataset.key = key;
    tr.dataset.status = item.status;
    const actions = el("td", "review-actions");
    if (item.status === "pending") {
      actions.append(decisionButton(kind, key, "approve"), decisionButton(kind, key, "reject"),
        decisionButton(kind, key, "cancel"));
    }
    tr.append(el("td", "", t(kind === "templates" ? "review.template" : "review.sign")),
      el("td", "mono", kind === "templates" ? `${item.code} ${item.name}` : item.name),
      el("td", "review-content", kind === "templates" ? item.content : ""),
      (() => { const td = el("td"); td.append(el("span", `badge review-${item.status}`, t(`review.${item.status}`))); return td; })(),
      el("td", "", item.reason || ""), actions);
    return tr;
  }

  function render() {
    if (!catalogue) return;
    const rows = [...catalogue.templates.map((item) => row("templates", item)),
      ...catalogue.signs.map((item) => row("signs", item))];
    // under review first, newest submissions first: what a reviewer has to act on
    rows.sort((a, b) => (a.dataset.status === "pending" ? 0 : 1) - (b.dataset.status === "pending" ? 0 : 1));
    $("catalogue-rows").replaceChildren(...rows);
    const pending = catalogue.templates.concat(catalogue.signs).filter((i) => i.status === "pending").length;
    $("count-review").textContent = String(pending);
    if (document.activeElement !== $("review-mode") && document.activeElement !== $("review-delay")) {
      $("review-mode").value = catalogue.policy.mode;
      $("review-delay").value = String(catalogue.policy.delay);
    }
  }

  async function call(method, path, body) {
    const resp = await fetch(api(path), { method, cache: "no-store",
      headers: body ? { "Content-Type": "application/json" } : {}, body: body ? JSON.stringify(body) : undefined });
    const answer = await resp.json().catch(() => null);
    if (!resp.ok) throw new Error((answer && answer.error) || `HTTP ${resp.status}`);
    return answer;
  }

  async function load() {
    catalogue = await call("GET", `catalogue${query()}`);
    render();
  }

  async function decide(kind, key, decision, button) {
    button.disabled = true;
    const reason = $("review-reason").value.trim();
    try {
      await call("POST", `catalogue/${kind}/${encodeURIComponent(key)}/${decision}${query()}`,
        decision === "reject" && reason ? { reason } : {});
      showError("");
      await load();
    } catch (err) {
      showError(t("review.failed", { error: err.message }));
      button.disabled = false;
    }
  }

  async function applyPolicy() {
    const mode = $("review-mode").value;
    const body = mode === "after" ? { mode, delay: Number($("review-delay").value) } : { mode };
    try {
      await call("PUT", `catalogue/review-policy${query()}`, body);
      showError("");
      await load();
    } catch (err) {
      showError(t("review.failed", { error: err.message }));
    }
  }

  function init() {
    for (const tab of document.querySelectorAll(".tab")) {
      tab.addEventListener("click", () => {
        $("view-catalogue").hidden = tab.dataset.view !== "catalogue";
        if (visible()) load().catch((err) => showError(t("review.failed", { error: err.message })));
      });
    }
    $("review-apply").addEventListener("click", applyPolicy);
    if ($("filter-account")) $("filter-account").addEventListener("change", () => visible() && load().catch(() => {}));
    document.addEventListener("i18n:change", render);
    setInterval(() => load().catch(() => {}), POLL);   // the count on the tab follows reviews ending by the clock
    load().catch(() => {});
  }

  init();
})();
