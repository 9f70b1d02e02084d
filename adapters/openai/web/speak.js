// Speak: POST /v1/audio/speech and play the answer while it streams in. mp3 goes through
// MediaSource, so playback starts with the first sentence; other formats play once whole.
// The bytes are kept for the download link and the waveform.

import { ApiError, request } from "./api.js";
import { byId, bytes, say, seconds } from "./dom.js";
import { selectedVoice } from "./voices.js";
import { clearWaveform, drawWaveform, showWaveform } from "./waveform.js";

const TYPES = {
  mp3: "audio/mpeg", wav: "audio/wav", flac: "audio/flac",
  opus: "audio/ogg", aac: "audio/aac", pcm: "application/octet-stream",
};

let current = null; // { controller } of the speech being made

export function speechBody() {
  const choice = selectedVoice();
  if (!choice) throw new ApiError(0, "No voice is live: start an engine, then pick a voice.");
  const body = {
    model: choice.model,
    voice: choice.voice,
    input: byId("text").value,
    speed: Number(byId("speed").value),
    response_format: byId("format").value,
  };
  if (choice.speaker) body.speaker = choice.speaker;
  return body;
}

function streams(format) {
  return format === "mp3" && "MediaSource" in window && MediaSource.isTypeSupported("audio/mpeg");
}

function appended(buffer, chunk) {
  return new Promise((resolve, reject) => {
    const done = () => {
      buffer.removeEventListener("error", failed);
      resolve();
    };
    const failed = () => {
      buffer.removeEventListener("updateend", done);
      reject(new Error("The browser could not play this audio."));
    };
    buffer.addEventListener("updateend", done, { once: true });
    buffer.addEventListener("error", failed, { once: true });
    buffer.appendBuffer(chunk);
  });
}

// pcm is headerless 24 kHz mono s16le (OpenAI's definition): wrapped in a WAV header to play.
const PCM_RATE = 24000;

function wavOf(pcm) {
  const header = new DataView(new ArrayBuffer(44));
  const text = (offset, value) => [...value].forEach((c, i) => header.setUint8(offset + i, c.charCodeAt(0)));
  text(0, "RIFF");
  header.setUint32(4, 36 + pcm.size, true);
  text(8, "WAVEfmt ");
  header.setUint32(16, 16, true);
  header.setUint16(20, 1, true); // PCM
  header.setUint16(22, 1, true); // mono
  header.setUint32(24, PCM_RATE, true);
  header.setUint32(28, PCM_RATE * 2, true);
  header.setUint16(32, 2, true);
  header.setUint16(34, 16, true);
  text(36, "data");
  header.setUint32(40, pcm.size, true);
  return new Blob([header, pcm], { type: "audio/wav" });
}

// The player's previous object URL is let go before it gets a new one.
function playFrom(player, url) {
  if (player.src.startsWith("blob:")) URL.revokeObjectURL(player.src);
  player.src = url;
}

// Playback through MediaSource: returns a sink the reader feeds, started before any await
// so that play() still counts as the user's click.
function mediaSourceSink(player) {
  const source = new MediaSource();
  playFrom(player, URL.createObjectURL(source));
  const opened = new Promise((resolve) => source.addEventListener("sourceopen", resolve, { once: true }));
  player.play().catch(() => {});
  let buffer = null;
  return {
    async add(chunk) {
      await opened;
      buffer ??= source.addSourceBuffer("audio/mpeg");
      await appended(buffer, chunk);
    },
    async end() {
      await opened;
      if (source.readyState === "open") source.endOfStream();
    },
    buffered: () => (buffer && buffer.buffered.length ? buffer.buffered.end(0) : 0),
  };
}

function report(status, received, started, first, sink) {
  const parts = [`${bytes(received)} received`];
  if (sink && sink.buffered()) parts.push(`${seconds(sink.buffered())} of audio ready`);
  if (first !== null) parts.push(`first audio after ${seconds((first - started) / 1000)}`);
  say(status, `Making speech: ${parts.join(", ")}…`);
}

async function readAll(response, sink, status, started) {
  const chunks = [];
  let received = 0;
  let first = null;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read().catch((failure) => {
      if (failure.name === "AbortError") throw failure;
      throw new Error(`The audio stopped before the end (${failure.message}); see the hub's log.`);
    });
    if (done) break;
    first ??= performance.now();
    chunks.push(value);
    received += value.byteLength;
    if (sink) await sink.add(value);
    report(status, received, started, first, sink);
  }
  if (sink) await sink.end();
  return chunks;
}

function describeAnswer(response, blob, format) {
  const engine = response.headers.get("X-Voicebus-Engine");
  const voice = response.headers.get("X-Voicebus-Voice");
  const sentences = response.headers.get("X-Voicebus-Sentences");
  const who = engine ? ` by ${engine}${voice ? ` (${voice})` : ""}` : "";
  const count = sentences ? `, ${sentences} sentence(s)` : "";
  return `Done: ${bytes(blob.size)} of ${format}${who}${count}.`;
}

function offerDownload(blob, format) {
  const link = byId("download");
  if (link.href) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(blob);
  link.download = `speech.${format}`;
  link.textContent = `Download (${format}, ${bytes(blob.size)})`;
  link.hidden = false;
}

async function speak(player, status, error) {
  const started = performance.now();
  const body = speechBody();
  const controller = new AbortController();
  current = { controller };
  const sink = streams(body.response_format) ? mediaSourceSink(player) : null;
  say(status, "Asking the hub…");
  const response = await request("/v1/audio/speech", { method: "POST", json: body, signal: controller.signal });
  const chunks = await readAll(response, sink, status, started);
  const blob = new Blob(chunks, { type: TYPES[body.response_format] });
  if (!sink) {
    const playable = body.response_format === "pcm" ? wavOf(blob) : blob;
    playFrom(player, URL.createObjectURL(playable));
    await player.play().catch(() => {});
  }
  offerDownload(blob, body.response_format);
  say(status, describeAnswer(response, blob, body.response_format), "ok");
  await showWaveform(byId("waveform"), blob, body.response_format);
  say(error, "");
}

function setBusy(busy) {
  byId("speak-button").disabled = busy;
  byId("stop-button").disabled = !busy;
}

async function onSpeak(event) {
  event.preventDefault();
  const player = byId("player");
  const status = byId("speak-status");
  const error = byId("speak-error");
  setBusy(true);
  say(error, "");
  byId("download").hidden = true;
  clearWaveform(byId("waveform"));
  try {
    await speak(player, status, error);
  } catch (failure) {
    say(status, "");
    if (failure.name === "AbortError") say(status, "Stopped.");
    else say(error, failure.message || String(failure));
  } finally {
    current = null;
    setBusy(false);
  }
}

function countCharacters() {
  const count = byId("text").value.length;
  byId("text-count").textContent = `${count} character${count === 1 ? "" : "s"}`;
}

export function startSpeak() {
  byId("speak-form").addEventListener("submit", onSpeak);
  byId("stop-button").addEventListener("click", () => {
    current?.controller.abort();
    byId("player").pause();
  });
  byId("text").addEventListener("input", countCharacters);
  byId("speed").addEventListener("input", (event) => {
    byId("speed-value").textContent = `${Number(event.target.value).toFixed(2)}×`;
  });
  const player = byId("player");
  player.addEventListener("timeupdate", () => {
    const duration = Number.isFinite(player.duration) ? player.duration : 0;
    if (duration) drawWaveform(byId("waveform"), player.currentTime / duration);
  });
  countCharacters();
}
