/** Texts of the forms list's usage column and its duplicate dialog (English, Chinese). */
import type { Catalog } from "../shared/i18n";

export const LIST_MESSAGES = {
  "list.duplicate": ["Duplicate", "复制"],
  "list.duplicateNamed": ["Duplicate {title}", "复制 {title}"],
  "list.duplicateTitle": ["Duplicate “{title}”", "复制“{title}”"],
  "list.duplicateIntro": [
    "The copy gets the draft of this form under its own key; publish it to let requesters use it.",
    "副本以新的键复制此表单的草稿；发布后申请人即可使用。",
  ],
  "list.duplicated": ["Copied as “{title}” ({key}): a draft, not yet published.", "已复制为“{title}”（{key}）：草稿，尚未发布。"],
  "list.usage": ["Where it is used", "使用情况"],
  "list.startsFlow": ["Starts flow", "启动流程"],
  "list.flowVersion": ["{title} · v{n}", "{title} · 第 {n} 版"],
  "list.versionOpen": ["v{n}: {open} open", "v{n}：{open} 个未结"],
  "list.totalOpen": ["{open} open tickets", "{open} 个未结工单"],
  "list.noTickets": ["No open tickets", "没有未结工单"],
  "list.olderVersions": ["+{n} older", "另有 {n} 个旧版本"],
} as const satisfies Catalog;
