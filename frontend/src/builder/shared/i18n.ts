/**
 * Builder UI texts in English and Simplified Chinese, and definition TEXT values.
 *
 * A catalog maps a message id to its [English, Chinese] pair, so a missing translation is a
 * type error, not a blank. Each designer merges the shared catalog with its own and puts
 * the translator in context. `{name}` placeholders are filled from params.
 * Definition texts (labels, titles) are either a plain string or {locale: string}; they show
 * in the page language, else English, else the first present (docs/form-format.md).
 */
import { createContext, useContext } from "react";
import type { Lang } from "./api";

export type Catalog = Record<string, readonly [en: string, zh: string]>;
export type Translate = (id: string, params?: Record<string, string | number>) => string;
export type Text = string | Partial<Record<Lang, string>> | Record<string, string>;

export const LANGS: readonly Lang[] = ["en", "zh-CN"];

/** A translator over `catalog` for `lang`; unknown ids come back as themselves. */
export function translator(catalog: Catalog, lang: Lang): Translate {
  const column = lang === "zh-CN" ? 1 : 0;
  return (id, params) => {
    const pair = catalog[id];
    let text = pair ? pair[column] || pair[0] : id;
    if (params) {
      text = text.replace(/\{(\w+)\}/g, (whole, name: string) =>
        Object.hasOwn(params, name) ? String(params[name]) : whole,
      );
    }
    return text;
  };
}

/** A definition TEXT in `lang`: that locale, else English, else the first present. */
export function localize(text: unknown, lang: Lang): string {
  if (typeof text === "string") return text;
  if (text === null || typeof text !== "object") return "";
  const texts = text as Record<string, unknown>;
  for (const candidate of [lang, "en", ...Object.keys(texts)]) {
    const value = texts[candidate];
    if (typeof value === "string" && value !== "") return value;
  }
  return "";
}

/** A TEXT with the `lang` entry set to `value` (an empty value removes the entry). */
export function withText(text: unknown, lang: Lang, value: string): Record<string, string> {
  const result: Record<string, string> =
    typeof text === "string"
      ? { en: text }
      : text !== null && typeof text === "object"
        ? { ...(text as Record<string, string>) }
        : {};
  if (value === "") delete result[lang];
  else result[lang] = value;
  return result;
}

/** The raw entry of a TEXT for one locale (a plain string counts as every locale's). */
export function textIn(text: unknown, lang: Lang): string {
  if (typeof text === "string") return lang === "en" ? text : "";
  if (text !== null && typeof text === "object") {
    const value = (text as Record<string, unknown>)[lang];
    return typeof value === "string" ? value : "";
  }
  return "";
}

export interface I18n {
  lang: Lang;
  t: Translate;
}

export const I18nContext = createContext<I18n>({
  lang: "en",
  t: (id) => id,
});

/** The page's language and translator. */
export function useI18n(): I18n {
  return useContext(I18nContext);
}

/** Texts of the shared builder pieces (condition editor, text inputs, errors). */
export const SHARED_MESSAGES = {
  "lang.en": ["English", "英文"],
  "lang.zh-CN": ["Chinese", "中文"],
  "error.offline": [
    "Could not reach the server. Check your connection and try again.",
    "无法连接服务器。请检查网络后重试。",
  ],
  "error.conflict": [
    "Someone else changed this in the meantime. Reload to see their changes (yours are not saved).",
    "此内容已被他人修改。请重新加载查看（您的修改尚未保存）。",
  ],
  "error.forbidden": ["You are not allowed to do this.", "您无权执行此操作。"],
  "error.notFound": ["Not found.", "未找到。"],
  "error.generic": ["Something went wrong: {detail}", "出错了：{detail}"],
  "action.reload": ["Reload", "重新加载"],
  "action.dismiss": ["Dismiss", "关闭"],
  "cond.none": ["Always", "始终"],
  "cond.addRow": ["Add a condition", "添加条件"],
  "cond.removeRow": ["Remove this condition", "删除此条件"],
  "cond.clear": ["Remove all conditions", "清除所有条件"],
  "cond.all": ["all of these are true", "以下条件全部满足"],
  "cond.any": ["any of these is true", "以下条件满足任一"],
  "cond.match": ["When", "当"],
  "cond.field": ["Field", "字段"],
  "cond.operator": ["Operator", "运算符"],
  "cond.value": ["Value", "值"],
  "cond.pickField": ["Choose a field", "选择字段"],
  "cond.noFields": [
    "Add another field with a value first: conditions compare the values of other fields.",
    "请先添加其他有值的字段：条件比较的是其他字段的值。",
  ],
  "cond.custom": [
    "This condition was written by hand and cannot be shown as rows. Edit its JSON below or replace it.",
    "此条件为手写，无法以条件行显示。可在下方编辑其 JSON，或替换它。",
  ],
  "cond.replace": ["Replace with rows", "改用条件行"],
  "cond.json": ["Condition (JSON Schema)", "条件（JSON Schema）"],
  "cond.badJson": ["Not valid JSON: {detail}", "JSON 无效：{detail}"],
  "cond.yes": ["Yes", "是"],
  "cond.no": ["No", "否"],
  "op.equals": ["equals", "等于"],
  "op.not_equals": ["does not equal", "不等于"],
  "op.in": ["is one of", "是以下之一"],
  "op.contains": ["contains", "包含"],
  "op.gt": ["is greater than", "大于"],
  "op.lt": ["is less than", "小于"],
  "op.gte": ["is at least", "大于等于"],
  "op.lte": ["is at most", "小于等于"],
  "op.empty": ["is empty", "为空"],
  "op.not_empty": ["is not empty", "不为空"],
  "op.checked": ["is ticked", "已勾选"],
  "op.not_checked": ["is not ticked", "未勾选"],
} as const satisfies Catalog;

/** A message for an ApiError-like failure, in the page language. */
export function errorMessage(t: Translate, error: unknown): string {
  if (error !== null && typeof error === "object" && "status" in error) {
    const failure = error as { status: number; title?: string; detail?: string };
    if (failure.status === 0) return t("error.offline");
    if (failure.status === 409) return t("error.conflict");
    if (failure.status === 403) return t("error.forbidden");
    if (failure.status === 404) return t("error.notFound");
    return t("error.generic", { detail: failure.detail || failure.title || String(failure.status) });
  }
  return t("error.generic", { detail: String(error) });
}
