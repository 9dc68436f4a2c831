// Dashboard charts from the JSON the server embedded in the page (same object as /dashboard/data.json).
// Each chart shows each expression's share (stacked to 100 %: a long webcam session and a few photos
// compare, each as a whole) or the counts; the time chart can show one source. The time axis has
// one slot per hour, day or week from the first to the last, so periods without faces stay visible
// as gaps; the server has already grouped the faces by the user's local time. Every bar is labelled.
document.addEventListener("DOMContentLoaded", () => {
  "use strict";
  const element = document.getElementById("dashboard-data");
  if (!element) return; // nothing to chart: the page says so in one message
  const { EMOTION_COLORS, SOURCE_COLORS, setChartDefaults } = window.Moodlens;
  setChartDefaults();
  const data = JSON.parse(element.textContent);
  const SOURCE_NAMES = { upload: "Photos", webcam: "Webcam", video: "Videos" };
  const ORDER = ["upload", "webcam", "video"]; // the JSON's keys come sorted by name
  const dayFormat = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", timeZone: "UTC" });
  const day = (iso) => dayFormat.format(new Date(`${iso.slice(0, 10)}T00:00:00Z`));
  // Labels may be two lines (Chart.js draws an array as lines): short enough for every bar to keep one.
  const labels = data.timeline.labels.map((iso, index, all) => {
    if (data.bucket === "hour") {
      const hour = iso.slice(11, 16);
      const newDay = index === 0 || all[index - 1].slice(0, 10) !== iso.slice(0, 10);
      return newDay ? [hour, day(iso)] : hour;
    }
    return data.bucket === "week" ? ["week of", day(iso)] : day(iso);
  });
  let view = "share";
  let timelineSource = "";

  const percent = (value, total) => (total ? Math.round((1000 * value) / total) / 10 : 0);
  const shareTooltip = { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${ctx.parsed[ctx.chart.options.indexAxis === "y" ? "x" : "y"]} %` } };

  function distributionConfig() {
    const sources = ORDER.filter((source) => data.distribution[source] && data.totals.faces[source] > 0);
    if (view === "share") {
      return {
        type: "bar",
        data: {
          labels: sources.map((source) => SOURCE_NAMES[source] || source),
          datasets: data.emotions.map((emotion, index) => ({
            label: emotion,
            data: sources.map((source) => percent(data.distribution[source][index], data.totals.faces[source])),
            backgroundColor: EMOTION_COLORS[emotion],
          })),
        },
        options: {
          indexAxis: "y",
          animation: false,
          scales: { x: { stacked: true, min: 0, max: 100, ticks: { callback: (v) => `${v} %` } }, y: { stacked: true } },
          plugins: { tooltip: shareTooltip },
        },
      };
    }
    return {
      type: "bar",
      data: {
        labels: data.emotions,
        // Photos and webcam always; videos once there is one.
        datasets: ORDER.filter((source) => data.distribution[source])
          .filter((source) => source !== "video" || data.totals.faces.video > 0)
          .map((source) => [source, data.distribution[source]]).map(([source, counts]) => ({
          label: SOURCE_NAMES[source] || source,
          data: counts,
          backgroundColor: SOURCE_COLORS[source],
          borderColor: SOURCE_COLORS[source],
          borderWidth: 1,
          borderRadius: 4,
        })),
      },
      options: {
        animation: false,
        scales: { x: { ticks: { autoSkip: false } }, y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "faces" } } },
      },
    };
  }

  function timelineConfig() {
    const series = timelineSource ? data.timeline.by_source[timelineSource] : data.timeline.series;
    const totals = labels.map((_, i) => data.emotions.reduce((sum, emotion) => sum + series[emotion][i], 0));
    const share = view === "share";
    return {
      type: "bar",
      data: {
        labels,
        datasets: data.emotions.map((emotion) => ({
          label: emotion,
          data: share ? series[emotion].map((value, i) => percent(value, totals[i])) : series[emotion],
          backgroundColor: EMOTION_COLORS[emotion],
        })),
      },
      options: {
        animation: false,
        scales: {
          x: { stacked: true, ticks: { autoSkip: labels.length > 48, maxRotation: 90, minRotation: 0 } },
          y: share
            ? { stacked: true, min: 0, max: 100, ticks: { callback: (v) => `${v} %` }, title: { display: true, text: "share of faces" } }
            : { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "faces" } },
        },
        plugins: share ? { tooltip: shareTooltip } : {},
      },
    };
  }

  const charts = {};
  function draw() {
    for (const [id, config] of [["distribution-chart", distributionConfig()], ["timeline-chart", timelineConfig()]]) {
      if (charts[id]) charts[id].destroy();
      charts[id] = new Chart(document.getElementById(id), config);
    }
    document.body.dataset.chartView = view;
  }

  function pressOne(buttons, pressed) {
    buttons.forEach((button) => button.setAttribute("aria-pressed", String(button === pressed)));
  }
  const viewButtons = document.querySelectorAll(".view-switch [data-view]");
  viewButtons.forEach((button) => button.addEventListener("click", () => {
    view = button.dataset.view;
    pressOne(viewButtons, button);
    draw();
  }));
  const sourceButtons = document.querySelectorAll("[data-timeline-source]");
  sourceButtons.forEach((button) => button.addEventListener("click", () => {
    timelineSource = button.dataset.timelineSource;
    pressOne(sourceButtons, button);
    draw();
  }));
  draw();
});
