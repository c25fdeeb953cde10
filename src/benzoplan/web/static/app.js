// benzoplan diary: send each entry with its own id, retry on a dropped connection with the
// same id (the API stores an id once), and show emergency instructions at once.
"use strict";

function newId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

async function send(form, body, tries) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(form.action, {
        method: "POST",
        body: body,
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
    } catch (err) {
      if (attempt >= tries) throw err;
      await new Promise((r) => setTimeout(r, 400 * attempt));
    }
  }
}

function showEmergency(result) {
  const box = document.getElementById("emergency");
  const text = document.getElementById("emergency-text");
  if (!box || !text) return;
  text.replaceChildren();
  const lines = [];
  for (const a of result.alerts || []) {
    lines.push(a.why);
    if (a.action) lines.push(a.action);
  }
  if (result.emergency && !lines.includes(result.emergency)) lines.push(result.emergency);
  for (const line of lines) {
    const p = document.createElement("p");
    p.textContent = line;
    text.appendChild(p);
  }
  box.hidden = false;
  box.tabIndex = -1;
  box.focus();
  box.scrollIntoView({ block: "start" });
}

async function submitEntry(event) {
  const form = event.target;
  event.preventDefault();
  const out = form.querySelector(".result");
  const button = form.querySelector("button[type=submit]");
  const body = new URLSearchParams(new FormData(form));
  button.disabled = true;
  out.className = "result";
  out.textContent = "Saving…";
  try {
    const resp = await send(form, body, 3);
    let result;
    try {
      result = await resp.json();
    } catch (err) {
      result = {
        ok: false,
        detail: resp.status === 401
          ? "your sign-in has expired; sign in again (reload the page)"
          : "the server answered " + resp.status,
      };
    }
    if (result.alerts && result.alerts.length || result.emergency) showEmergency(result);
    if (result.ok) {
      out.className = "result ok";
      out.textContent = result.duplicate
        ? "Already saved — nothing was added twice."
        : "Saved.";
      form.elements.entry_id.value = newId();
    } else {
      out.className = "result error";
      out.textContent = "Not saved: " + result.detail;
    }
  } catch (err) {
    out.className = "result error";
    out.textContent = "Not saved: no connection. Press Save again; it will not be recorded twice.";
  } finally {
    button.disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form.entry")) {
    form.addEventListener("submit", submitEntry);
  }
});
