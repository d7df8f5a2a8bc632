// Ticket page: picking a colleague in the mention list inserts "@[Name] " at the cursor.
document.addEventListener("change", (event) => {
  const picker = event.target;
  if (!(picker instanceof HTMLSelectElement) || picker.id !== "mention-picker" || !picker.value) return;
  const area = document.getElementById(picker.dataset.target || "");
  if (!(area instanceof HTMLTextAreaElement)) return;
  const at = area.selectionStart ?? area.value.length;
  const before = area.value.slice(0, at);
  const gap = before && !/\s$/.test(before) ? " " : "";
  area.value = before + gap + picker.value + " " + area.value.slice(area.selectionEnd ?? at);
  const caret = (before + gap + picker.value + " ").length;
  area.focus();
  area.setSelectionRange(caret, caret);
  picker.value = "";
});
