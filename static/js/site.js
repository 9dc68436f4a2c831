// Every page: compact menu on narrow screens, the browser's time zone for the server, and a
// confirmation question before forms marked data-confirm (deleting) are sent.
(() => {
  "use strict";
  document.documentElement.classList.add("js");

  // The dashboard groups and prints times in the user's own zone; the server reads this cookie.
  try {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone) document.cookie = `tz=${encodeURIComponent(zone)}; path=/; max-age=31536000; SameSite=Lax`;
  } catch (error) { /* no Intl: the server keeps UTC */ }

  document.addEventListener("DOMContentLoaded", () => {
    const button = document.getElementById("menu-button");
    const links = document.getElementById("nav-links");
    if (button && links) {
      button.addEventListener("click", () => {
        const open = button.getAttribute("aria-expanded") !== "true";
        button.setAttribute("aria-expanded", String(open));
        links.classList.toggle("open", open);
      });
      document.addEventListener("keydown", (event) => {
        if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
          button.setAttribute("aria-expanded", "false");
          links.classList.remove("open");
          button.focus();
        }
      });
    }

    // The copies of uploaded photos this browser keeps for result pages go at log out, and
    // whenever a page is shown to nobody logged in (a session that ended elsewhere).
    const photos = window.MoodlensPhotos;
    if (photos && document.body.hasAttribute("data-anonymous")) photos.clear();
    document.addEventListener("submit", (event) => {
      const form = event.target;
      if (photos && form instanceof HTMLFormElement && form.action.endsWith("/auth/logout")) photos.clear();
      if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });

    // Times written by the server in UTC, shown in the reader's zone.
    const format = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
    document.querySelectorAll("time[data-local]").forEach((element) => {
      const moment = new Date(element.getAttribute("datetime"));
      if (!Number.isNaN(moment.getTime())) element.textContent = format.format(moment);
    });
  });
})();
