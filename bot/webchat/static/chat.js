// The citizens' web chat: socket.io to Rasa's channel (bot/channels/web_socketio.py). The server
// issues the session token; it and the transcript live in sessionStorage, so a reload or a dropped
// connection resumes the same conversation while a shared computer forgets it when the tab closes.
// On resuming, the page names the last bot message it has (`last_seen`) and the server replays what
// came after; messages typed while disconnected wait in sessionStorage and are sent on reconnect.
// Everything either side typed is shown as text (textContent), never parsed as HTML.
(function () {
  "use strict";

  var STRINGS = {
    zh: {
      title: "上海市民服务助手", toggle: "EN", toggleLabel: "Switch to English", send: "发送",
      placeholder: "请输入您的问题…", typing: "助手正在输入…", agent: "人工客服", assistant: "助手",
      intro: "您好！我可以解答上海市政服务的问题：证件办理、办事中心开放时间、预约、12345 热线等。",
      connecting: "正在连接…",
      offline: "连接已中断，正在重新连接…您发送的消息会在连接恢复后送达。",
      failed: "无法连接到服务器，正在重试。您也可以拨打 12345 市民服务热线。",
      counter: "还可以输入 {n} 个字"
    },
    en: {
      title: "Shanghai Citizen Services Assistant", toggle: "中文", toggleLabel: "切换到中文",
      send: "Send", placeholder: "Type your question…", typing: "The assistant is typing…",
      agent: "Agent", assistant: "Assistant",
      intro: "Hello! I can answer questions about Shanghai's public services: permits and documents, " +
        "service centre hours, appointments, the 12345 hotline and more.",
      connecting: "Connecting…",
      offline: "Connection lost, reconnecting… Messages you send will be delivered once it is back.",
      failed: "Cannot reach the server, still trying. You can also call the 12345 citizen hotline.",
      counter: "{n} characters left"
    }
  };
  var KEY = "shps-webchat:";
  var KEEP = 200;  // transcript entries kept for a reload
  var URL_PATTERN = /(https?:\/\/[^\s<>"'）)，。]+)/g;

  var store = window.sessionStorage;
  var maxChars = parseInt(document.querySelector('meta[name="webchat-max-chars"]').content, 10) || 2000;
  var el = {
    log: document.getElementById("log"), status: document.getElementById("status"),
    typing: document.getElementById("typing"), form: document.getElementById("composer"),
    input: document.getElementById("message"), counter: document.getElementById("counter"),
    language: document.getElementById("language")
  };

  var lang = chooseLanguage();
  var token = store.getItem(KEY + "token");
  var transcript = load("log", []);
  var outbox = load("outbox", []);  // typed while disconnected: sent once the session is confirmed
  var lastSeen = load("seen", null);  // {epoch, seq} of the last bot message shown
  var ready = false;
  var typingTimer = null;

  function chooseLanguage() {
    var asked = new URLSearchParams(location.search).get("lang") || store.getItem(KEY + "lang");
    if (asked === "zh" || asked === "en") return asked;
    var browser = (navigator.languages && navigator.languages[0]) || navigator.language || "zh";
    return /^zh/i.test(browser) ? "zh" : "en";
  }

  function t(name) { return STRINGS[lang][name]; }

  function load(name, otherwise) {
    try { return JSON.parse(store.getItem(KEY + name)) || otherwise; } catch (e) { return otherwise; }
  }

  function save() {
    transcript = transcript.slice(-KEEP);
    store.setItem(KEY + "log", JSON.stringify(transcript));
    store.setItem(KEY + "outbox", JSON.stringify(outbox));
    store.setItem(KEY + "seen", JSON.stringify(lastSeen));
  }

  function alreadyShown(message) {
    if (typeof message.seq !== "number") return false;
    if (lastSeen && lastSeen.epoch === message.epoch && message.seq <= lastSeen.seq) return true;
    lastSeen = { epoch: message.epoch, seq: message.seq };
    return false;
  }

  function applyLanguage() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.title = STRINGS.zh.title + " · " + STRINGS.en.title;
    document.querySelectorAll("[data-text]").forEach(function (node) { node.textContent = t(node.dataset.text); });
    el.input.placeholder = t("placeholder");
    el.language.setAttribute("aria-label", t("toggleLabel"));
    render();
  }

  function setStatus(name) {
    el.status.hidden = !name;
    el.status.textContent = name ? t(name) : "";
    el.status.dataset.state = name || "";
  }

  function showTyping(on) {
    clearTimeout(typingTimer);
    el.typing.hidden = !on;
    if (on) typingTimer = setTimeout(function () { el.typing.hidden = true; }, 30000);
  }

  // ---- rendering: text nodes and links only

  function linkified(parent, text) {
    text.split(URL_PATTERN).forEach(function (part, i) {
      if (i % 2 === 0) { if (part) parent.appendChild(document.createTextNode(part)); return; }
      var a = document.createElement("a");
      a.href = part; a.textContent = part; a.target = "_blank"; a.rel = "noopener noreferrer";
      parent.appendChild(a);
    });
  }

  function imageSource(message) {
    var attachment = message.attachment;
    var src = attachment && attachment.type === "image" && attachment.payload && attachment.payload.src;
    return typeof src === "string" && /^https?:\/\//.test(src) ? src : null;
  }

  function entryNode(entry) {
    var item = document.createElement("li");
    item.className = entry.who + (entry.agent ? " agent" : "");
    if (entry.agent) {
      var who = document.createElement("span");
      who.className = "who";
      who.textContent = t("agent") + " · " + entry.agent;
      item.appendChild(who);
    }
    var bubble = document.createElement("div");
    bubble.className = "bubble";
    if (entry.text) linkified(bubble, entry.text);
    if (entry.image) {
      var img = document.createElement("img");
      img.src = entry.image; img.alt = ""; img.loading = "lazy"; img.referrerPolicy = "no-referrer";
      bubble.appendChild(img);
    }
    item.appendChild(bubble);
    if (entry.replies && entry.replies.length) item.appendChild(repliesNode(entry));
    return item;
  }

  function repliesNode(entry) {
    var box = document.createElement("div");
    box.className = "replies";
    entry.replies.forEach(function (reply) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = reply.title;
      button.disabled = !!entry.used;
      button.addEventListener("click", function () { send(reply.payload, reply.title); });
      box.appendChild(button);
    });
    return box;
  }

  function render() {
    el.log.textContent = "";
    var intro = document.createElement("li");
    intro.className = "bot intro";
    var bubble = document.createElement("div");
    bubble.className = "bubble";
    bubble.textContent = t("intro");
    intro.appendChild(bubble);
    el.log.appendChild(intro);
    transcript.forEach(function (entry) { el.log.appendChild(entryNode(entry)); });
    el.log.scrollTop = el.log.scrollHeight;
  }

  function add(entry) {
    transcript.push(entry);
    save();
    render();
  }

  // ---- the conversation

  function botEntry(message) {
    var agent = message.metadata && message.metadata.agent;
    var replies = Array.isArray(message.quick_replies) ? message.quick_replies.filter(function (r) {
      return r && typeof r.title === "string" && typeof r.payload === "string";
    }).map(function (r) { return { title: r.title, payload: r.payload }; }) : [];
    return {
      who: "bot", text: typeof message.text === "string" ? message.text : "",
      image: imageSource(message), replies: replies,
      agent: agent && typeof agent.name === "string" ? agent.name : null
    };
  }

  function emit(text) {
    socket.emit("user_uttered", { message: text, session_id: token, metadata: { language: lang } });
    showTyping(true);
  }

  function send(text, shown) {
    text = text.trim();
    if (!text) return;
    transcript.forEach(function (entry) { entry.used = true; });  // earlier buttons are stale now
    if (!ready) outbox.push(text);
    add({ who: "user", text: shown || text });
    if (ready) emit(text);
  }

  // WebSocket first: one connection that stays on one replica, so a load balancer needs no sticky
  // sessions; long polling only where WebSocket is blocked.
  var socket = io({ path: location.pathname.replace(/\/chat\/?$/, "") + "/socket.io",
                    transports: ["websocket", "polling"], tryAllTransports: true });

  socket.on("connect", function () {
    setStatus("");
    document.documentElement.dataset.transport = socket.io.engine.transport.name;  // for support and tests
    socket.emit("session_request", { session_id: token, last_seen: lastSeen });
  });

  socket.on("session_confirm", function (confirmed) {
    if (token && confirmed !== token) { transcript = []; lastSeen = null; }  // not resumable
    token = confirmed;
    store.setItem(KEY + "token", token);
    ready = true;
    outbox.splice(0).forEach(emit);
    save();
    render();
    var last = transcript[transcript.length - 1];
    if (last && last.who === "user") showTyping(true);  // resumed while the answer is on its way
  });

  socket.on("bot_uttered", function (message) {
    if (!message || typeof message !== "object" || alreadyShown(message)) return;
    showTyping(false);
    var entry = botEntry(message);
    if (entry.text || entry.image || entry.replies.length) add(entry); else save();
  });

  socket.on("disconnect", function () { ready = false; showTyping(false); setStatus("offline"); });
  socket.on("connect_error", function () { ready = false; setStatus("failed"); });

  el.form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = el.input.value;
    el.input.value = "";
    updateCounter();
    send(text.slice(0, maxChars));
  });

  el.input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      el.form.requestSubmit();
    }
  });

  function updateCounter() {
    var left = maxChars - el.input.value.length;
    el.counter.hidden = left > 100;
    el.counter.textContent = t("counter").replace("{n}", left);
  }
  el.input.addEventListener("input", updateCounter);

  el.language.addEventListener("click", function () {
    lang = lang === "zh" ? "en" : "zh";
    store.setItem(KEY + "lang", lang);
    applyLanguage();
    updateCounter();
  });

  applyLanguage();
  if (!socket.connected) setStatus("connecting");
})();
