// The voice picker: every live voice of every engine (GET /v1/audio/voices), grouped by
// engine and language, plus the cloned voices of the library (GET /v1/voices).

import { getJson } from "./api.js";
import { byId, el } from "./dom.js";

const picker = () => byId("voice");
let cards = [];
let clones = [];

// An option's value says which engine to ask (as the model) and which voice.
export function selectedVoice() {
  const option = picker().selectedOptions[0];
  if (!option || !option.dataset.voice) return null;
  const speaker = byId("speaker-field").hidden ? null : byId("speaker").value || null;
  return { voice: option.dataset.voice, model: option.dataset.model, speaker };
}

// A voice with several speakers (e.g. Piper's multi-speaker models) offers them.
function showSpeakers() {
  const option = picker().selectedOptions[0];
  const speakers = option && option.dataset.speakers ? JSON.parse(option.dataset.speakers) : [];
  const select = byId("speaker");
  const previous = select.value;
  select.replaceChildren(...speakers.map((name) => el("option", { value: name, text: name })));
  if (speakers.includes(previous)) select.value = previous;
  byId("speaker-field").hidden = speakers.length === 0;
}

function groups() {
  const grouped = new Map();
  for (const card of cards) {
    const language = card.languages[0] || "any language";
    const label = `${card.engine} · ${language}`;
    if (!grouped.has(label)) grouped.set(label, []);
    grouped.get(label).push({
      voice: card.name, model: card.engine, text: describe(card), speakers: card.speakers,
    });
  }
  const live = new Set(cards.map((card) => card.name));
  const cloned = clones
    .filter((meta) => !live.has(meta.name))
    .map((meta) => ({ voice: meta.name, model: "tts-1", text: `${meta.name} (cloned)` }));
  if (cloned.length) grouped.set("Cloned voices (voice library)", cloned);
  return [...grouped.entries()].sort(([a], [b]) => a.localeCompare(b));
}

function describe(card) {
  const extras = [];
  if (card.clones) extras.push("cloned");
  if (card.aliases.length) extras.push(`as ${card.aliases.slice(0, 3).join(", ")}…`);
  return extras.length ? `${card.name} (${extras.join("; ")})` : card.name;
}

function render() {
  const select = picker();
  const previous = select.value;
  const filter = byId("voice-filter").value.trim().toLowerCase();
  select.replaceChildren();
  for (const [label, voices] of groups()) {
    const shown = voices.filter(
      (v) => !filter || `${label} ${v.text}`.toLowerCase().includes(filter),
    );
    if (!shown.length) continue;
    const group = el("optgroup", { label });
    for (const v of shown) {
      const value = `${v.model}/${v.voice}`;
      const speakers = v.speakers && v.speakers.length ? JSON.stringify(v.speakers) : null;
      group.append(el("option", {
        value, "data-voice": v.voice, "data-model": v.model, "data-speakers": speakers, text: v.text,
      }));
    }
    select.append(group);
  }
  if ([...select.options].some((option) => option.value === previous)) select.value = previous;
  showSpeakers();
  select.disabled = select.options.length === 0;
  if (select.disabled) {
    const text = filter && cards.length ? "no voice matches the search" : "no voice is live";
    select.append(el("option", { text, value: "" }));
  }
}

export async function refreshVoices() {
  const listed = await getJson("/v1/audio/voices");
  cards = listed.data;
  try {
    clones = (await getJson("/v1/voices")).data;
  } catch {
    clones = []; // no library (no JetStream): the live voices are all there is
  }
  render();
  return cards;
}

export function startVoicePicker() {
  byId("voice-filter").addEventListener("input", render);
  picker().addEventListener("change", showSpeakers);
}
