// Places each face box over its photo from the box's data-x/y/w/h (fractions of the picture),
// so the markup needs no inline style attributes.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".face-box[data-x]").forEach((box) => {
    const percent = (name) => `${(Number(box.dataset[name]) * 100).toFixed(3)}%`;
    box.style.left = percent("x");
    box.style.top = percent("y");
    box.style.width = percent("w");
    box.style.height = percent("h");
    box.classList.add("placed");
  });
});
