// sms-emulator inbox, "One-click login" tab: the carrier's authorisation page on a phone screen. Tapping
// "本机号码一键登录" mints the token that phone's carrier would hand the app (POST number-auth/tokens), shown with
// a copy button for a demo's back end; the exchanges the back end then made are listed beside it.
// Its own file (loaded after inbox.js, whose tab buttons switch views): the carrier page's words are the
// carrier's (Chinese, like a provider's texts); every word of the inbox around it comes from t() of i18n.js.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const api = (path) => new URL(path, document.baseURI).toString();
  // Carrier segments, as emulator/core/number_auth.py has them (the server decides; this only previews).
  const SEGMENTS = {
    cm: "134 135 136 137 138 139 147 148 150 151 152 157 158 159 172 178 182 183 184 187 188 195 197 198",
    cu: "130 131 132 145 146 155 156 166 175 176 185 186 196",
    ct: "133 149 153 173 174 177 180 181 189 190 191 193 199",
  };
  const CARRIER_PAGE = {
    cm: { name: "中国移动", terms: "中国移动认证服务条款" },
    cu: { name: "中国联通", terms: "联通统一认证服务条款" },
    ct: { name: "中国电信", terms: "天翼账号服务与隐私协议" },
  };
  const API_OF = { login: "GetMobile", verify: "VerifyMobile", h5: "GetPhoneWithToken", fusion: "VerifyWithFusionAuthToken" };
  const POLL = 3000;
  const SHOWN = 20;
  let exchanges = [];
  let minted = null;

  const digits = () => $("auth-phone").value.replace(/\D/g, "").replace(/^(?:0086|86)(?=1\d{10}$)/, "");
  const carrierOf = (number) => $("auth-carrier-choice").value
    || Object.keys(SEGMENTS).find((code) => number.length === 11 && SEGMENTS[code].split(" ").includes(number.slice(0, 3)))
    || "";
  const account = () => ($("filter-account") && $("filter-account").value) || "";
  const visible = () => !$("view-phone").hidden;

  function preview() {
    const number = digits();
    const carrier = carrierOf(number);
    $("auth-masked").textContent = number.length === 11 ? `${number.slice(0, 3)}****${number.slice(7)}` : number || "—";
    $("auth-carrier").textContent = carrier ? `${CARRIER_PAGE[carrier].name}提供认证服务` : "无法识别运营商";
    $("auth-terms").textContent = carrier ? CARRIER_PAGE[carrier].terms : "认证服务条款";
    $("auth-access-row").hidden = $("auth-kind").value !== "h5";
  }

  function showError(text) {
    $("auth-error").textContent = text || "";
    $("auth-error").hidden = !text;
  }

  function renderMinted() {
    $("auth-result").hidden = !minted;
    if (!minted) return;
    $("auth-token").textContent = minted.token;
    const minutes = Math.round((minted.expires_at - minted.issued_at) / 6) / 10;
    $("auth-expires").textContent = t("auth.expires", {
      api: API_OF[minted.kind], minutes, when: I18N.time(minted.expires_at), masked: minted.masked,
      carrier: minted.carrier ? t(`auth.${minted.carrier}`) : t("auth.noCarrier") });
  }

  async function mint() {
    if (!$("auth-agree").checked) {
      showError(t("auth.agreeFirst"));
      return;
    }
    const body = { phone: digits(), kind: $("auth-kind").value };
    if ($("auth-carrier-choice").value) body.carrier = $("auth-carrier-choice").value;
    if (account()) body.account = account();
    if (body.kind === "h5" && $("auth-access").value.trim()) body.access_token = $("auth-access").value.trim();
    const button = $("auth-login");
    button.disabled = true;
    try {
      const resp = await fetch(api("number-auth/tokens"), {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      const answer = await resp.json().catch(() => null);
      if (!resp.ok) throw new Error((answer && answer.error) || `HTTP ${resp.status}`);
      minted = answer;
      showError("");
      renderMinted();
    } catch (err) {
      minted = null;
      renderMinted();
      showError(t("auth.failed", { error: err.message }));
    } finally {
      button.disabled = false;
    }
  }

  function cell(text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  function renderExchanges() {
    const rows = exchanges.slice(-SHOWN).reverse().map((e) => {
      const tr = document.createElement("tr");
      tr.append(cell(I18N.time(e.at), "mono"), cell(e.action), cell(e.masked || e.token || "—", "mono"),
        cell(e.code, e.code === "OK" ? "ok" : "bad"), cell(e.verdict || ""));
      return tr;
    });
    $("auth-exchanges").replaceChildren(...rows);
    $("auth-exchanges-empty").hidden = rows.length > 0;
  }

  async function loadExchanges() {
    const q = account() ? `?account=${encodeURIComponent(account())}` : "";
    const resp = await fetch(api(`number-auth/exchanges${q}`), { cache: "no-store" });
    if (resp.ok) exchanges = (await resp.json()).exchanges;
    renderExchanges();
  }

  function tick() {
    $("auth-time").textContent = $("phone-time") ? $("phone-time").textContent : "";
  }

  function init() {
    for (const tab of document.querySelectorAll(".tab")) {
      tab.addEventListener("click", () => {
        $("view-phone").hidden = tab.dataset.view !== "phone";
        if (visible()) loadExchanges().catch(() => {});
      });
    }
    for (const id of ["auth-phone", "auth-carrier-choice", "auth-kind"]) $(id).addEventListener("input", preview);
    $("auth-login").addEventListener("click", mint);
    $("auth-copy").addEventListener("click", (e) => minted && InboxKit.copy(e.currentTarget, minted.token));
    document.addEventListener("i18n:change", () => { renderMinted(); renderExchanges(); });
    setInterval(() => { tick(); if (visible()) loadExchanges().catch(() => {}); }, POLL);
    preview();
    tick();
  }

  init();
})();
