// Dashboard charts from the JSON the server embedded in the page (same object as /dashboard/data.json).
// The time axis has one slot per day (or week) from the first to the last, so days without faces
// stay visible as gaps; the server has already grouped the faces by the user's local day.
document.addEventListener("DOMContentLoaded", () => {
  const { EMOTION_COLORS, SOURCE_COLORS, setChartDefaults } = window.Moodlens;
  setChartDefaults();
  const data = JSON.parse(document.getElementById("dashboard-data").textContent);
  const dayFormat = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", timeZone: "UTC" });
  const label = (iso) => {
    const text = dayFormat.format(new Date(`${iso}T00:00:00Z`));
    return data.bucket === "week" ? `week of ${text}` : text;
  };

  new Chart(document.getElementById("distribution-chart"), {
    type: "bar",
    data: {
      labels: data.emotions,
      // Photos and webcam always; videos once there is one.
      datasets: ["upload", "webcam", "video"]
        .filter((source) => data.distribution[source] && (source !== "video" || data.totals.faces.video > 0))
        .map((source) => ({
          label: { upload: "Photos", webcam: "Webcam", video: "Videos" }[source],
          data: data.distribution[source],
          backgroundColor: SOURCE_COLORS[source],
          borderColor: SOURCE_COLORS[source],
          borderWidth: 1,
          borderRadius: 4,
        })),
    },
    options: {
      animation: false,
      scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "faces" } } },
    },
  });

  new Chart(document.getElementById("timeline-chart"), {
    type: "bar",
    data: {
      labels: data.timeline.labels.map(label),
      datasets: data.emotions.map((emotion) => ({
        label: emotion,
        data: data.timeline.series[emotion],
        backgroundColor: EMOTION_COLORS[emotion],
      })),
    },
    options: {
      animation: false,
      scales: {
        x: { stacked: true, ticks: { autoSkip: true, maxRotation: 0 } },
        y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "faces" } },
      },
    },
  });
});
