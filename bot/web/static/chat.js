// Buddy web chat: vanilla JS, no framework, no CDN.
// Every piece of user or server text goes into the page through textContent or text
// nodes, never innerHTML, so a message like <img src=x onerror=...> shows as text.
"use strict";

(() => {
  const SESSION_KEY = "buddy.session";
  const HISTORY_KEY = "buddy.history";
  const MAX_TURNS = 200;
  const MSG = {
    empty: "메시지를 한 글자 이상 적어 주세요.",
    // rendered by the server from core/safety/hotlines.py (bot/web/page.py): no number here
    network: document.body.dataset.msgNetwork || "",
    failed: document.body.dataset.msgFailed || "",
    fromPerson: document.body.dataset.fromPerson || "",
    sending: "버디가 답장을 쓰고 있어요…",
    confirmForget: "지금까지의 대화 기록을 서버와 이 브라우저에서 모두 지울까요? 되돌릴 수 없어요.",
  };
  // Korean hotline and emergency numbers inside the crisis reply become tel: links.
  const PHONE = /(\d{2,4}-\d{3,4}-\d{4}|\d{4}-\d{4}|(?<![\d-])1\d{2,3}(?![\d-]))/g;

  const form = document.getElementById("chat-form");
  const input = document.getElementById("message");
  const button = document.getElementById("send");
  const log = document.getElementById("log");
  const status = document.getElementById("status");
  const crisisTemplate = document.getElementById("crisis-template");
  let busy = false;

  // --- storage: a random session id (localStorage) and this tab's history (sessionStorage)
  function randomId() {
    if (window.crypto && crypto.randomUUID) {
      return crypto.randomUUID();
    }
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function sessionId() {
    let id = null;
    try {
      id = localStorage.getItem(SESSION_KEY);
    } catch (e) {
      id = null;
    }
    if (!id || !/^[\x21-\x7e]{1,128}$/.test(id)) {
      id = randomId();
      try {
        localStorage.setItem(SESSION_KEY, id);
      } catch (e) {
        // private mode: the id lives as long as the page
      }
    }
    return id;
  }

  function loadHistory() {
    try {
      const turns = JSON.parse(sessionStorage.getItem(HISTORY_KEY) || "[]");
      return Array.isArray(turns) ? turns : [];
    } catch (e) {
      return [];
    }
  }

  function saveHistory(turns) {
    try {
      sessionStorage.setItem(HISTORY_KEY, JSON.stringify(turns.slice(-MAX_TURNS)));
    } catch (e) {
      // storage full or disabled: the conversation still works, it just won't survive a reload
    }
  }

  const session = sessionId();
  let history = loadHistory();

  // --- rendering ---------------------------------------------------------------------
  function paragraph(text) {
    const p = document.createElement("p");
    p.textContent = text;
    return p;
  }

  function linkPhones(container, text) {
    let last = 0;
    for (const match of text.matchAll(PHONE)) {
      container.appendChild(document.createTextNode(text.slice(last, match.index)));
      const a = document.createElement("a");
      a.href = "tel:" + match[0].replace(/-/g, "");
      a.textContent = match[0];
      container.appendChild(a);
      last = match.index + match[0].length;
    }
    container.appendChild(document.createTextNode(text.slice(last)));
  }

  function userBubble(text) {
    const div = document.createElement("div");
    div.className = "msg user";
    div.appendChild(paragraph(text));
    return div;
  }

  function personBubble(bot) {
    // A message a person (a counsellor) sent through the server, not Buddy's answer.
    const div = document.createElement("div");
    div.className = "msg bot person";
    div.dataset.kind = "person";
    const label = document.createElement("p");
    label.className = "sender";
    label.textContent = bot.sender || MSG.fromPerson;
    div.appendChild(label);
    const p = document.createElement("p");
    linkPhones(p, bot.text);
    div.appendChild(p);
    return div;
  }

  function botBubble(bot, live) {
    if (bot.kind === "person") {
      return personBubble(bot);
    }
    if (bot.crisis) {
      const card = crisisTemplate.content.firstElementChild.cloneNode(true);
      const body = card.querySelector(".crisis-body");
      const p = document.createElement("p");
      linkPhones(p, bot.text);
      body.appendChild(p);
      if (live) {
        card.setAttribute("role", "alert");
      }
      return card;
    }
    const div = document.createElement("div");
    div.className = "msg bot" + (bot.kind === "error" ? " error" : "");
    div.dataset.kind = bot.kind || "";
    if (bot.kind === "safety_followup") {
      const p = document.createElement("p");
      linkPhones(p, bot.text); // follow-ups after a crisis repeat the hotline numbers
      div.appendChild(p);
    } else {
      div.appendChild(paragraph(bot.text));
    }
    return div;
  }

  function typingBubble() {
    const div = document.createElement("div");
    div.className = "msg bot typing";
    div.setAttribute("role", "status");
    div.setAttribute("aria-label", "버디가 답장을 쓰는 중");
    for (let i = 0; i < 3; i += 1) {
      const dot = document.createElement("span");
      dot.className = "dot";
      div.appendChild(dot);
    }
    return div;
  }

  function turnElement(turn, live) {
    const li = document.createElement("li");
    li.className = "turn";
    if (turn.user !== undefined && turn.user !== null) {
      li.appendChild(userBubble(turn.user));
    }
    if (turn.bot) {
      li.appendChild(botBubble(turn.bot, live));
    }
    return li;
  }

  function renderHistory() {
    for (const turn of history) {
      log.prepend(turnElement(turn, false));
    }
  }

  // --- talking to the API ------------------------------------------------------------
  async function post(path, payload) {
    const res = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload),
    });
    let data = null;
    try {
      data = await res.json();
    } catch (e) {
      data = null;
    }
    return { ok: res.ok, data };
  }

  function errorText(data) {
    return (data && data.error && data.error.message) || MSG.failed;
  }

  function setBusy(value) {
    busy = value;
    button.disabled = value;
    form.setAttribute("aria-busy", value ? "true" : "false");
    status.textContent = value ? MSG.sending : "";
  }

  async function send(text) {
    setBusy(true);
    const turn = { user: text, bot: null };
    const li = turnElement(turn, true);
    const typing = typingBubble();
    li.appendChild(typing);
    log.prepend(li);
    try {
      const { ok, data } = await post("/api/chat", { session, text });
      if (ok && data && data.kind === "held") {
        turn.bot = null; // a person holds the conversation and answers: Buddy shows nothing
      } else if (ok && data) {
        turn.bot = { text: data.answer, kind: data.kind, crisis: Boolean(data.crisis) };
      } else {
        turn.bot = { text: errorText(data), kind: "error", crisis: false };
      }
    } catch (e) {
      turn.bot = { text: MSG.network, kind: "error", crisis: false };
      if (!input.value) {
        input.value = text; // nothing typed since: give the message back to resend
      }
    }
    if (turn.bot) {
      typing.replaceWith(botBubble(turn.bot, true));
    } else {
      typing.remove();
    }
    history.push(turn);
    saveHistory(history);
    setBusy(false);
    input.focus();
  }

  function submit() {
    if (busy) {
      return;
    }
    const text = input.value;
    if (!text.trim()) {
      status.textContent = MSG.empty;
      input.focus();
      return;
    }
    input.value = "";
    grow();
    send(text);
  }

  function grow() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 200) + "px";
  }

  function notice(text) {
    const turn = { user: null, bot: { text, kind: "notice", crisis: false } };
    log.prepend(turnElement(turn, true));
    history.push(turn);
    saveHistory(history);
  }

  // --- wiring --------------------------------------------------------------------------
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });

  input.addEventListener("keydown", (event) => {
    // isComposing: Enter that finishes a Hangul syllable in an IME must not send.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      submit();
    }
  });
  input.addEventListener("input", grow);

  document.getElementById("reset").addEventListener("click", async () => {
    try {
      const { ok, data } = await post("/api/reset", { session });
      notice(ok && data ? data.message : errorText(data));
    } catch (e) {
      notice(MSG.network);
    }
  });

  document.getElementById("forget").addEventListener("click", async () => {
    if (!window.confirm(MSG.confirmForget)) {
      return;
    }
    try {
      const { ok, data } = await post("/api/forget", { session });
      if (!ok) {
        notice(errorText(data));
        return;
      }
      history = [];
      saveHistory(history);
      for (const li of Array.from(log.querySelectorAll(".turn:not(.welcome)"))) {
        li.remove();
      }
      notice(data.message);
    } catch (e) {
      notice(MSG.network);
    }
  });

  // --- messages pushed by the server (Server-Sent Events): shown without a reload -------
  function listen() {
    if (!window.EventSource) {
      return;
    }
    const events = new EventSource("/api/events?session=" + encodeURIComponent(session));
    events.addEventListener("message", (event) => {
      let data = null;
      try {
        data = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (!data || typeof data.text !== "string") {
        return;
      }
      // with a sender: a person wrote it; without: a notice (a counsellor joined or left)
      const person = typeof data.sender === "string" && data.sender !== "";
      const turn = { user: null, bot: { text: data.text, kind: person ? "person" : "notice",
                                        crisis: false, sender: person ? data.sender : "" } };
      log.prepend(turnElement(turn, true));
      history.push(turn);
      saveHistory(history);
    });
    // EventSource reconnects by itself (the server asks for 3 s) after a restart.
  }

  renderHistory();
  listen();
  input.focus();
})();
