// Video pages: upload with a progress bar (through the JSON API), then the job's page, which
// follows the job without reloading (progress, elapsed, time left, Cancel) and, once done,
// draws one timeline band per face. The server does all the work; this file only shows it.
(() => {
  "use strict";
  const csrfToken = () => document.querySelector('meta[name="csrf-token"]').content;

  function setupUpload(form) {
    const input = document.getElementById("video-input");
    const status = document.getElementById("video-status");
    const bar = document.getElementById("video-upload-progress");
    const button = document.getElementById("video-button");
    const maxBytes = Number(form.dataset.maxBytes);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const file = input.files[0];
      if (!file) { status.textContent = "Choose a video file first."; return; }
      if (file.size > maxBytes) {
        status.textContent = `${file.name} is larger than ${Math.round(maxBytes / 1048576)} MB.`;
        return;
      }
      const body = new FormData();
      body.append("video", file, file.name);
      const request = new XMLHttpRequest();
      request.open("POST", form.dataset.apiUrl);
      request.setRequestHeader("X-CSRFToken", csrfToken());
      request.setRequestHeader("Accept", "application/json");
      request.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable) { bar.value = Math.round((e.loaded / e.total) * 100); }
      });
      request.addEventListener("load", () => {
        let answer = {};
        try { answer = JSON.parse(request.responseText); } catch (error) { answer = {}; }
        if (request.status === 202 && answer.page_url) {
          window.location.assign(answer.page_url);
          return;
        }
        button.disabled = false;
        bar.hidden = true;
        status.textContent = `${file.name}: ${answer.detail || answer.error || `the server answered ${request.status}`}`;
        status.setAttribute("role", "alert");
      });
      request.addEventListener("error", () => {
        button.disabled = false;
        bar.hidden = true;
        status.textContent = "The upload failed: the server could not be reached.";
      });
      button.disabled = true;
      bar.hidden = false;
      bar.value = 0;
      status.textContent = `Uploading ${file.name}…`;
      request.send(body);
    });
  }

  function setupJob(section) {
    const url = section.dataset.apiUrl;
    const bar = document.getElementById("video-progress");
    if (!bar) return;
    const frames = document.getElementById("video-frames");
    const elapsed = document.getElementById("video-elapsed");
    const eta = document.getElementById("video-eta");
    const state = document.getElementById("video-state");
    const cancelForm = document.getElementById("video-cancel-form");
    cancelForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      await fetch(url, { method: "DELETE", headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
                         credentials: "same-origin" }).catch(() => {});
      window.location.reload();
    });
    async function poll() {
      let job = null;
      try {
        const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (response.ok) job = await response.json();
      } catch (error) { job = null; }
      if (job) {
        section.dataset.status = job.status;
        if (!["queued", "running"].includes(job.status)) { window.location.reload(); return; }
        const p = job.progress;
        bar.max = p.frames_total || Math.max(1, p.frames_done);
        bar.value = p.frames_done;
        frames.textContent = `${p.frames_done} / ${p.frames_total ?? "?"}`;
        elapsed.textContent = p.elapsed_seconds === null ? "0" : p.elapsed_seconds.toFixed(1);
        eta.textContent = p.eta_seconds === null ? "–" : Math.round(p.eta_seconds);
        state.textContent = job.status === "queued" ? "Waiting for a worker…" : "Analysing…";
      }
      setTimeout(poll, 700);
    }
    poll();
  }

  function drawTimeline(canvas) {
    const { EMOTION_COLORS, setChartDefaults } = window.Moodlens;
    setChartDefaults();
    const data = JSON.parse(document.getElementById("video-tracks").textContent);
    const names = data.tracks.map((track) => `Face ${track.id}`);
    const emotions = Object.keys(EMOTION_COLORS);
    const datasets = emotions.map((emotion) => ({
      label: emotion,
      backgroundColor: EMOTION_COLORS[emotion],
      data: data.tracks.flatMap((track) => track.seconds
        .filter((second) => second.label === emotion)
        .map((second) => ({ x: [second.t, second.t + 1], y: `Face ${track.id}` }))),
      borderSkipped: false,
      barPercentage: 0.8,
      categoryPercentage: 1,
    })).filter((dataset) => dataset.data.length);
    canvas.parentElement.style.height = `${80 + 48 * names.length}px`;
    const chart = new Chart(canvas, {
      type: "bar",
      data: { labels: names, datasets },
      options: {
        indexAxis: "y",
        animation: false,
        grouped: false,
        scales: {
          x: { min: 0, max: Math.ceil(data.duration || 0) || undefined, title: { display: true, text: "seconds" } },
        },
      },
    });
    canvas.dataset.drawn = String(chart.data.datasets.reduce((n, d) => n + d.data.length, 0));
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("video-form");
    if (form) setupUpload(form);
    const section = document.getElementById("video-job");
    if (section) setupJob(section);
    const canvas = document.getElementById("video-timeline");
    if (canvas) drawTimeline(canvas);
  });
})();
