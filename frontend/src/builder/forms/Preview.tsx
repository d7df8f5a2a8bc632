/**
 * The live preview: the draft being edited, drawn by the server with the very templates and
 * live-form script requesters get (POST /api/v1/forms/{key}/preview), shown in a sandboxed
 * iframe at desktop or phone width, in either language. Conditions work inside as on the
 * portal. Nothing can be sent: the sandbox has no allow-forms, the form has no action and
 * its button is disabled. allow-same-origin is needed for the built module scripts to load
 * (an opaque origin would need CORS on /static); what runs inside is our own escaped output
 * under the page's CSP (script-src 'self'), which the srcdoc document inherits.
 */
import { useEffect, useState } from "react";
import { ApiError, seg, type Lang } from "../shared/api";
import { errorMessage, LANGS, useI18n } from "../shared/i18n";
import type { Definition } from "./model";

type Device = "desktop" | "phone";

const REDRAW_MS = 250;

export function Preview({ formKey, definition, csrf }: { formKey: string; definition: Definition; csrf: string }) {
  const { t, lang } = useI18n();
  const [device, setDevice] = useState<Device>("desktop");
  const [formLang, setFormLang] = useState<Lang>(lang);
  const [html, setHtml] = useState<string | null>(null);
  const [error, setError] = useState("");
  const [round, setRound] = useState(0);
  const body = JSON.stringify(definition);

  useEffect(() => {
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      void draw(formKey, body, formLang, csrf, controller.signal).then(
        (text) => {
          setHtml(text);
          setError("");
        },
        (problem: unknown) => {
          if (!controller.signal.aborted) setError(errorMessage(t, problem));
        },
      );
    }, REDRAW_MS);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [formKey, body, formLang, csrf, t, round]);

  return (
    <div className="fd-preview">
      <div className="fd-preview-bar">
        <p className="fd-preview-note" role="note">
          {t("preview.note")}
        </p>
        <div className="fd-segmented" role="group" aria-label={t("preview.width")}>
          {(["desktop", "phone"] as const).map((name) => (
            <button key={name} type="button" className="btn btn-small" aria-pressed={device === name} onClick={() => setDevice(name)}>
              {t(`preview.${name}`)}
            </button>
          ))}
        </div>
        <div className="fd-segmented" role="group" aria-label={t("preview.language")}>
          {LANGS.map((code) => (
            <button key={code} type="button" className="btn btn-small" aria-pressed={formLang === code} onClick={() => setFormLang(code)}>
              {t(`lang.${code}`)}
            </button>
          ))}
        </div>
        <button type="button" className="btn btn-quiet btn-small" onClick={() => setRound((n) => n + 1)}>
          {t("preview.refresh")}
        </button>
      </div>
      {error ? (
        <p className="fd-notice fd-notice-error" role="alert">
          {error}
        </p>
      ) : null}
      <div className={`fd-preview-stage fd-preview-${device}`}>
        {html === null ? (
          <p className="fd-loading">{t("preview.loading")}</p>
        ) : (
          <iframe
            className="fd-preview-frame"
            title={t("preview.frame")}
            sandbox="allow-scripts allow-same-origin"
            srcDoc={html}
            data-device={device}
            data-lang={formLang}
          />
        )}
      </div>
    </div>
  );
}

/** The preview document for one definition, or an ApiError from the server's problem. */
async function draw(formKey: string, body: string, lang: Lang, csrf: string, signal: AbortSignal): Promise<string> {
  let response: Response;
  try {
    response = await fetch(`/api/v1/forms/${seg(formKey)}/preview?lang=${encodeURIComponent(lang)}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/html", "X-CSRFToken": csrf },
      body,
      credentials: "same-origin",
      signal,
    });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new ApiError(0, "offline");
  }
  const text = await response.text();
  if (response.ok) return text;
  let problem: { title?: string; detail?: string } = {};
  try {
    problem = JSON.parse(text) as typeof problem;
  } catch {
    // not a problem document: keep the status
  }
  throw new ApiError(response.status, problem.title ?? String(response.status), problem.detail ?? "");
}
