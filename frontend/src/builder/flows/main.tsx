import { createRoot } from "react-dom/client";
import { Api, readPageData } from "../shared/api";
import { I18nContext, SHARED_MESSAGES, translator } from "../shared/i18n";
import { Designer } from "./Designer";
import { FlowList } from "./FlowList";
import { FLOW_MESSAGES } from "./messages";
import "./flows.css";

// Mounts the flow designer (or the flows list) into the page shell app/builder.py renders.
const root = document.getElementById("builder-root");
if (root) {
  const page = readPageData(root);
  const api = new Api({ csrf: page.csrf });
  const t = translator({ ...SHARED_MESSAGES, ...FLOW_MESSAGES }, page.lang);
  createRoot(root).render(
    <I18nContext.Provider value={{ lang: page.lang, t }}>
      {page.page === "designer" && page.key ? <Designer api={api} flowKey={page.key} /> : <FlowList api={api} />}
    </I18nContext.Provider>,
  );
}
