// The agent desk: renders the state the console streams (server-sent events) and posts the
// agent's actions as JSON. Everything a citizen or agent typed is inserted as text, never HTML.
"use strict";
(function () {
  const root = document.getElementById("desk");
  const words = JSON.parse(document.getElementById("desk-words").textContent);
  const csrf = root.dataset.csrf;
  const errorBox = document.getElementById("desk-error");
  let available = false;
  const drafts = {};  // what an agent was typing survives each re-render

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    });
    children.forEach((c) => node.append(c instanceof Node ? c : document.createTextNode(String(c))));
    return node;
  }

  function showError(message) {
    errorBox.textContent = message || "";
    errorBox.hidden = !message;
  }

  async function post(path, body) {
    const response = await fetch(path, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body || {}),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      showError((data.error && data.error.message) || response.statusText);
      return null;
    }
    showError("");
    return data;
  }

  function transcript(card) {
    return el("ol", { class: "transcript" }, ...card.transcript.map((m) => el(
      "li", { class: m.sender },
      el("span", { class: "speaker" }, m.sender === "user" ? words.citizen
        : (m.agent_id ? words.agent_reply : words.assistant)),
      m.text)));
  }

  function header(card) {
    return el("p", { class: "card-head" },
      el("strong", {}, card.conversation_id), " ",
      el("span", { class: "tag" }, words.channel + ": " + card.channel),
      el("span", { class: "tag" }, words.language + ": " + card.language),
      el("span", { class: "tag" }, card.reason === "fallback" ? words.fallback_twice : words.asked),
      card.citizen_left ? el("span", { class: "tag left" }, words.citizen_left) : "");
  }

  function ticketForm(card) {
    const fields = ["description", "location", "district", "contact_phone"];
    const form = el("form", { class: "ticket" }, el("strong", {}, words.file_ticket),
      ...fields.map((f) => el("label", {}, words[f] + " ", el("input", { name: f, maxlength: f === "description" ? "2000" : "200" }))),
      el("button", { type: "submit" }, words.file_ticket));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = Object.fromEntries(fields.map((f) => [f, form.elements[f].value]));
      const data = await post(`/desk/handoffs/${card.id}/ticket`, body);
      if (data) showError(words.ticket_filed_no.replace("{ticket_no}", data.ticket_no));
    });
    return form;
  }

  function heldCard(card) {
    const box = el("textarea", { name: "reply", maxlength: "2000", rows: "3", "aria-label": words.reply });
    box.value = drafts[card.id] || "";
    box.addEventListener("input", () => { drafts[card.id] = box.value; });
    const form = el("form", { class: "reply" }, box, el("button", { type: "submit" }, words.send));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (await post(`/desk/handoffs/${card.id}/reply`, { text: box.value })) {
        delete drafts[card.id];
        box.value = "";
      }
    });
    const end = el("button", { type: "button", class: "end", onclick: () => post(`/desk/handoffs/${card.id}/end`) }, words.end_handoff);
    return el("article", { class: "handoff held", "data-id": card.id }, header(card), transcript(card), form, end, ticketForm(card));
  }

  function queuedCard(card) {
    const accept = el("button", { type: "button", class: "accept", onclick: () => post(`/desk/handoffs/${card.id}/accept`) }, words.accept);
    return el("article", { class: "handoff waiting", "data-id": card.id },
      el("p", {}, "#" + card.position + " · " + words.waiting_since + " " + new Date(card.queued_at).toLocaleTimeString()),
      header(card), transcript(card), accept);
  }

  function render(state) {
    available = state.available;
    document.getElementById("presence-state").textContent = available ? words.you_are_available : words.you_are_away;
    document.getElementById("presence-toggle").textContent = available ? words.away : words.available;
    const mine = document.getElementById("mine");
    const focused = document.activeElement && document.activeElement.closest("article");
    mine.replaceChildren(...(state.mine.length ? state.mine.map(heldCard) : [el("p", {}, words.mine_empty)]));
    document.getElementById("queue").replaceChildren(
      ...(state.queue.length ? state.queue.map(queuedCard) : [el("p", {}, words.queue_empty)]));
    if (focused) {
      const again = mine.querySelector(`article[data-id="${focused.dataset.id}"] textarea`);
      if (again) again.focus();
    }
  }

  document.getElementById("presence-toggle").addEventListener("click", () => post("/desk/presence", { available: !available }));

  const events = new EventSource("/desk/events");
  events.addEventListener("desk", (event) => { showError(""); render(JSON.parse(event.data)); });
  events.onerror = () => showError(words.connection_lost);
})();
