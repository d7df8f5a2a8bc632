// A native file input names its button and its empty state in the browser's language
// ("Choose Files", "No file chosen"), not the page's. Each input.input-file gets a button
// and a line of chosen names in the page's language (read from <body data-file-*>); the
// input stays in the form, and keyboards reach it (its focus ring shows on the button).
const texts = document.body.dataset;
for (const input of document.querySelectorAll("input.input-file")) {
  if (!input.id) continue;
  const pick = document.createElement("label");
  pick.htmlFor = input.id;
  pick.className = "btn btn-secondary btn-small file-pick";
  pick.textContent = input.multiple ? texts.fileChooseMany : texts.fileChooseOne;
  const chosen = document.createElement("span");
  chosen.className = "file-chosen";
  chosen.setAttribute("aria-live", "polite");
  chosen.textContent = texts.fileNone;
  const box = document.createElement("div");
  box.className = "file-box";
  input.classList.add("visually-hidden");
  input.replaceWith(box);
  box.append(input, pick, chosen);
  const show = () => {
    const names = [...(input.files || [])].map((file) => file.name);
    chosen.textContent = names.length ? names.join(", ") : texts.fileNone;
  };
  input.addEventListener("change", show);
  input.form?.addEventListener("reset", () => setTimeout(show));
}
