// Keyboard shortcuts and live counts for the agent queue page (/workspace).
// The page works without this script: every move here is also a link, a checkbox or a form.

const rows = (): HTMLTableRowElement[] =>
  Array.from(document.querySelectorAll<HTMLTableRowElement>("tr.queue-row"));

let current = -1;

function focusRow(index: number): void {
  const all = rows();
  if (all.length === 0) return;
  current = Math.max(0, Math.min(index, all.length - 1));
  all.forEach((row, i) => row.classList.toggle("is-current", i === current));
  all[current].scrollIntoView({ block: "nearest" });
}

function currentRow(): HTMLTableRowElement | undefined {
  return current >= 0 ? rows()[current] : undefined;
}

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(el.tagName);
}

function assignToMe(): void {
  const form = document.getElementById("bulk-form") as HTMLFormElement | null;
  const select = document.getElementById("bulk-assignee") as HTMLSelectElement | null;
  if (!form || !select) return;
  const checked = form.querySelectorAll('input[name="tickets"]:checked');
  if (checked.length === 0) {
    const box = currentRow()?.querySelector<HTMLInputElement>('input[name="tickets"]');
    if (!box) return;
    box.checked = true;
  }
  select.value = "me";
  form.requestSubmit();
}

function showHelp(): void {
  const help = document.getElementById("queue-help") as HTMLDetailsElement | null;
  if (!help) return;
  help.open = true;
  help.querySelector("summary")?.focus();
  help.scrollIntoView({ block: "nearest" });
}

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
  switch (event.key) {
    case "j":
      focusRow(current + 1);
      break;
    case "k":
      focusRow(current - 1);
      break;
    case "x": {
      const box = currentRow()?.querySelector<HTMLInputElement>('input[name="tickets"]');
      if (box) box.checked = !box.checked;
      break;
    }
    case "a":
      assignToMe();
      break;
    case "Enter":
    case "o": {
      const link = currentRow()?.querySelector<HTMLAnchorElement>(".ticket-subject a");
      if (!link) return;
      link.click();
      break;
    }
    case "/":
      document.getElementById("queue-q")?.focus();
      break;
    case "?":
      showHelp();
      break;
    default:
      return;
  }
  event.preventDefault();
});

// Live counts: refresh the numbers beside the queues every 30 seconds while the tab is seen.
const nav = document.querySelector<HTMLElement>("[data-counts-url]");
async function refreshCounts(): Promise<void> {
  if (!nav || document.hidden) return;
  try {
    const response = await fetch(nav.dataset.countsUrl ?? "", {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!response.ok) return;
    const counts = (await response.json()) as Record<string, { text: string }>;
    for (const [queue, value] of Object.entries(counts)) {
      const badge = nav.querySelector<HTMLElement>(`[data-queue="${queue}"]`);
      if (badge) badge.textContent = value.text;
    }
  } catch {
    // offline or signed out: keep the numbers the page came with
  }
}
if (nav) window.setInterval(refreshCounts, 30_000);
