// Engines: every worker on the bus (GET /v1/engines, polled while the tab is visible),
// with load / unload / keep-warm per engine and pause / resume of the GPU engines.

import { getJson, sendJson } from "./api.js";
import { byId, bytes, el, say } from "./dom.js";

const POLL_MS = 2000;
const listeners = [];
let workers = [];
let shown = "";

export const currentWorkers = () => workers;

// `listener(workers)` runs after each refresh (the voice picker and library use it).
export function onWorkers(listener) {
  listeners.push(listener);
}

function byEngine() {
  const grouped = new Map();
  for (const worker of workers) {
    if (!grouped.has(worker.engine)) grouped.set(worker.engine, []);
    grouped.get(worker.engine).push(worker);
  }
  return grouped;
}

const COLUMNS = ["Instance", "Host", "Device", "Model", "State", "In flight", "Queued",
  "Served", "Failed", "Cancelled", "Memory"];

function workerRow(w) {
  const state = w.paused && w.state === "unloaded" ? "unloaded (paused)" : w.state;
  const cells = [w.instance, w.host || "?", w.device, w.model || "—"];
  return el("tr", { "data-instance": w.instance },
    ...cells.map((text) => el("td", { text })),
    el("td", { class: `state state-${w.state}`, text: state }),
    el("td", { text: w.load.in_flight }), el("td", { text: w.load.queued }),
    el("td", { text: w.counters.served }), el("td", { text: w.counters.failed }),
    el("td", { text: w.counters.cancelled }),
    el("td", { text: w.memory_bytes ? bytes(w.memory_bytes) : "—" }));
}

// One set of buttons per engine, kept across refreshes: a click that lands while the table
// is redrawn still reaches its button.
const controls = new Map();

function engineControls(name, list) {
  if (!controls.has(name)) controls.set(name, newControls(name));
  const box = controls.get(name);
  box.querySelector('input[type="checkbox"]').checked = list.every((w) => w.keep_warm);
  return box;
}

function newControls(name) {
  const id = `keep-warm-${name}`;
  return el("div", { class: "actions" },
    el("button", { type: "button", id: `load-${name}`, onclick: () => act(name, "load"),
      text: `Load ${name}` }),
    el("button", { type: "button", id: `unload-${name}`, class: "danger",
      onclick: () => act(name, "unload"), text: `Unload ${name}` }),
    el("input", { type: "checkbox", id,
      onchange: (event) => act(name, "keep-warm", { on: event.target.checked }) }),
    el("label", { for: id, text: `Keep ${name} warm (never unload when idle)` }));
}

// Re-render only what changed, and give the keyboard focus back to the same control.
function render() {
  const list = byId("engine-list");
  const signature = JSON.stringify(workers);
  if (signature === shown) return;
  shown = signature;
  const focused = list.contains(document.activeElement) ? document.activeElement.id : null;
  fill(list);
  if (focused) document.getElementById(focused)?.focus();
}

function fill(list) {
  list.replaceChildren();
  if (!workers.length) {
    list.append(el("p", { text: "No engine is running. Start one with 'voicebus up' or 'voicebus engine piper'." }));
    return;
  }
  for (const [name, group] of byEngine()) {
    const headings = el("tr", {}, ...COLUMNS.map((text) => el("th", { scope: "col", text })));
    list.append(el("div", { class: "engine", "data-engine": name },
      el("h3", { text: `${name} (${group.length} worker${group.length === 1 ? "" : "s"})` }),
      engineControls(name, group),
      el("div", { class: "scroll" }, el("table", {}, el("caption", { text: `Workers of ${name}` }),
        el("thead", {}, headings), el("tbody", {}, ...group.map(workerRow))))));
  }
}

const DONE = { load: "Loaded", unload: "Unloaded", "keep-warm": "Keep-warm set for",
  "pause-gpu": "Paused", "resume-gpu": "Resumed" };

function describeResult(result, action) {
  if (!result.engines.length) return "No engine runs on a GPU: nothing to do.";
  const states = result.data.map((w) => `${w.instance} is ${w.state}`).join(", ");
  return `${DONE[action]} ${result.engines.join(", ")}: ${states}.`;
}

async function act(name, action, body = undefined) {
  const path = name ? `/v1/engines/${encodeURIComponent(name)}/${action}` : `/v1/engines/${action}`;
  const status = byId("engines-status");
  say(byId("engines-error"), "");
  say(status, `${action} ${name || "GPU engines"}: waiting for the workers…`);
  try {
    const result = await sendJson(path, "POST", body);
    say(status, describeResult(result, action), "ok");
    await refreshEngines();
  } catch (failure) {
    say(status, "");
    say(byId("engines-error"), failure.message);
  }
}

export async function refreshEngines() {
  try {
    workers = (await getJson("/v1/engines")).data;
    say(byId("engines-error"), "");
  } catch (failure) {
    say(byId("engines-error"), failure.message);
    return;
  }
  render();
  for (const listener of listeners) listener(workers);
}

export function startEngines() {
  byId("pause-gpu").addEventListener("click", () => act(null, "pause-gpu"));
  byId("resume-gpu").addEventListener("click", () => act(null, "resume-gpu"));
  const poll = async () => {
    if (!document.hidden) await refreshEngines();
    setTimeout(poll, POLL_MS);
  };
  poll();
}
