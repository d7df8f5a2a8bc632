import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { Api, readPageData } from "../shared/api";
import { I18nContext, translator } from "../shared/i18n";
import "../shared/builder.css";
import "./forms.css";
import { Designer } from "./Designer";
import { FormsList } from "./FormsList";
import { MESSAGES } from "./messages";

// Mounts the forms list or the form designer into the page shell that app/builder.py renders.
const root = document.getElementById("builder-root");
if (root) {
  const page = readPageData(root);
  const api = new Api({ csrf: page.csrf });
  const i18n = { lang: page.lang, t: translator(MESSAGES, page.lang) };
  createRoot(root).render(
    <StrictMode>
      <I18nContext.Provider value={i18n}>
        {page.page === "designer" ? <Designer api={api} formKey={page.key} csrf={page.csrf} /> : <FormsList api={api} />}
      </I18nContext.Provider>
    </StrictMode>,
  );
}
