// Live webcam detection: camera -> downscaled JPEG -> frame API -> smoothed boxes drawn over the video.
//
// Flow control: exactly one frame is in flight at a time. The next frame is captured only when the
// answer for the previous one has arrived, so a slow server or network lowers the frame rate
// instead of piling up requests.
//
// Tracks: the server follows each face from frame to frame and smooths its scores
// (app/vision/tracker.py, the tracker videos use too); its answer's "tracks" are drawn as they are.
//
// States (root's data-state): idle -> starting -> running <-> paused; running -> retrying after a
// failed frame (back to running on the next good answer); retrying -> stopped after
// MAX_FAILURES_IN_A_ROW failures. Every way into "stopped" (Stop, failures, expired session,
// leaving the page) switches the camera off and closes the session on the server.
(() => {
  "use strict";

  const JPEG_QUALITY = 0.8;
  const FPS_WINDOW_MS = 2000;
  const MAX_FAILURES_IN_A_ROW = 5;
  const COLORS = {
    angry: "#e5484d", disgust: "#46a758", fear: "#8e4ec6", happy: "#f5a524",
    sad: "#3e63dd", surprise: "#12a594", neutral: "#8b8d98",
  };
  // Label backgrounds and text with at least 4.5:1 contrast (the same pairs as app.css's chips).
  const LABEL_COLORS = {
    angry: ["#cb4044", "#ffffff"], disgust: ["#358043", "#ffffff"], fear: ["#8e4ec6", "#ffffff"],
    happy: ["#f5a524", "#1c2024"], sad: ["#3e63dd", "#ffffff"], surprise: ["#0e8073", "#ffffff"],
    neutral: ["#6f7079", "#ffffff"],
  };

  function cameraErrorMessage(error) {
    switch (error && error.name) {
      case "NotAllowedError":
      case "PermissionDeniedError":
      case "SecurityError":
        return "Camera permission was denied. Allow the camera for this site (the camera icon in the address bar) and press Start again.";
      case "NotFoundError":
      case "DevicesNotFoundError":
      case "OverconstrainedError":
        return "No camera was found. Connect a camera and press Start again.";
      case "NotReadableError":
      case "TrackStartError":
      case "AbortError":
        return "The camera is busy: another application or browser tab is using it. Close it and press Start again.";
      default:
        return `The camera could not be started (${error && error.name ? error.name : "unknown error"}).`;
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const root = document.getElementById("webcam");
    if (!root) return;
    const sessionsUrl = root.dataset.sessionsUrl;
    const frameSide = Number(root.dataset.frameSide) || 640;
    const dashboardUrl = root.dataset.dashboardUrl;
    const csrfToken = document.querySelector('meta[name="csrf-token"]').content;

    const startButton = document.getElementById("webcam-start");
    const pauseButton = document.getElementById("webcam-pause");
    const snapshotButton = document.getElementById("webcam-snapshot");
    const stopButton = document.getElementById("webcam-stop");
    const message = document.getElementById("webcam-message");
    const stage = document.getElementById("webcam-stage");
    const placeholder = document.getElementById("webcam-placeholder");
    const video = document.getElementById("webcam-video");
    const overlay = document.getElementById("webcam-overlay");
    const frameCounter = document.getElementById("frame-counter");
    const fpsOutput = document.getElementById("webcam-fps");
    const rttOutput = document.getElementById("webcam-rtt");
    const serverOutput = document.getElementById("webcam-server-ms");
    const facesList = document.getElementById("webcam-faces");
    const bars = document.getElementById("webcam-bars");
    const largestEmpty = document.getElementById("webcam-largest-empty");
    const snapshotLink = document.getElementById("webcam-snapshot-link");
    const cameraField = document.getElementById("webcam-camera-field");
    const cameraSelect = document.getElementById("webcam-camera");
    const summaryBox = document.getElementById("webcam-summary");
    const captureCanvas = document.createElement("canvas");

    let stream = null;
    let sessionId = null;
    let running = false;
    let paused = false;
    let inFlight = false;
    let framesAnswered = 0;
    let failuresInARow = 0;
    let answerTimes = [];
    let lastFrame = { width: 0, height: 0 };
    let visibleFaces = [];
    let snapshotUrl = null;
    let mirrored = true; // a camera facing the user is shown as a mirror; boxes follow

    function showMessage(kind, text, link) {
      delete message.dataset.transient;
      message.className = `webcam-message flash flash-${kind}`;
      message.textContent = text;
      if (link) {
        const anchor = document.createElement("a");
        anchor.href = link.href;
        anchor.textContent = link.text;
        message.append(" ", anchor);
      }
      message.hidden = false;
    }

    function clearMessage() {
      delete message.dataset.transient;
      message.hidden = true;
      message.textContent = "";
    }

    function setState(state) {
      root.dataset.state = state;
    }

    // Frames per second, round trip and server time describe the last answers only: they are
    // blanked when paused or stopped and when no answer came within the FPS window.
    function resetMeters() {
      answerTimes = [];
      for (const output of [fpsOutput, rttOutput, serverOutput]) {
        output.textContent = "–";
      }
    }

    function updateFps() {
      const now = performance.now();
      answerTimes = answerTimes.filter((t) => now - t <= FPS_WINDOW_MS);
      if (answerTimes.length > 1) {
        const fps = ((answerTimes.length - 1) * 1000) / (answerTimes[answerTimes.length - 1] - answerTimes[0]);
        fpsOutput.textContent = fps.toFixed(1);
      } else {
        fpsOutput.textContent = "–";
      }
    }

    setInterval(() => {
      if (running && !paused) updateFps();
    }, 500);

    function setButtons() {
      startButton.disabled = running;
      pauseButton.disabled = !running;
      snapshotButton.disabled = !running;
      stopButton.disabled = !running;
      pauseButton.textContent = paused ? "Resume" : "Pause";
      stage.hidden = !running;
      placeholder.hidden = running;
      stage.classList.toggle("mirrored", mirrored);
    }

    // Cameras: a picker when there are several (names are known once the camera was allowed).
    async function listCameras() {
      if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return;
      let cameras = [];
      try {
        cameras = (await navigator.mediaDevices.enumerateDevices()).filter((device) => device.kind === "videoinput");
      } catch (error) {
        return;
      }
      const current = stream && stream.getVideoTracks()[0] ? stream.getVideoTracks()[0].getSettings().deviceId : "";
      const chosen = current || cameraSelect.value;
      cameraSelect.replaceChildren(...cameras.map((camera, index) => {
        const option = document.createElement("option");
        option.value = camera.deviceId;
        option.textContent = camera.label || `Camera ${index + 1}`;
        option.selected = camera.deviceId === chosen;
        return option;
      }));
      cameraField.hidden = cameras.length < 2;
    }

    function videoConstraints() {
      const wanted = { width: { ideal: 640 }, height: { ideal: 480 } };
      if (cameraSelect.value) wanted.deviceId = { exact: cameraSelect.value };
      else wanted.facingMode = "user";
      return wanted;
    }

    function noteFacing() {
      const track = stream && stream.getVideoTracks()[0];
      const facing = track && track.getSettings ? track.getSettings().facingMode : undefined;
      mirrored = facing !== "environment";
      stage.classList.toggle("mirrored", mirrored);
    }

    async function switchCamera() {
      if (!running) return;
      try {
        const next = await navigator.mediaDevices.getUserMedia({ audio: false, video: videoConstraints() });
        if (stream) stream.getTracks().forEach((track) => track.stop());
        stream = next;
        video.srcObject = stream;
        await video.play();
        noteFacing();
        tracker.reset();
      } catch (error) {
        showMessage("error", cameraErrorMessage(error));
      }
    }

    function frameUrl(action) {
      return `${sessionsUrl}/${sessionId}/${action}`;
    }

    async function postJson(url) {
      const response = await fetch(url, {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken, Accept: "application/json" },
        credentials: "same-origin",
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        const error = new Error(body.error || `The server answered ${response.status}.`);
        error.status = response.status;
        throw error;
      }
      return body;
    }

    function releaseCamera() {
      if (stream) stream.getTracks().forEach((track) => track.stop());
      stream = null;
      video.srcObject = null;
    }

    async function start() {
      clearMessage();
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        showMessage("error", "This browser gives no camera access to this page. Use a current browser, over HTTPS or on localhost.");
        return;
      }
      startButton.disabled = true;
      setState("starting");
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio: false, video: videoConstraints() });
      } catch (error) {
        showMessage("error", cameraErrorMessage(error));
        startButton.disabled = false;
        setState("idle");
        return;
      }
      video.srcObject = stream;
      noteFacing();
      listCameras();
      summaryBox.hidden = true;
      try {
        await video.play();
        const session = await postJson(sessionsUrl);
        sessionId = session.id;
      } catch (error) {
        releaseCamera();
        if (sessionId !== null) closeSession(sessionId);
        sessionId = null;
        showMessage("error", `Could not start: ${error.message}`);
        startButton.disabled = false;
        setState("idle");
        return;
      }
      running = true;
      paused = false;
      framesAnswered = 0;
      failuresInARow = 0;
      resetMeters();
      frameCounter.textContent = "0";
      setState("running");
      setButtons();
      sendNextFrame();
    }

    // Close the session on the server, retrying a few times; the last try outlives the page.
    async function closeSession(id) {
      const url = `${sessionsUrl}/${id}/stop`;
      for (let attempt = 1; attempt <= 3; attempt += 1) {
        try {
          return await postJson(url);
        } catch (error) {
          if (error.status === 404 || error.status === 401) return null; // gone, or logged out
          await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
        }
      }
      fetch(url, { method: "POST", keepalive: true, headers: { "X-CSRFToken": csrfToken }, credentials: "same-origin" })
        .catch(() => {});
      throw new Error("the server could not be reached");
    }

    // reason: why the page stopped by itself (shown as an error), or nothing when the user pressed Stop.
    async function stop(reason, sessionGone = false) {
      if (!running) return;
      running = false;
      paused = false;
      const id = sessionId;
      releaseCamera();
      setState("stopped");
      visibleFaces = [];
      resetMeters();
      drawOverlay();
      showFaces();
      setButtons();
      if (reason) showMessage("error", `Stopped: ${reason}`);
      if (sessionGone || id === null) return;
      try {
        const summary = await closeSession(id);
        if (reason) {
          showMessage("error", `Stopped: ${reason} The camera is off and the session was closed.`,
            { href: dashboardUrl, text: "See it in your history." });
        } else {
          const text = summary
            ? `Session saved: ${summary.frames_analysed} frames analysed, ${summary.seconds_with_faces} seconds with faces. No image was stored.`
            : "Session saved. No image was stored.";
          showMessage("success", text, { href: dashboardUrl, text: "See it in your history." });
          if (summary) showSummary(summary);
        }
      } catch (error) {
        showMessage("error", `${reason ? `Stopped: ${reason} ` : ""}The camera is off, but the session could not be closed (${error.message}); it is closed automatically later.`);
      }
    }

    function togglePause() {
      if (!running) return;
      paused = !paused;
      setState(paused ? "paused" : "running");
      if (paused) {
        video.pause();
        resetMeters();
      } else {
        video.play().catch(() => {});
        sendNextFrame();
      }
      setButtons();
    }

    function captureFrame() {
      const scale = Math.min(1, frameSide / Math.max(video.videoWidth, video.videoHeight));
      captureCanvas.width = Math.round(video.videoWidth * scale);
      captureCanvas.height = Math.round(video.videoHeight * scale);
      captureCanvas.getContext("2d").drawImage(video, 0, 0, captureCanvas.width, captureCanvas.height);
      return new Promise((resolve) => captureCanvas.toBlob(resolve, "image/jpeg", JPEG_QUALITY));
    }

    function scheduleNext(delayMs) {
      if (delayMs > 0) setTimeout(sendNextFrame, delayMs);
      else requestAnimationFrame(sendNextFrame);
    }

    async function sendNextFrame() {
      if (!running || paused || inFlight) return;
      if (video.readyState < 2 || !video.videoWidth) {
        scheduleNext(50);
        return;
      }
      inFlight = true;
      const sentFor = sessionId;
      let retryIn = 0;
      try {
        const blob = await captureFrame();
        const sentAt = performance.now();
        const response = await fetch(frameUrl("frames"), {
          method: "POST",
          headers: { "Content-Type": "image/jpeg", "X-CSRFToken": csrfToken, Accept: "application/json" },
          credentials: "same-origin",
          body: blob,
        });
        const roundTrip = performance.now() - sentAt;
        const body = await response.json().catch(() => ({}));
        if (!running || sentFor !== sessionId) return; // stopped while this frame was on its way
        if (response.ok) {
          failuresInARow = 0;
          if (root.dataset.state === "retrying") setState(paused ? "paused" : "running");
          if (message.dataset.transient) clearMessage();
          showResult(body, roundTrip);
        } else if (response.status === 401) {
          stop("your login has expired. Log in again to use the camera.", true);
        } else if (response.status === 404 || response.status === 409) {
          stop(body.error || "this webcam session is no longer available. Press Start again.", true);
        } else {
          retryIn = response.status === 429 ? 1000 : 500;
          noteFailure(body.error || `The server answered ${response.status}.`);
        }
      } catch (error) {
        if (!running || sentFor !== sessionId) return;
        retryIn = 1000;
        noteFailure("The connection to the server failed.");
      } finally {
        inFlight = false;
      }
      if (running) scheduleNext(retryIn);
    }

    function noteFailure(text) {
      failuresInARow += 1;
      if (failuresInARow >= MAX_FAILURES_IN_A_ROW) {
        stop(`${failuresInARow} frames in a row failed. ${text}`);
        return;
      }
      setState("retrying");
      resetMeters();
      showMessage("error", `${text.replace(/; retrying…$/, "")} Retrying (${failuresInARow} of ${MAX_FAILURES_IN_A_ROW - 1})…`);
      message.dataset.transient = "yes";
    }

    function showResult(result, roundTrip) {
      framesAnswered += 1;
      frameCounter.textContent = String(framesAnswered);
      lastFrame = { width: result.width, height: result.height };
      visibleFaces = result.tracks || [];

      if (!paused) { // an answer that arrives after Pause must not bring the meters back
        answerTimes.push(performance.now());
        updateFps();
        rttOutput.textContent = `${Math.round(roundTrip)} ms`;
        serverOutput.textContent = `${Math.round(result.analysis_ms)} ms`;
      }
      drawOverlay();
      showFaces();
    }

    // After Stop: the session's seconds as a strip (each second coloured by its largest face's
    // expression, blank without a face) and each expression's share of the faces seen.
    const MAX_CELLS = 240;
    function showSummary(summary) {
      const started = Date.parse(summary.started_at);
      const duration = Math.max(1, Math.ceil(summary.duration_s || 0));
      const perCell = Math.max(1, Math.ceil(duration / MAX_CELLS));
      const cells = Math.ceil(duration / perCell);
      const counts = Array.from({ length: cells }, () => ({}));
      for (const second of summary.seconds) {
        const index = Math.min(cells - 1, Math.floor((Date.parse(second.created_at) - started) / 1000 / perCell));
        const largest = second.faces[0];
        if (index >= 0 && largest) counts[index][largest.label] = (counts[index][largest.label] || 0) + 1;
      }
      const timeline = document.getElementById("webcam-summary-timeline");
      timeline.replaceChildren(...counts.map((count, index) => {
        const cell = document.createElement("span");
        const label = Object.keys(count).sort((a, b) => count[b] - count[a])[0];
        cell.className = label ? `summary-second emotion-${label}` : "summary-second no-face";
        const from = index * perCell;
        cell.title = `${from}–${from + perCell} s: ${label || "no face"}`;
        if (label) cell.dataset.label = label;
        return cell;
      }));
      const seen = summary.seconds.length;
      timeline.setAttribute("aria-label", `${seen} of ${duration} seconds had a face; `
        + counts.map((count) => Object.keys(count)[0] || "none").join(", "));
      document.getElementById("webcam-summary-axis").textContent =
        `0 s … ${duration} s${perCell > 1 ? ` (each mark is ${perCell} seconds)` : " (each mark is one second)"}`;
      document.getElementById("webcam-summary-figures").textContent =
        `${duration} s, ${summary.frames_analysed} frames analysed, ${seen} second${seen === 1 ? "" : "s"} with faces.`
        + (summary.dominant_emotion ? ` Mostly ${summary.dominant_emotion}.` : " No face was seen.");
      const total = Object.values(summary.label_counts).reduce((sum, value) => sum + value, 0);
      const share = document.getElementById("webcam-summary-share");
      const legend = document.getElementById("webcam-summary-legend");
      const ordered = Object.entries(summary.label_counts).sort((a, b) => b[1] - a[1]);
      share.replaceChildren(...ordered.map(([label, count]) => {
        const part = document.createElement("span");
        part.className = `summary-part emotion-${label}`;
        part.style.width = `${(100 * count) / total}%`;
        part.dataset.label = label;
        return part;
      }));
      share.setAttribute("aria-label", ordered.map(([label, count]) => `${label} ${Math.round((100 * count) / total)}%`).join(", ") || "no faces");
      legend.replaceChildren(...ordered.map(([label, count]) => {
        const item = document.createElement("li");
        const dot = document.createElement("span");
        dot.className = `dot emotion-${label}`;
        item.dataset.label = label;
        item.append(dot, `${label} ${Math.round((100 * count) / total)}%`);
        return item;
      }));
      summaryBox.hidden = false;
    }

    // Boxes come in the sent frame's pixels; scale them to whatever size the target is drawn at.
    // ``mirror`` draws them on a mirrored picture (the preview of a camera facing the user).
    function drawFaces(context, faces, scale, lineWidth, mirror = false, drawnWidth = 0) {
      context.lineWidth = lineWidth;
      context.font = `600 ${Math.max(12, Math.round(14 * lineWidth / 3))}px system-ui, sans-serif`;
      context.textBaseline = "top";
      for (const face of faces) {
        const color = COLORS[face.label] || "#ffffff";
        const [labelBackground, labelText] = LABEL_COLORS[face.label] || ["#1c2024", "#ffffff"];
        const w = face.box.w * scale;
        const x = mirror ? drawnWidth - (face.box.x * scale) - w : face.box.x * scale;
        const y = face.box.y * scale;
        const h = face.box.h * scale;
        context.strokeStyle = color;
        context.strokeRect(x, y, w, h);
        const text = `${face.label} ${Math.round(face.confidence * 100)}%${face.uncertain ? " ?" : ""}`;
        const padding = 4 * lineWidth / 3;
        const textHeight = parseInt(context.font.match(/(\d+)px/)[1], 10);
        const labelWidth = context.measureText(text).width + 2 * padding;
        const labelY = y - textHeight - 2 * padding >= 0 ? y - textHeight - 2 * padding : y + h;
        context.fillStyle = labelBackground;
        context.fillRect(x - lineWidth / 2, labelY, labelWidth, textHeight + 2 * padding);
        context.fillStyle = labelText;
        context.fillText(text, x - lineWidth / 2 + padding, labelY + padding);
      }
    }

    function drawOverlay() {
      const ratio = window.devicePixelRatio || 1;
      const width = video.clientWidth;
      const height = video.clientHeight;
      overlay.width = Math.round(width * ratio);
      overlay.height = Math.round(height * ratio);
      overlay.style.width = `${width}px`;
      overlay.style.height = `${height}px`;
      const context = overlay.getContext("2d");
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      context.clearRect(0, 0, width, height);
      if (lastFrame.width && visibleFaces.length) {
        drawFaces(context, visibleFaces, width / lastFrame.width, 3, mirrored, width);
      }
      // The drawn labels, readable by tests and assistive technology alike.
      overlay.dataset.labels = visibleFaces.map((face) => face.label).join(",");
      overlay.setAttribute(
        "aria-label",
        visibleFaces.length
          ? `Faces: ${visibleFaces.map((face) => `${face.label} ${Math.round(face.confidence * 100)}%`).join(", ")}`
          : "No face in view"
      );
    }

    function showFaces() {
      facesList.replaceChildren(
        ...visibleFaces.map((face, index) => {
          const item = document.createElement("li");
          item.dataset.label = face.label;
          item.className = `emotion-${face.label}`;
          const dot = document.createElement("span");
          dot.className = `dot emotion-${face.label}`;
          item.dataset.uncertain = String(face.uncertain);
          item.append(dot, `Face ${index + 1}: ${face.label} ${Math.round(face.confidence * 100)}%`
            + (face.uncertain ? " (uncertain)" : ""));
          return item;
        })
      );
      const largest = visibleFaces[0];
      largestEmpty.hidden = Boolean(largest);
      for (const row of bars.children) {
        const score = largest ? largest.scores[row.dataset.emotion] || 0 : 0;
        row.querySelector(".webcam-bar-fill").style.width = `${(score * 100).toFixed(1)}%`;
        row.querySelector(".webcam-bar-value").textContent = `${Math.round(score * 100)}%`;
      }
    }

    function snapshot() {
      if (!video.videoWidth) return;
      const canvas = document.createElement("canvas");
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      const context = canvas.getContext("2d");
      context.drawImage(video, 0, 0);
      if (lastFrame.width) {
        drawFaces(context, visibleFaces, canvas.width / lastFrame.width, Math.max(2, canvas.width / 200));
      }
      canvas.toBlob((blob) => {
        if (!blob) return;
        if (snapshotUrl) URL.revokeObjectURL(snapshotUrl);
        snapshotUrl = URL.createObjectURL(blob);
        const name = `moodlens-${new Date().toISOString().replace(/[:.]/g, "-")}.png`;
        const link = document.createElement("a");
        link.href = snapshotUrl;
        link.download = name;
        link.textContent = `Download ${name} again`;
        snapshotLink.replaceChildren("Snapshot saved on this device (not uploaded). ", link);
        snapshotLink.hidden = false;
        link.click();
      }, "image/png");
    }

    startButton.addEventListener("click", start);
    stopButton.addEventListener("click", () => stop());
    pauseButton.addEventListener("click", togglePause);
    snapshotButton.addEventListener("click", snapshot);
    window.addEventListener("resize", drawOverlay);
    cameraSelect.addEventListener("change", switchCamera);
    listCameras();
    // Leaving the page: switch the camera off and close the session (keepalive outlives the page).
    window.addEventListener("pagehide", () => {
      if (!running) return;
      running = false;
      setState("stopped");
      releaseCamera();
      fetch(frameUrl("stop"), {
        method: "POST",
        keepalive: true,
        headers: { "X-CSRFToken": csrfToken },
        credentials: "same-origin",
      }).catch(() => {});
    });
    setState("idle");
    setButtons();
  });
})();
