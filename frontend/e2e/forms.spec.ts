import { expect, test, type Locator, type Page } from "@playwright/test";
import { failOnConsoleErrors, signIn } from "./helpers";

// The form designer end to end: create a form, build it by clicking and by dragging, add a
// condition with the row editor, publish, and fill the published form on the portal.

/** Drag with intermediate moves: dnd-kit's pointer sensor needs them (NOTES.md). */
async function drag(page: Page, from: Locator, to: Locator, below = false): Promise<void> {
  const a = await from.boundingBox();
  const b = await to.boundingBox();
  if (!a || !b) throw new Error("drag: element not visible");
  await page.mouse.move(a.x + a.width / 2, a.y + Math.min(a.height / 2, 20));
  await page.mouse.down();
  await page.mouse.move(a.x + a.width / 2 + 10, a.y + 25, { steps: 5 });
  await page.mouse.move(b.x + b.width / 2, b.y + (below ? b.height - 5 : 8), { steps: 15 });
  await page.mouse.move(b.x + b.width / 2, b.y + (below ? b.height - 3 : 6), { steps: 3 });
  await page.mouse.up();
}

function cardKeys(page: Page): Promise<string[]> {
  return page.locator(".fd-card").evaluateAll((cards) => cards.map((card) => card.getAttribute("data-key") ?? ""));
}

