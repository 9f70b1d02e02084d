// Calls to the adapter's REST API: the bearer key from sessionStorage, and every error
// turned into an ApiError whose message is the words of the OpenAI-shaped error body.

const KEY_STORAGE = "voicebus.apiKey";

export class ApiError extends Error {
  constructor(status, message, code = null, param = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.param = param;
  }
}

export const apiKey = {
  get: () => sessionStorage.getItem(KEY_STORAGE),
  set: (key) => sessionStorage.setItem(KEY_STORAGE, key),
  clear: () => sessionStorage.removeItem(KEY_STORAGE),
};

let askForKey = null;

// `ask(error)` resolves once the user gave a key (app.js shows the key dialog).
export function onKeyNeeded(ask) {
  askForKey = ask;
}

export async function errorOf(response) {
  let message = `The hub answered ${response.status} ${response.statusText}.`;
  let code = null;
  let param = null;
  try {
    const body = await response.json();
    if (body && body.error && body.error.message) {
      ({ message, code = null, param = null } = body.error);
    }
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(response.status, message, code, param);
}

function headersFor(extra, json) {
  const headers = new Headers(extra);
  const key = apiKey.get();
  if (key) headers.set("Authorization", `Bearer ${key}`);
  if (json !== undefined) headers.set("Content-Type", "application/json");
  return headers;
}

async function send(path, { method = "GET", json, body, headers, signal }) {
  const payload = json === undefined ? body : JSON.stringify(json);
  try {
    return await fetch(path, { method, headers: headersFor(headers, json), body: payload, signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "The hub cannot be reached: is the voicebus adapter running?");
  }
}

// fetch() with the key; a 401 asks for a key and tries again; other errors throw.
export async function request(path, options = {}) {
  for (let attempt = 0; ; attempt += 1) {
    const response = await send(path, options);
    if (response.ok) return response;
    const error = await errorOf(response);
    if (response.status !== 401 || !askForKey || attempt >= 3) throw error;
    await askForKey(error);
  }
}

export async function getJson(path) {
  return (await request(path)).json();
}

export async function sendJson(path, method, json) {
  const response = await request(path, { method, json });
  const text = await response.text();
  return text ? JSON.parse(text) : null; // 204, or a 202 with no body
}

// The API's paths (from the OpenAPI document, which needs no key): optional parts of
// the hub (jobs, cache) are looked up here, so probing them costs no failing request.
let pathsPromise = null;

export function apiPaths() {
  pathsPromise ??= fetch("/openapi.json")
    .then((response) => (response.ok ? response.json() : { paths: {} }))
    .then((schema) => new Set(Object.keys(schema.paths || {})))
    .catch(() => new Set());
  return pathsPromise;
}
