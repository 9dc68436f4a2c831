// The upload form: drag and drop, checks in the browser before anything is sent, and one request
// per picture to the JSON API with its own progress bar, so a bad or too-large file is named on
// its own and never costs the good ones. Without JavaScript the form posts to /analyze as usual.
document.addEventListener("DOMContentLoaded", () => {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form) return;
  const input = document.getElementById("image-input");
  const dropzone = document.getElementById("dropzone");
  const summary = document.getElementById("file-summary");
  const previews = document.getElementById("previews");
  const status = document.getElementById("upload-status");
  const button = document.getElementById("analyse-button");
  const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
  const maxFiles = Number(form.dataset.maxFiles) || 10;
  // One picture per request: the request limit is the picture limit, less the form's own bytes.
  const maxBytes = (Number(form.dataset.maxBytes) || 20 * 1024 * 1024) - 16 * 1024;
  const ACCEPTED_TYPES = ["image/jpeg", "image/png", "image/webp", "image/bmp"];
  const ACCEPTED_EXTENSIONS = /\.(jpe?g|png|webp|bmp)$/i;
  const BUTTON_TEXT = button.textContent;
  let chosen = [];
  let sending = false;

  const megabytes = (bytes) => `${(bytes / 1048576).toFixed(1)} MB`;

  // Why the browser will not send this file, or "" when it will.
  function problemWith(file, index) {
    if (index >= maxFiles) return `not sent: at most ${maxFiles} pictures per upload.`;
    if (file.size === 0) return "the file is empty.";
    const typeOk = file.type ? ACCEPTED_TYPES.includes(file.type) : ACCEPTED_EXTENSIONS.test(file.name);
    if (!typeOk) return "this is not a picture we read. Use JPEG, PNG, WebP or BMP.";
    if (file.size > maxBytes) return `too large (${megabytes(file.size)}); the limit is ${megabytes(maxBytes)} per picture.`;
    return "";
  }

  function setItemState(item, state, text) {
    item.dataset.state = state;
    const line = item.querySelector(".file-state");
    line.textContent = text;
    line.setAttribute("role", state === "error" ? "alert" : "status");
  }

  // A key per file, made once: sending the same file again (a second press) returns its first
  // analysis instead of storing it twice (the server remembers keys for a day).
  const newKey = () => (window.crypto && crypto.randomUUID ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`);

  function showFiles(files) {
    chosen = Array.from(files).map((file) => ({ file, key: newKey() }));
    render();
  }

  // Take one file out of the choice (its × button).
  function removeFile(entry) {
    chosen = chosen.filter((other) => other !== entry);
    try {
      const transfer = new DataTransfer();
      chosen.forEach((other) => transfer.items.add(other.file));
      input.files = transfer.files;
    } catch (error) { /* older browsers: our own list is what is sent */ }
    render();
    input.focus();
  }

  function render() {
    chosen.forEach((entry, index) => { entry.problem = problemWith(entry.file, index); });
    previews.replaceChildren();
    if (!chosen.some((entry) => entry.id)) {
      button.classList.remove("secondary");
      button.textContent = BUTTON_TEXT;
    }
    status.textContent = "";
    const good = chosen.filter((entry) => !entry.problem).length;
    const bad = chosen.length - good;
    summary.textContent = chosen.length
      ? `${chosen.length} file${chosen.length === 1 ? "" : "s"} chosen` + (bad ? ` · ${bad} will not be sent` : "")
      : "Nothing chosen yet";
    chosen.forEach((entry, index) => {
      const item = document.createElement("li");
      item.className = "file-item";
      item.id = `file-${index}`;
      if (!entry.problem && entry.file.type.startsWith("image/")) {
        const img = document.createElement("img");
        img.src = URL.createObjectURL(entry.file);
        img.alt = "";
        img.addEventListener("load", () => URL.revokeObjectURL(img.src), { once: true });
        item.append(img);
      }
      const name = document.createElement("span");
      name.className = "file-name";
      name.textContent = entry.file.name;
      const progress = document.createElement("progress");
      progress.max = 100;
      progress.value = 0;
      progress.setAttribute("aria-label", `Upload of ${entry.file.name}`);
      progress.hidden = true;
      const state = document.createElement("span");
      state.className = "file-state";
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "remove-file";
      remove.textContent = "×";
      remove.setAttribute("aria-label", `Remove ${entry.file.name}`);
      remove.addEventListener("click", () => { if (!sending) removeFile(entry); });
      item.append(remove, name, progress, state);
      previews.append(item);
      entry.item = item;
      if (entry.problem) setItemState(item, "error", `${entry.file.name}: ${entry.problem}`);
      else if (entry.id) {
        setItemState(item, "done", "done");
        remove.hidden = true;
      } else setItemState(item, "ready", "ready");
    });
  }

  function send(entry) {
    return new Promise((resolve) => {
      const request = new XMLHttpRequest();
      const progress = entry.item.querySelector("progress");
      const data = new FormData();
      data.append("image", entry.file, entry.file.name);
      request.open("POST", form.dataset.apiUrl);
      request.setRequestHeader("X-CSRFToken", csrfToken);
      request.setRequestHeader("Idempotency-Key", entry.key);
      request.setRequestHeader("Accept", "application/json");
      request.responseType = "json";
      progress.hidden = false;
      setItemState(entry.item, "sending", "sending…");
      request.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) progress.value = Math.round((100 * event.loaded) / event.total);
      });
      request.upload.addEventListener("load", () => {
        progress.value = 100;
        setItemState(entry.item, "analysing", "analysing…");
      });
      request.addEventListener("load", () => {
        const body = request.response || {};
        const [result] = body.results || [];
        if (request.status === 200 && result) {
          entry.id = result.id;
          entry.item.querySelector(".remove-file").hidden = true;
          const faces = result.faces.length;
          setItemState(entry.item, "done", `done: ${faces} face${faces === 1 ? "" : "s"}`);
        } else if (request.status === 401) {
          setItemState(entry.item, "error", `${entry.file.name}: your login has expired; log in again.`);
        } else {
          const message = body.error || `the server answered ${request.status}.`;
          setItemState(entry.item, "error", message.startsWith(entry.file.name) ? message : `${entry.file.name}: ${message}`);
        }
        resolve();
      });
      const failed = () => {
        setItemState(entry.item, "error", `${entry.file.name}: the connection failed; try again.`);
        resolve();
      };
      request.addEventListener("error", failed);
      request.addEventListener("timeout", failed);
      request.send(data);
    });
  }

  function resultUrl(ids) {
    if (ids.length === 1) return form.dataset.showUrl.replace(/0$/, String(ids[0]));
    return `${form.dataset.batchUrl}?ids=${ids.join(",")}`;
  }

  // This tab keeps its own copy of each analysed picture, so that the result pages can draw it
  // with its boxes; nothing is sent again.
  async function keepCopies(entries) {
    if (!window.MoodlensPhotos) return;
    for (const entry of entries) {
      try {
        await window.MoodlensPhotos.put(entry.id, entry.file);
      } catch (error) { /* no storage here: the result page says the photo is not shown */ }
    }
  }

  function startOver() {
    chosen = [];
    try { input.value = ""; } catch (error) { /* read-only in old browsers */ }
    render();
    input.focus();
  }

  async function sendAll() {
    // Files already analysed are not sent again; the rest (new or failed) are, with their keys.
    const toSend = chosen.filter((entry) => !entry.problem && !entry.id);
    if (!chosen.length) {
      status.textContent = "Choose one or more pictures first.";
      status.setAttribute("role", "alert");
      input.focus();
      return;
    }
    if (!toSend.length && chosen.some((entry) => entry.id)) {
      showOutcome();
      return;
    }
    if (!toSend.length) {
      status.textContent = "None of the chosen files can be sent; see the message under each file.";
      status.setAttribute("role", "alert");
      return;
    }
    sending = true;
    button.disabled = true;
    button.textContent = "Analysing…";
    status.setAttribute("role", "status");
    status.textContent = `Sending ${toSend.length} picture${toSend.length === 1 ? "" : "s"}…`;
    for (const entry of toSend) await send(entry); // one at a time: the server analyses one per core
    await keepCopies(toSend.filter((entry) => entry.id));
    sending = false;
    button.disabled = false;
    button.textContent = BUTTON_TEXT;
    showOutcome();
  }

  function showOutcome() {
    const ids = chosen.filter((entry) => entry.id).map((entry) => entry.id);
    const failed = chosen.length - ids.length;
    if (ids.length && !failed) {
      window.location.assign(resultUrl(ids));
      return;
    }
    status.replaceChildren();
    status.setAttribute("role", "alert");
    const line = document.createElement("p");
    line.textContent = `${ids.length} of ${chosen.length} pictures analysed; ${failed} not (see the message under each).`;
    status.append(line);
    if (ids.length) {
      // The results are what people came for: the primary button; sending again is secondary.
      const link = document.createElement("a");
      link.className = "button";
      link.id = "see-results";
      link.href = resultUrl(ids);
      link.textContent = `See the ${ids.length === 1 ? "result" : `${ids.length} results`}`;
      status.append(link);
      button.classList.add("secondary");
      button.textContent = failed ? "Try the others again" : BUTTON_TEXT;
    }
    const again = document.createElement("button");
    again.type = "button";
    again.className = "button secondary";
    again.id = "start-over";
    again.textContent = "Start over";
    again.addEventListener("click", startOver);
    status.append(again);
  }

  ["dragenter", "dragover"].forEach((type) =>
    dropzone.addEventListener(type, (event) => {
      event.preventDefault();
      dropzone.classList.add("dragging");
    })
  );
  ["dragleave", "drop"].forEach((type) =>
    dropzone.addEventListener(type, () => dropzone.classList.remove("dragging"))
  );
  dropzone.addEventListener("drop", (event) => {
    event.preventDefault();
    if (sending || !event.dataTransfer.files.length) return;
    try {
      input.files = event.dataTransfer.files;
    } catch (error) { /* older browsers: keep our own list */ }
    showFiles(event.dataTransfer.files);
  });
  input.addEventListener("change", () => showFiles(input.files));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!sending) sendAll();
  });
  // Coming back with the browser's back button must not leave the button disabled.
  window.addEventListener("pageshow", () => {
    button.disabled = false;
    if (!chosen.some((entry) => entry.id)) button.textContent = BUTTON_TEXT;
  });
});
