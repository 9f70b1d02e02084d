// The voicebus web page: wires the panels together and asks for an API key when the hub
// wants one (kept in sessionStorage, sent as Authorization: Bearer).

import { apiKey, apiPaths, onKeyNeeded } from "./api.js";
import { byId, say } from "./dom.js";
import { onWorkers, startEngines } from "./engines.js";
import { startExtras } from "./extras.js";
import { libraryRender, onLibraryChange, refreshLibrary, startLibrary } from "./library.js";
import { startSpeak } from "./speak.js";
import { refreshVoices, startVoicePicker } from "./voices.js";

let pendingKey = null;
let declined = false; // Escape: no more dialogs from the live refreshes, a button instead

// One dialog for every request that got a 401 at the same time.
function askForKey(error) {
  if (declined) return Promise.reject(error);
  pendingKey ??= new Promise((resolve, reject) => {
    const dialog = byId("key-dialog");
    const form = byId("key-form");
    const cancel = () => {
      form.removeEventListener("submit", submit);
      pendingKey = null;
      declined = true;
      byId("enter-key").hidden = false;
      reject(error); // Escape: the request fails with the hub's own words
    };
    byId("key-reason").textContent = apiKey.get()
      ? `The hub refused the key: ${error.message}`
      : "This hub asks for an API key.";
    const submit = () => {
      dialog.removeEventListener("cancel", cancel);
      apiKey.set(byId("api-key").value.trim());
      byId("api-key").value = "";
      byId("forget-key").hidden = false;
      pendingKey = null;
      resolve();
    };
    form.addEventListener("submit", submit, { once: true });
    dialog.addEventListener("cancel", cancel, { once: true });
    dialog.showModal();
  });
  return pendingKey;
}

function voicesEveryChange() {
  let live = "";
  onWorkers((workers) => {
    const routable = workers.filter((w) => !w.paused && w.state !== "stopping");
    const now = JSON.stringify(routable.map((w) => [w.instance, w.voices]));
    libraryRender();
    if (now === live) return;
    live = now;
    refreshVoices().catch(() => {});
  });
}

async function start() {
  onKeyNeeded(askForKey);
  byId("forget-key").hidden = !apiKey.get();
  byId("forget-key").addEventListener("click", () => {
    apiKey.clear();
    byId("forget-key").hidden = true;
  });
  byId("enter-key").addEventListener("click", () => {
    declined = false;
    byId("enter-key").hidden = true;
    askForKey(new Error("")).then(() => window.location.reload(), () => {});
  });
  startSpeak();
  startVoicePicker();
  startLibrary();
  onLibraryChange(() => refreshVoices().catch(() => {}));
  voicesEveryChange();
  refreshVoices().catch((failure) => say(byId("speak-error"), failure.message));
  startEngines();
  await refreshLibrary();
  startExtras(await apiPaths());
}

start();