test("build, publish and fill a form", async ({ page }) => {
  const errors = failOnConsoleErrors(page);
  await signIn(page, "designer@example.com");
  await page.goto("/builder/forms");
  await expect(page.locator(".fl-item[data-form=refund]")).toBeVisible();

  // Create: the key follows the English title.
  await page.getByRole("button", { name: "New form" }).first().click();
  await page.getByLabel("Title (English)").fill("Laptop loan");
  await page.getByLabel("Title (Chinese)").fill("笔记本借用");
  await expect(page.getByLabel("Key", { exact: true })).toHaveValue("laptop-loan");
  await page.getByRole("button", { name: "Create and design" }).click();
  await page.waitForURL("**/builder/forms/laptop-loan");
  await expect(page.getByRole("heading", { name: "Laptop loan" })).toBeVisible();

  // Add by clicking: a drop-down, then a short text after it.
  await page.getByRole("button", { name: "Add field: Drop-down" }).click();
  await expect(page.locator(".fd-card")).toHaveCount(1);
  await page.getByRole("textbox", { name: "Label (English)", exact: true }).fill("Reason");
  await expect(page.getByLabel("Data key")).toHaveValue("reason");
  await page.getByLabel("Option 1 label (English)").fill("Travel");
  await page.getByLabel("Option 2 label (English)").fill("Broken laptop");
  await expect(page.getByLabel("Option 2 value")).toHaveValue("broken_laptop");
  await page.getByText("Paste a list of options").click();
  await page.getByLabel("One option per line").fill("Repair\nOther\n");
  await page.getByRole("button", { name: "Add 2 option(s)" }).click();
  await expect(page.getByLabel("Option 4 value")).toHaveValue("other");
  await page.getByRole("button", { name: "Add field: Short text" }).click();
  await page.getByRole("textbox", { name: "Label (English)", exact: true }).fill("Destination");
  await expect(page.locator(".fd-card")).toHaveCount(2);

  // Add by dragging a palette tile onto the top of the first card.
  await drag(page, page.getByRole("button", { name: "Add field: Number" }), page.locator(".fd-card").first());
  await expect(page.locator(".fd-card")).toHaveCount(3);
  expect(await cardKeys(page)).toEqual(["number", "reason", "destination"]);

  // Reorder by dragging: the number card below the last one.
  await drag(page, page.locator(".fd-card[data-key=number]"), page.locator(".fd-card[data-key=destination]"), true);
  await expect.poll(() => cardKeys(page)).toEqual(["reason", "destination", "number"]);

  // The non-drag path: move up with the button, and undo it.
  await page.locator(".fd-card[data-key=number]").click();
  await page.getByRole("button", { name: "Move up" }).click();
  await expect.poll(() => cardKeys(page)).toEqual(["reason", "number", "destination"]);
  await page.getByRole("button", { name: "Undo" }).click();
  await expect.poll(() => cardKeys(page)).toEqual(["reason", "destination", "number"]);

  // A condition: show "Destination" only when the reason is Travel, required then.
  await page.locator(".fd-card[data-key=destination]").click();
  await page.getByRole("button", { name: "Add a condition" }).first().click();
  const rows = page.getByRole("group", { name: "Show this field only when" });
  await expect(rows.getByLabel("Field")).toHaveValue("reason");
  await expect(rows.getByLabel("Operator")).toHaveValue("equals");
  await rows.getByLabel("Value").selectOption("travel");
  await page.getByLabel("Required whenever shown").check();
  await expect(page.locator(".fd-card[data-key=destination] .fd-chip")).toHaveText("Conditional");

  // The preview is the server's own rendering of the unsaved draft: the fields just added
  // are there, and "Destination" appears when Travel is picked inside the preview.
  await page.getByRole("button", { name: "Preview" }).click();
  const frame = page.frameLocator("iframe.fd-preview-frame");
  await expect(frame.getByLabel(/Reason/)).toBeVisible();
  await expect(frame.getByLabel(/Number/)).toBeVisible();
  await expect(frame.getByLabel(/Destination/)).toBeHidden();
  await frame.getByLabel(/Reason/).selectOption("travel");
  await expect(frame.getByLabel(/Destination/)).toBeVisible();
  await expect(frame.getByRole("button", { name: "Submit request" })).toBeDisabled();
  await page.getByRole("button", { name: "Back to editing" }).click();

  // A pre-filled value on the number field.
  await page.locator(".fd-card[data-key=number]").click();
  await page.getByLabel("Pre-filled value").fill("2");

  // Publish (saves first) and check what the server holds.
  await page.getByRole("button", { name: "Publish" }).click();
  await expect(page.getByText("Published as version 1")).toBeVisible();
  await expect(page.getByText("All changes saved")).toBeVisible();
  const version = await page.evaluate(async () => (await fetch("/api/v1/forms/laptop-loan/versions/1")).json());
  const destination = version.definition.fields.find((f: { key: string }) => f.key === "destination");
  expect(destination.visibleWhen).toEqual({ properties: { reason: { const: "travel" } }, required: ["reason"] });
  expect(destination.requiredWhenVisible).toBe(true);
  expect(version.definition.fields.find((f: { key: string }) => f.key === "number").default).toBe(2);
  expect(version.definition.title).toEqual({ en: "Laptop loan", "zh-CN": "笔记本借用" });

  // Version 2 renames a field; the history says so, and who published.
  await page.locator(".fd-card[data-key=destination]").click();
  await page.getByRole("textbox", { name: "Label (English)", exact: true }).fill("Where to");
  await page.getByRole("button", { name: "Publish" }).click();
  await expect(page.getByText("Published as version 2")).toBeVisible();
  await page.getByRole("button", { name: "History" }).click();
  await expect(page.locator(".fd-table tbody tr")).toHaveCount(2);
  await expect(page.locator(".fd-table tbody tr").first()).toContainText("Dana");
  await expect(page.locator(".fd-diff-summary")).toHaveText("Version 1 → Version 2: 2 change(s)");
  await expect(page.locator(".fd-diff li")).toHaveText([
    "Field “Where to”: label (English) “Destination” → “Where to”",
    "Field “Where to”: data key destination → where_to",
  ]);
  await page.getByRole("button", { name: "Back to editing" }).click();
  await page.getByLabel("Required whenever shown").uncheck();
  await page.getByRole("button", { name: "History" }).click();
  await page.getByRole("button", { name: "Draft vs latest" }).click();
  await expect(page.locator(".fd-diff")).toContainText("Field “Where to”: required whenever shown Yes →");
  await expect(page.getByText("All changes saved")).toBeVisible();

  // The portal shows the conditional field only for Travel.
  await page.goto("/portal/forms/laptop-loan");
  await expect(page.getByLabel(/Where to/)).toBeHidden();
  await page.getByLabel(/Reason/).selectOption("travel");
  await expect(page.getByLabel(/Where to/)).toBeVisible();
  expect(errors).toEqual([]);
});

test("problems point at their field and the preview follows conditions", async ({ page }) => {
  const errors = failOnConsoleErrors(page);
  await signIn(page, "designer@example.com");
  await page.goto("/builder/forms/refund");
  await expect(page.locator(".fd-card").first()).toBeVisible();

  // Break a key: Check lists the problem, clicking it selects the field.
  await page.locator(".fd-card[data-key=email]").click();
  await page.getByLabel("Data key").fill("Bad Key");
  await expect(page.getByText("Use lower-case letters")).toBeVisible();
  await page.getByRole("button", { name: "Check", exact: true }).click();
  await expect(page.locator(".fd-problems")).toContainText("/key");
  await page.locator(".fd-card[data-key=category]").click();
  await page.locator(".fd-problem-link").first().click();
  await expect(page.getByLabel("Data key")).toHaveValue("Bad Key");
  await expect(page.locator(".fd-card.has-problem")).toHaveCount(1);
  await page.getByLabel("Data key").fill("email");
  await page.getByRole("button", { name: "Check", exact: true }).click();
  await expect(page.getByText("No problems")).toBeVisible();

  // Preview: the order number shows only for refunds.
  await page.getByRole("button", { name: "Preview" }).click();
  const frame = page.frameLocator("iframe.fd-preview-frame");
  await expect(frame.getByLabel(/Category/)).toBeVisible();
  await expect(frame.getByLabel(/Order number/)).toBeHidden();
  await frame.getByLabel(/Category/).selectOption("refund");
  await expect(frame.getByLabel(/Order number/)).toBeVisible();

  // Phone width: the form inside is 390 px wide; and the form in Chinese.
  const width = () => frame.locator("body").evaluate(() => window.innerWidth);
  expect(await width()).toBeGreaterThan(700);
  await page.getByRole("button", { name: "Phone (390 px)" }).click();
  await expect.poll(width).toBe(390);
  await page.getByRole("group", { name: "Form language" }).getByRole("button", { name: "Chinese" }).click();
  await expect(frame.getByLabel(/类别/)).toBeVisible();
  await expect(frame.locator("html")).toHaveAttribute("lang", "zh-CN");
  expect(errors).toEqual([]);
});

