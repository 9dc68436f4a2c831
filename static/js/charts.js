// Shared colours and defaults for the Chart.js charts (Chart.js is vendored in static/vendor).
window.Moodlens = window.Moodlens || {};
window.Moodlens.EMOTION_COLORS = {
  angry: "#e5484d", disgust: "#46a758", fear: "#8e4ec6", happy: "#f5a524",
  sad: "#3e63dd", surprise: "#12a594", neutral: "#8b8d98",
};
// Sources get colours no emotion uses (slate and pink), so "Photos" never reads as "sad".
window.Moodlens.SOURCE_COLORS = { upload: "#334155", webcam: "#d6409f", video: "#0f766e" };
window.Moodlens.setChartDefaults = function () {
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#4b5563";
  Chart.defaults.maintainAspectRatio = false;
};
