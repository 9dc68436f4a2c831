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
    if (!typeOk) return `${file.type || "this type"} is not a picture we read. Use JPEG, PNG, WebP or BMP.`;
    if (file.size > maxBytes) return `too large (${megabytes(file.size)}); the limit is ${megabytes(maxBytes)} per picture.`;
    return "";
  }

  function setItemState(item, state, text) {
    item.dataset.state = state;
    const line = item.querySelector(".file-state");
    line.textContent = text;
    line.setAttribute("role", state === "error" ? "alert" : "status");
  }

  function showFiles(files) {
    chosen = Array.from(files).map((file, index) => ({ file, problem: problemWith(file, index) }));
    previews.replaceChildren();
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
      item.append(name, progress, state);
      previews.append(item);
      entry.item = item;
      if (entry.problem) setItemState(item, "error", `${entry.file.name}: ${entry.problem}`);
      else setItemState(item, "ready", "ready");
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

  async function sendAll() {
    const toSend = chosen.filter((entry) => !entry.problem);
    if (!chosen.length) {
      status.textContent = "Choose one or more pictures first.";
      status.setAttribute("role", "alert");
      input.focus();
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
    sending = false;
    button.disabled = false;
    button.textContent = BUTTON_TEXT;
    const ids = toSend.filter((entry) => entry.id).map((entry) => entry.id);
    const failed = chosen.length - ids.length;
    if (ids.length && !failed) {
      window.location.assign(resultUrl(ids));
      return;
    }
    status.replaceChildren();
    status.setAttribute("role", "alert");
    status.append(`${ids.length} of ${chosen.length} pictures analysed; ${failed} not (see the message under each). `);
    if (ids.length) {
      const link = document.createElement("a");
      link.className = "button small";
      link.id = "see-results";
      link.href = resultUrl(ids);
      link.textContent = `See the ${ids.length === 1 ? "result" : `${ids.length} results`}`;
      status.append(link);
    }
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
    button.textContent = BUTTON_TEXT;
  });
});
