// Account page: copy a newly made access token to the clipboard.
(function () {
  "use strict";
  const button = document.getElementById("copy-token");
  if (!button) return;
  const status = document.getElementById("copy-status");
  button.addEventListener("click", async () => {
    const target = document.getElementById(button.dataset.copyTarget);
    const text = target ? target.textContent.trim() : "";
    try {
      await navigator.clipboard.writeText(text);
      status.textContent = "Copied.";
    } catch (error) {
      // No clipboard (an old browser, or no permission): select the token for Ctrl+C instead.
      const range = document.createRange();
      range.selectNodeContents(target);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      status.textContent = "Press Ctrl+C (⌘C) to copy the selected token.";
    }
  });
})();
