// Places each face box over its photo from the box's data-x/y/w/h (fractions of the picture),
// so the markup needs no inline style attributes; a tag near the top or right edge is moved
// inside the photo. Where the server kept no photo, the figure shows this tab's own copy of the
// uploaded picture when there is one (static/js/photo-store.js). Each face card then gets the
// face's crop, drawn from the photo, as its thumbnail.
document.addEventListener("DOMContentLoaded", () => {
  "use strict";
  document.querySelectorAll(".face-box[data-x]").forEach((box) => {
    const value = (name) => Number(box.dataset[name]);
    const percent = (name) => `${(value(name) * 100).toFixed(3)}%`;
    box.style.left = percent("x");
    box.style.top = percent("y");
    box.style.width = percent("w");
    box.style.height = percent("h");
    if (value("y") < 0.1) box.classList.add("tag-inside");
    if (value("x") + value("w") > 0.75) box.classList.add("tag-right");
    box.classList.add("placed");
  });

  function drawThumbnails(figure) {
    const img = figure.querySelector("img");
    const body = figure.closest(".result-body");
    if (!img || !body || !img.naturalWidth) return;
    body.querySelectorAll("canvas.face-thumb[data-face]").forEach((canvas) => {
      const box = figure.querySelector(`.face-box[data-face="${canvas.dataset.face}"]`);
      if (!box) return;
      const [x, y, w, h] = ["x", "y", "w", "h"].map((name) => Number(box.dataset[name]));
      const side = Math.max(w * img.naturalWidth, h * img.naturalHeight);
      const centreX = (x + w / 2) * img.naturalWidth;
      const centreY = (y + h / 2) * img.naturalHeight;
      const context = canvas.getContext("2d");
      context.fillStyle = "#e0e1e6";
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(img, centreX - side / 2, centreY - side / 2, side, side, 0, 0, canvas.width, canvas.height);
      canvas.hidden = false;
    });
  }

  document.querySelectorAll("figure.annotated").forEach((figure) => {
    const img = figure.querySelector("img");
    if (!img) return;
    if (img.complete && img.naturalWidth) drawThumbnails(figure);
    else img.addEventListener("load", () => drawThumbnails(figure), { once: true });
  });

  const photos = window.MoodlensPhotos;
  document.querySelectorAll("figure.annotated[data-local-photo]").forEach(async (figure) => {
    if (!photos) return;
    let blob = null;
    try {
      blob = await photos.get(figure.dataset.localPhoto);
    } catch (error) {
      return; // no storage in this browser: the note stays
    }
    if (!blob) return;
    const img = figure.querySelector("img");
    img.src = URL.createObjectURL(blob);
    img.addEventListener("load", () => {
      figure.hidden = false;
      figure.classList.add("from-this-tab");
      const note = figure.parentElement.querySelector(".no-photo");
      if (note) note.hidden = true;
    }, { once: true });
  });
});
