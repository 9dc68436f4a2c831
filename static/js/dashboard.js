// Dashboard charts from the JSON the server embedded in the page (same object as /dashboard/data.json).
document.addEventListener("DOMContentLoaded", () => {
  const { EMOTION_COLORS, SOURCE_COLORS, setChartDefaults } = window.Moodlens;
  setChartDefaults();
  const data = JSON.parse(document.getElementById("dashboard-data").textContent);

  new Chart(document.getElementById("distribution-chart"), {
    type: "bar",
    data: {
      labels: data.emotions,
      datasets: Object.entries(data.distribution).map(([source, counts]) => ({
        label: source === "upload" ? "Uploaded photos" : "Webcam",
        data: counts,
        backgroundColor: SOURCE_COLORS[source],
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
      labels: data.timeline.labels.map((label) => (data.bucket === "week" ? "week of " + label : label)),
      datasets: data.emotions.map((emotion) => ({
        label: emotion,
        data: data.timeline.series[emotion],
        backgroundColor: EMOTION_COLORS[emotion],
      })),
    },
    options: {
      animation: false,
      scales: {
        x: { stacked: true },
        y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "faces" } },
      },
    },
  });
});
