// Jobs and cache: shown only when the hub has them (their paths are in /openapi.json and
// they answer); a 404 hides them again.

import { getJson, request, sendJson } from "./api.js";
import { byId, bytes, el, say } from "./dom.js";
import { speechBody } from "./speak.js";

const POLL_MS = 2000;

function show(part, visible) {
  for (const node of document.querySelectorAll(`[data-optional="${part}"]`)) node.hidden = !visible;
}

// ---- jobs ---------------------------------------------------------------------------

async function downloadJob(job) {
  const response = await request(`/v1/audio/jobs/${encodeURIComponent(job.id)}/content`);
  const link = el("a", { href: URL.createObjectURL(await response.blob()),
    download: `job-${job.id}.${job.response_format || "mp3"}` });
  document.body.append(link);
  link.click();
  link.remove();
}

function jobAction(label, action, kind = "secondary") {
  return el("button", { type: "button", class: kind, text: label, onclick: async () => {
    say(byId("jobs-error"), "");
    try {
      await action();
      await refreshJobs();
    } catch (failure) {
      say(byId("jobs-error"), failure.message);
    }
  } });
}

function jobRow(job) {
  const { done = 0, total = 0 } = job.progress || {};
  const bar = el("progress", { max: total || 1, value: done, "aria-label": `Progress of job ${job.id}` });
  const actions = [];
  if (job.status === "queued" || job.status === "running") {
    actions.push(jobAction(`Cancel job ${job.id}`, () =>
      sendJson(`/v1/audio/jobs/${encodeURIComponent(job.id)}`, "DELETE"), "danger"));
  }
  if (job.status === "completed") actions.push(jobAction(`Download job ${job.id}`, () => downloadJob(job)));
  const status = job.error ? `${job.status}: ${job.error}` : job.status;
  return el("tr", { "data-job": job.id },
    el("td", { text: job.id }), el("td", { text: status }),
    el("td", {}, bar, el("span", { text: ` ${done} / ${total}` })),
    el("td", { text: job.voice || "—" }),
    el("td", {}, el("div", { class: "actions" }, ...actions)));
}

async function refreshJobs() {
  let listed;
  try {
    listed = await getJson("/v1/audio/jobs");
  } catch (failure) {
    if (failure.status === 404) show("jobs", false);
    else say(byId("jobs-error"), failure.message);
    return;
  }
  show("jobs", true);
  const rows = listed.data.map(jobRow);
  if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 5, text: "No job yet." })));
  byId("job-list").replaceChildren(...rows);
}

async function submitJob() {
  say(byId("speak-error"), "");
  try {
    const job = await sendJson("/v1/audio/jobs", "POST", speechBody());
    say(byId("speak-status"), `Job ${job.id} is ${job.status}; see Jobs.`, "ok");
    await refreshJobs();
  } catch (failure) {
    say(byId("speak-error"), failure.message);
  }
}

// ---- cache --------------------------------------------------------------------------

function stat(term, value) {
  return [el("dt", { text: term }), el("dd", { text: value })];
}

async function refreshCache() {
  let stats;
  try {
    stats = await getJson("/v1/cache");
  } catch (failure) {
    if (failure.status === 404) show("cache", false);
    else say(byId("cache-error"), failure.message);
    return;
  }
  if (stats.enabled === false) {
    show("cache", false); // this adapter runs without the cache (VOICEBUS_CACHE_ENABLED=false)
    return;
  }
  show("cache", true);
  const lookups = stats.hits + stats.misses;
  const ratio = lookups ? `${Math.round((100 * stats.hits) / lookups)} %` : "—";
  byId("cache-stats").replaceChildren(
    ...stat("Entries", stats.entries),
    ...stat("Size", `${bytes(stats.bytes)} of ${bytes(stats.budget_bytes)}`),
    ...stat("Kept for", `${Math.round(stats.ttl_seconds)} s`),
    ...stat("Hits / misses", `${stats.hits} / ${stats.misses} (${ratio} hits)`),
    ...stat("Evictions", stats.evictions));
}

async function clearCache(event) {
  event.preventDefault();
  const voice = byId("cache-voice").value.trim();
  const query = voice ? `?voice=${encodeURIComponent(voice)}` : "";
  say(byId("cache-error"), "");
  try {
    const result = await sendJson(`/v1/cache${query}`, "DELETE");
    say(byId("cache-status"), `Deleted ${result.deleted} entr${result.deleted === 1 ? "y" : "ies"}.`, "ok");
    await refreshCache();
  } catch (failure) {
    say(byId("cache-error"), failure.message);
  }
}

function poll(refresh) {
  const loop = async () => {
    if (!document.hidden) await refresh();
    setTimeout(loop, POLL_MS);
  };
  loop();
}

export function startExtras(paths) {
  if (paths.has("/v1/audio/jobs")) {
    byId("job-button").addEventListener("click", submitJob);
    poll(refreshJobs);
  }
  if (paths.has("/v1/cache")) {
    byId("cache-form").addEventListener("submit", clearCache);
    poll(refreshCache);
  }
}