test("a stale designer does not overwrite a newer draft", async ({ browser }) => {
  const first = await browser.newPage();
  const second = await browser.newPage();
  for (const page of [first, second]) {
    await signIn(page, "designer@example.com");
    await page.goto("/builder/forms/repair");
    await expect(page.locator(".fd-card").first()).toBeVisible();
  }
  await first.getByRole("textbox", { name: "Form title (English)", exact: true }).fill("Repair (first)");
  await first.getByRole("button", { name: "Save", exact: true }).click();
  await expect(first.getByText("All changes saved")).toBeVisible();

  await second.getByRole("textbox", { name: "Form title (English)", exact: true }).fill("Repair (second)");
  await second.getByRole("button", { name: "Save", exact: true }).click();
  await expect(second.getByRole("alert")).toContainText("Someone else changed this");
  await expect(second.getByText("Not saved", { exact: true })).toBeVisible();
  const draft = await second.evaluate(async () => (await fetch("/api/v1/forms/repair/draft")).json());
  expect(draft.title.en).toBe("Repair (first)");
});

test("keyboard only: add, select, move and delete fields", async ({ page }) => {
  const errors = failOnConsoleErrors(page);
  await signIn(page, "designer@example.com");
  await page.goto("/builder/forms");
  const csrf = await page.locator("#builder-root").getAttribute("data-csrf");
  const created = await page.evaluate(async (token) => {
    const response = await fetch("/api/v1/forms", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token ?? "" },
      body: JSON.stringify({ key: "keys", title: { en: "Keys" } }),
    });
    return response.status;
  }, csrf);
  expect(created).toBe(201);
  await page.goto("/builder/forms/keys");
  await expect(page.getByText("Not published yet")).toBeVisible();

  // Palette tiles add on Enter and Space, after the selected field.
  await page.getByRole("button", { name: "Add field: Email" }).focus();
  await page.keyboard.press("Enter");
  await page.getByRole("button", { name: "Add field: Phone" }).focus();
  await page.keyboard.press("Space");
  await page.getByRole("button", { name: "Add field: Date", exact: true }).focus();
  await page.keyboard.press("Enter");
  await expect.poll(() => cardKeys(page)).toEqual(["email", "phone", "date"]);

  // Focus a card, Enter selects it, Alt+ArrowUp moves it, Delete removes it.
  const date = page.locator(".fd-card[data-key=date]");
  await date.focus();
  await page.keyboard.press("Enter");
  await expect(date).toHaveAttribute("aria-current", "true");
  await page.keyboard.press("Alt+ArrowUp");
  await page.keyboard.press("Alt+ArrowUp");
  await expect.poll(() => cardKeys(page)).toEqual(["date", "email", "phone"]);
  await page.locator(".fd-card[data-key=phone]").focus();
  await page.keyboard.press("Delete");
  await expect.poll(() => cardKeys(page)).toEqual(["date", "email"]);

  // Ctrl+Z (outside a text box) brings it back; the draft is saved automatically.
  await page.locator(".fd-card[data-key=email]").focus();
  await page.keyboard.press("Control+z");
  await expect.poll(() => cardKeys(page)).toEqual(["date", "email", "phone"]);
  await expect(page.getByText("All changes saved")).toBeVisible();
  const draft = await page.evaluate(async () => (await fetch("/api/v1/forms/keys/draft")).json());
  expect(draft.fields.map((f: { key: string }) => f.key)).toEqual(["date", "email", "phone"]);
  expect(draft.layout).toBeUndefined();

  // Leaving right after a change saves it first.
  await page.getByRole("button", { name: "Add field: Number" }).click();
  await page.getByRole("link", { name: "All forms" }).click();
  await page.waitForURL("**/builder/forms");
  const after = await page.evaluate(async () => (await fetch("/api/v1/forms/keys/draft")).json());
  expect(after.fields).toHaveLength(4);
  expect(errors).toEqual([]);
});
