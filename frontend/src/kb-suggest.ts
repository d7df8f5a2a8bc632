/**
 * Suggests knowledge-base articles while a requester fills a portal form: the words typed
 * into the form's text fields are sent (debounced) to `GET /api/v1/kb/suggest?q=...` and
 * the answers are listed as links in the `[data-kb-suggest]` panel. Without this script the
 * panel still links to the article search, and the form works exactly the same.
 */

interface Suggestion {
  id: number;
  title: string;
  excerpt: string;
  url: string;
}

const DELAY_MS = 350;
const MAX_QUERY = 2000;

/** The words of the form's free-text fields (text inputs and text areas), joined. */
export function formText(form: HTMLFormElement): string {
  const parts: string[] = [];
  form.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>(
    'input[type="text"], input:not([type]), textarea',
  ).forEach((control) => {
    if (!control.disabled && control.value.trim()) parts.push(control.value.trim());
  });
  return parts.join(" ").slice(0, MAX_QUERY);
}

function render(list: HTMLElement, hint: HTMLElement | null, found: Suggestion[]): void {
  list.replaceChildren(
    ...found.map((item) => {
      const li = document.createElement("li");
      const link = document.createElement("a");
      link.href = item.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = item.title;
      li.append(link);
      if (item.excerpt) {
        const excerpt = document.createElement("p");
        excerpt.className = "muted kb-suggest-excerpt";
        excerpt.textContent = item.excerpt;
        li.append(excerpt);
      }
      return li;
    }),
  );
  if (hint) hint.hidden = found.length > 0;
}

function start(panel: HTMLElement): void {
  const form = document.querySelector<HTMLFormElement>("form.docket-form");
  const list = panel.querySelector<HTMLElement>("[data-kb-suggest-list]");
  const endpoint = panel.dataset.endpoint;
  if (!form || !list || !endpoint) return;
  const hint = panel.querySelector<HTMLElement>("[data-kb-suggest-hint]");
  let timer: number | undefined;
  let inflight: AbortController | undefined;
  let last = "";

  const ask = async (): Promise<void> => {
    const text = formText(form);
    if (text === last) return;
    last = text;
    inflight?.abort();
    if (!text) {
      render(list, hint, []);
      return;
    }
    inflight = new AbortController();
    try {
      const response = await fetch(`${endpoint}?q=${encodeURIComponent(text)}`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: inflight.signal,
      });
      if (!response.ok) return; // suggestions are a help, never an error for the person
      render(list, hint, (await response.json()) as Suggestion[]);
    } catch {
      /* aborted or offline: keep what is shown */
    }
  };

  form.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void ask(), DELAY_MS);
  });
  void ask();
}

if (typeof document !== "undefined") {
  const boot = () => document.querySelectorAll<HTMLElement>("[data-kb-suggest]").forEach(start);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
}
