// Voice library: upload a reference clip (or record one here), preview, rename, delete
// (the /v1/voices routes), and which running engines can speak each voice.

import { getJson, request, sendJson } from "./api.js";
import { byId, el, say, seconds } from "./dom.js";
import { currentWorkers } from "./engines.js";

let recording = null; // { recorder, chunks } while the microphone records
let recorded = null; // the last recording (a Blob) until it is uploaded
let changed = () => {};
let voices = [];

// `listener()` runs after the library changed (the voice picker lists cloned voices).
export function onLibraryChange(listener) {
  changed = listener;
}

function cloningEngines() {
  return [...new Set(currentWorkers().filter((w) => w.clones).map((w) => w.engine))].sort();
}

async function preview(name, button) {
  const response = await request(`/v1/voices/${encodeURIComponent(name)}/audio`);
  const audio = el("audio", { controls: true, "aria-label": `Reference clip of ${name}` });
  audio.src = URL.createObjectURL(await response.blob());
  button.replaceWith(audio);
  audio.play().catch(() => {});
}

async function rename(name) {
  const to = window.prompt(`New name for the voice ${name}:`, name);
  if (!to || to === name) return;
  await sendJson(`/v1/voices/${encodeURIComponent(name)}/rename`, "POST", { name: to });
  say(byId("library-status"), `Renamed ${name} to ${to}.`, "ok");
}

async function remove(name) {
  if (!window.confirm(`Delete the voice ${name}? Its clip is removed for every engine.`)) return;
  await sendJson(`/v1/voices/${encodeURIComponent(name)}`, "DELETE");
  say(byId("library-status"), `Deleted ${name}.`, "ok");
}

function guarded(action) {
  return async (event) => {
    say(byId("library-error"), "");
    try {
      await action(event);
      await refreshLibrary();
      changed();
    } catch (failure) {
      say(byId("library-error"), failure.message);
    }
  };
}

function voiceRow(meta, engines) {
  const listen = el("button", { type: "button", class: "secondary", text: `Play ${meta.name}` });
  listen.addEventListener("click", () => preview(meta.name, listen).catch((failure) => {
    say(byId("library-error"), failure.message);
  }));
  const usable = engines.length ? engines.join(", ") : "no cloning engine is running (xtts, chatterbox)";
  return el("tr", { "data-voice": meta.name },
    el("td", { text: meta.name }),
    el("td", { text: seconds(meta.duration_seconds) }),
    el("td", { text: meta.language || "—" }),
    el("td", { text: usable }),
    el("td", {}, el("div", { class: "actions" }, listen,
      el("button", { type: "button", class: "secondary", text: `Rename ${meta.name}`,
        onclick: guarded(() => rename(meta.name)) }),
      el("button", { type: "button", class: "danger", text: `Delete ${meta.name}`,
        onclick: guarded(() => remove(meta.name)) }))));
}

function render() {
  const engines = cloningEngines();
  const rows = voices.map((meta) => voiceRow(meta, engines));
  if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 5, text: "No cloned voice yet." })));
  byId("clone-list").replaceChildren(...rows);
}

export async function refreshLibrary() {
  try {
    voices = (await getJson("/v1/voices")).data;
  } catch (failure) {
    voices = [];
    say(byId("library-error"), failure.message);
  }
  render();
}

function clipToUpload() {
  const file = byId("clone-file").files[0];
  if (file) return file;
  if (recorded) return new File([recorded], "recording.webm", { type: recorded.type });
  throw new Error("Choose a reference clip or record one first.");
}

async function upload(event) {
  event.preventDefault();
  const form = new FormData();
  const name = byId("clone-name").value.trim();
  form.append("name", name);
  form.append("file", clipToUpload());
  for (const field of ["transcript", "language"]) {
    const value = byId(`clone-${field}`).value.trim();
    if (value) form.append(field, value);
  }
  const meta = await (await request("/v1/voices", { method: "POST", body: form })).json();
  say(byId("library-status"), `Added ${meta.name} (${seconds(meta.duration_seconds)}).`, "ok");
  byId("clone-form").reset();
  recorded = null;
  byId("clone-preview").hidden = true;
}

function showPreview(blob) {
  const audio = byId("clone-preview");
  audio.src = URL.createObjectURL(blob);
  audio.hidden = false;
}

async function toggleRecording() {
  const button = byId("record-button");
  if (recording) {
    recording.recorder.stop();
    return;
  }
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const recorder = new MediaRecorder(stream);
  recording = { recorder, chunks: [] };
  recorder.addEventListener("dataavailable", (event) => recording.chunks.push(event.data));
  recorder.addEventListener("stop", () => {
    recorded = new Blob(recording.chunks, { type: recorder.mimeType });
    stream.getTracks().forEach((track) => track.stop());
    recording = null;
    button.textContent = "Record a clip";
    byId("record-time").textContent = "";
    button.setAttribute("aria-pressed", "false");
    byId("clone-file").value = "";
    showPreview(recorded);
    say(byId("library-status"), "Recorded: listen to it, name it, then add the voice.");
  });
  recorder.start();
  button.textContent = "Stop recording";
  button.setAttribute("aria-pressed", "true");
  const began = performance.now();
  const tick = () => {
    if (!recording) return;
    const elapsed = seconds((performance.now() - began) / 1000);
    byId("record-time").textContent = `Recording: ${elapsed}`;
    requestAnimationFrame(tick);
  };
  say(byId("library-status"), "Recording… read a few sentences (3 to 30 s), then stop.");
  tick();
}

export function startLibrary() {
  byId("clone-form").addEventListener("submit", guarded(upload));
  byId("clone-file").addEventListener("change", (event) => {
    const file = event.target.files[0];
    if (file) showPreview(file);
  });
  byId("record-button").addEventListener("click", () => toggleRecording().catch((failure) => {
    say(byId("library-error"), `Cannot record: ${failure.message}`);
  }));
}

export const libraryRender = render;
