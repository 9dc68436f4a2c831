// Draws, for every face on the result page, a bar chart of its seven confidences.
document.addEventListener("DOMContentLoaded", () => {
  const { EMOTION_COLORS, setChartDefaults } = window.Moodlens;
  setChartDefaults();
  document.querySelectorAll("canvas.score-chart").forEach((canvas) => {
    const scores = JSON.parse(canvas.dataset.scores);
    const emotions = Object.keys(EMOTION_COLORS);
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: emotions,
        datasets: [{
          label: "confidence (%)",
          data: emotions.map((e) => Math.round(scores[e] * 1000) / 10),
          backgroundColor: emotions.map((e) => EMOTION_COLORS[e]),
          borderRadius: 4,
        }],
      },
      options: {
        indexAxis: "y",
        animation: false,
        scales: { x: { min: 0, max: 100, ticks: { callback: (v) => v + "%" } } },
        plugins: { legend: { display: false },
          tooltip: { callbacks: { label: (ctx) => ctx.parsed.x.toFixed(1) + "%" } } },
      },
    });
  });
});
