// Drag-and-drop and previews for the upload form; the form itself works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("upload-form");
  const input = document.getElementById("image-input");
  const dropzone = document.getElementById("dropzone");
  const summary = document.getElementById("file-summary");
  const previews = document.getElementById("previews");
  const button = document.getElementById("analyse-button");

  function showFiles() {
    const files = Array.from(input.files);
    previews.replaceChildren();
    summary.textContent = files.length
      ? `${files.length} file${files.length === 1 ? "" : "s"} chosen`
      : "Nothing chosen yet";
    files.forEach((file) => {
      const item = document.createElement("li");
      if (file.type.startsWith("image/")) {
        const img = document.createElement("img");
        img.src = URL.createObjectURL(file);
        img.alt = "";
        img.onload = () => URL.revokeObjectURL(img.src);
        item.append(img);
      }
      const name = document.createElement("span");
      name.textContent = file.name;
      item.append(name);
      previews.append(item);
    });
  }

  ["dragenter", "dragover"].forEach((type) =>
    dropzone.addEventListener(type, (event) => {
      event.preventDefault();
      dropzone.classList.add("dragging");
    })
  );
  ["dragleave", "drop"].forEach((type) =>
    dropzone.addEventListener(type, () => dropzone.classList.remove("dragging"))
  );
  dropzone.addEventListener("drop", (event) => {
    event.preventDefault();
    if (event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      showFiles();
    }
  });
  input.addEventListener("change", showFiles);
  form.addEventListener("submit", () => {
    button.disabled = true;
    button.textContent = "Analysing…";
  });
  // Coming back with the browser's back button must not leave the button disabled.
  window.addEventListener("pageshow", () => {
    button.disabled = false;
    button.textContent = "Find faces and emotions";
  });
});
