import { expect, test, type Page } from "@playwright/test";
import { connect, drag, failOnConsoleErrors, node, signIn } from "./helpers";

// Issue #4's "done when": starting from the demo (`docket run`), a designer builds and
// publishes the demo refund form (builder/forms/demo/refund.json) under a new key without
// touching JSON, a process owner draws its flow (builder/flows/demo/refund-flow.json) in the
// flow designer, simulates it, binds it to the new form and publishes; requesters then fill
// the new form on the portal and their tickets follow the flow: a small refund is assigned in
// after-sales, a large one waits for the after-sales leads' approval.

test.use({ viewport: { width: 1600, height: 900 } });
test.setTimeout(180_000);

const KEY = "refund-2";
const FLOW = "refund-2-flow";

/** The inspector's English and Chinese boxes of one translatable setting. */
async function bilingual(page: Page, label: string, en: string, zh?: string) {
  await page.getByRole("textbox", { name: `${label} (English)`, exact: true }).fill(en);
  if (zh !== undefined) await page.getByRole("textbox", { name: `${label} (Chinese)`, exact: true }).fill(zh);
}

/** Show the selected field only when the category is Refund, and require it then. */
async function onlyForRefunds(page: Page) {
  await page.getByRole("button", { name: "Add a condition" }).first().click();
  const rows = page.getByRole("group", { name: "Show this field only when" });
  await rows.getByLabel("Field").selectOption("category");
  await rows.getByLabel("Operator").selectOption("equals");
  await rows.getByLabel("Value").selectOption("refund");
  await page.getByLabel("Required whenever shown").check();
}

async function buildForm(page: Page) {
  await page.goto("/builder/forms");
  await page.getByRole("button", { name: "New form" }).first().click();
  await page.getByLabel("Title (English)").fill("Refund, exchange or question");
  await page.getByLabel("Title (Chinese)").fill("退款、换货或咨询");
  await page.getByLabel("Key", { exact: true }).fill(KEY);
  await page.getByRole("button", { name: "Create and design" }).click();
  await page.waitForURL(`**/builder/forms/${KEY}`);

  // Category: a required drop-down with three options.
  await page.getByRole("button", { name: "Add field: Drop-down" }).click();
  await bilingual(page, "Label", "Category", "类别");
  await expect(page.getByLabel("Data key")).toHaveValue("category");
  await page.getByLabel("Required", { exact: true }).check();
  await page.getByLabel("Option 1 label (English)").fill("Refund");
  await page.getByLabel("Option 1 label (Chinese)").fill("退款");
  await page.getByLabel("Option 2 label (English)").fill("Exchange");
  await page.getByLabel("Option 2 label (Chinese)").fill("换货");
  await page.getByRole("button", { name: "Add an option" }).click();
  await page.getByLabel("Option 3 label (English)").fill("Question");
  await page.getByLabel("Option 3 label (Chinese)").fill("咨询");
  await expect(page.getByLabel("Option 1 value")).toHaveValue("refund");
  await expect(page.getByLabel("Option 3 value")).toHaveValue("question");

  // Order number: a pattern, help text, only for refunds.
  await page.getByRole("button", { name: "Add field: Short text" }).click();
  await bilingual(page, "Label", "Order number", "订单号");
  await page.getByLabel("Data key").fill("order_id");
  await bilingual(page, "Help text", "Shown in your order confirmation email.", "可在订单确认邮件中找到。");
  await page.getByLabel("Pattern (regular expression)").fill("^OD[0-9]{8}$");
  await onlyForRefunds(page);

  // Amount: at least 0.01, only for refunds.
  await page.getByRole("button", { name: "Add field: Number" }).click();
  await bilingual(page, "Label", "Amount to refund", "退款金额");
  await page.getByLabel("Data key").fill("amount");
  await page.getByLabel("Smallest value").fill("0.01");
  await onlyForRefunds(page);

  // Description.
  await page.getByRole("button", { name: "Add field: Long text" }).click();
  await bilingual(page, "Label", "Description", "问题描述");
  await page.getByLabel("Required", { exact: true }).check();

  // The first section gets its title; a second section holds the contact fields.
  await page.locator(".fd-section-title").first().click();
  await bilingual(page, "Section title", "Your request", "您的请求");
  await page.getByRole("button", { name: "Add a section" }).click();
  await expect(page.locator(".fd-section")).toHaveCount(2);
  await page.locator(".fd-section-title").nth(1).click();
  await bilingual(page, "Section title", "Contact", "联系方式");
  await page.getByRole("button", { name: "Add field: Email" }).click();
  await bilingual(page, "Label", "Email for our answer", "接收回复的电子邮箱");
  await page.getByLabel("Data key").fill("email");
  await page.getByLabel("Required", { exact: true }).check();
  await page.getByRole("button", { name: "Add field: Checkbox" }).click();
  await bilingual(page, "Label", "I confirm the information is correct", "我确认以上信息真实无误");
  await page.getByLabel("Data key").fill("confirm");
  await page.getByLabel("Must be ticked").check();

  await page.getByRole("button", { name: "Publish" }).click();
  await expect(page.getByText("Published as version 1")).toBeVisible();

  // What was published is the demo refund form's shape, built by clicking only.
  const version = await (await page.request.get(`/api/v1/forms/${KEY}/versions/1`)).json();
  const definition = version.definition;
  const byKey = Object.fromEntries(definition.fields.map((f: { key: string }) => [f.key, f]));
  expect(Object.keys(byKey)).toEqual(["category", "order_id", "amount", "description", "email", "confirm"]);
  expect(byKey.category.options.map((o: { value: string }) => o.value)).toEqual(["refund", "exchange", "question"]);
  expect(byKey.category.label).toEqual({ en: "Category", "zh-CN": "类别" });
  expect(byKey.order_id.validate.pattern).toBe("^OD[0-9]{8}$");
  expect(byKey.order_id.help.en).toBe("Shown in your order confirmation email.");
  for (const key of ["order_id", "amount"]) {
    expect(byKey[key].visibleWhen).toEqual({ properties: { category: { const: "refund" } }, required: ["category"] });
    expect(byKey[key].requiredWhenVisible).toBe(true);
  }
  expect(byKey.amount.validate.min).toBe(0.01);
  expect(definition.title).toEqual({ en: "Refund, exchange or question", "zh-CN": "退款、换货或咨询" });
  expect(definition.layout.map((s: { title: unknown }) => s.title)).toEqual([
    { en: "Your request", "zh-CN": "您的请求" },
    { en: "Contact", "zh-CN": "联系方式" },
  ]);
  expect(definition.layout[1].children.map((id: string) => byKey.email.id === id || byKey.confirm.id === id)).toEqual([true, true]);
}

async function buildFlow(page: Page) {
  await page.goto("/builder/flows");
  await page.getByRole("button", { name: "New flow" }).click();
  await page.getByLabel("Title").fill("Refund handling");
  await page.getByLabel("Key").fill(FLOW);
  await page.getByRole("button", { name: "Create" }).click();
  await page.waitForURL(`**/builder/flows/${FLOW}`);
  await expect(page.getByTestId("save-status")).toHaveText(/Saved/);
  const panel = page.locator(".fd-panel");

  // Start from the new form; the placeholder end goes.
  await node(page, "start").click();
  await panel.getByLabel("Starts when").selectOption("form.submitted");
  await panel.getByLabel("Form", { exact: true }).selectOption(KEY);
  await node(page, "end").click();
  await panel.getByRole("button", { name: "Delete" }).click();

  for (let i = 0; i < 3; i += 1) await page.getByRole("button", { name: "Zoom Out" }).click();
  const canvas = (await page.locator(".fd-canvas").boundingBox())!;
  const at = (fx: number, fy: number) => ({ x: canvas.x + canvas.width * fx, y: canvas.y + canvas.height * fy });
  await drag(page, node(page, "start"), at(0.04, 0.5));
  const palette = (type: string) => page.locator(`.fd-palette-item[data-type="${type}"]`);
  await drag(page, palette("exclusive"), at(0.24, 0.5));
  await drag(page, palette("approval"), at(0.46, 0.15));
  await drag(page, palette("assign"), at(0.44, 0.85));
  await drag(page, palette("user_task"), at(0.68, 0.85));
  await drag(page, palette("end"), at(0.9, 0.5));
  await drag(page, palette("end"), at(0.75, 0.12));
  for (const id of ["exclusive1", "approval1", "assign1", "user_task1", "end1", "end2"]) {
    await expect(node(page, id)).toBeVisible();
  }

  // The first arrow out of the branch is its default (the queue).
  await connect(page, "start", "exclusive1");
  await connect(page, "exclusive1", "assign1");
  await connect(page, "exclusive1", "approval1");
  await connect(page, "approval1", "end1", "approved");
  await connect(page, "approval1", "end2", "rejected");
  await connect(page, "assign1", "user_task1");
  await connect(page, "user_task1", "end1");
  await expect(page.locator(".react-flow__edge")).toHaveCount(7);

  // Approval by the after-sales team leads, all of them (会签).
  await node(page, "approval1").click();
  await panel.getByRole("button", { name: "Add approvers" }).click();
  await panel.getByLabel("Who").selectOption("team");
  await panel.getByLabel("Team").selectOption("after-sales");
  await panel.getByLabel("leads only").check();
  await panel.getByLabel("Decision").selectOption("all");

  // Round robin in after-sales, then an agent's task.
  await node(page, "assign1").click();
  await panel.getByLabel("Assign to").selectOption("round_robin");
  await panel.getByLabel("Team").selectOption("after-sales");
  await node(page, "user_task1").click();
  await bilingual(page, "Task title", "Handle the refund", "处理退款");
  await node(page, "end2").click();
  await panel.getByLabel("Outcome").selectOption("rejected");

  // amount > 1000 goes to the leads.
  await node(page, "exclusive1").click();
  await panel.getByRole("button", { name: /approval1/ }).click();
  await panel.getByRole("button", { name: /Add a condition/ }).click();
  await panel.getByLabel("Field", { exact: true }).selectOption("amount");
  await panel.getByLabel("Operator").selectOption("gt");
  await panel.getByLabel("Value", { exact: true }).fill("1000");
  await expect(page.locator(".react-flow__edge.is-default")).toHaveCount(1);
  await expect(page.getByTestId("save-status")).toHaveText(/Saved/);
  await expect(page.getByTestId("problem-count")).toHaveText(/Ready to publish/);

  // Simulate both ways.
  await page.getByRole("button", { name: /Simulate/ }).click();
  await page.locator("#sim-amount").fill("2500");
  await page.getByRole("button", { name: "Run simulation" }).click();
  await expect(node(page, "approval1").locator(".fd-node")).toHaveClass(/sim-on/);
  await expect(node(page, "exclusive1").locator(".fd-node-reason")).toContainText(/amount/);
  await page.locator("#sim-amount").fill("200");
  await page.getByRole("button", { name: "Run simulation" }).click();
  await expect(node(page, "assign1").locator(".fd-node")).toHaveClass(/sim-on/);
  await expect(node(page, "user_task1").locator(".fd-node")).toHaveClass(/sim-on/);
  await expect(node(page, "approval1").locator(".fd-node")).toHaveClass(/sim-off/);

  // Publish: new tickets of the new form follow it.
  await page.getByRole("button", { name: "Publish", exact: true }).click();
  await expect(page.locator(".fd-toast")).toContainText("Published version 1");
  await expect(page.locator(".fd-toast")).toContainText(KEY);
  const stored = await (await page.request.get(`/api/v1/flows/${FLOW}/versions/1`)).json();
  const approval = stored.definition.nodes.find((n: { id: string }) => n.id === "approval1");
  expect(approval.data).toMatchObject({ mode: "all", approvers: [{ kind: "team", team: "after-sales", leads: true }] });
}

/** Fill the new form on the portal as the requester; the new ticket's number. */
async function request(page: Page, amount: string): Promise<number> {
  await page.goto(`/portal/forms/${KEY}`);
  await expect(page.getByRole("heading", { name: "Your request" })).toBeVisible();
  await expect(page.getByLabel(/Order number/)).toBeHidden();
  await page.getByLabel(/Category/).selectOption("refund");
  await page.getByLabel(/Order number/).fill("OD12345678");
  await page.getByLabel(/Amount to refund/).fill(amount);
  await page.getByLabel(/Description/).fill("The blender arrived broken.");
  await page.getByLabel(/Email for our answer/).fill("requester@example.com");
  await page.getByLabel(/I confirm the information is correct/).check();
  await page.getByRole("button", { name: /submit|send/i }).click();
  await page.waitForURL(/\/portal\/tickets\/\d+/);
  return Number(/\/portal\/tickets\/(\d+)/.exec(page.url())![1]);
}

test("a designer builds the refund form, a process owner its flow; tickets follow it", async ({ page, browser }) => {
  const errors = failOnConsoleErrors(page);
  await signIn(page, "designer@example.com");
  await buildForm(page);
  await buildFlow(page);

  // The forms list shows where the new form is used.
  await page.goto("/builder/forms");
  const row = page.locator(`.fl-item[data-form="${KEY}"]`);
  await expect(row).toContainText("Published v1");
  await expect(row.locator(".fl-flow-link")).toContainText("Refund handling");
  await expect(row.locator(".fl-flow-link")).toHaveAttribute("href", `/builder/flows/${FLOW}`);
  await expect(row).toContainText("No open tickets");
  expect(errors).toEqual([]);

  // Requesters: a small refund and a large one.
  const requester = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const portal = await requester.newPage();
  const portalErrors = failOnConsoleErrors(portal);
  await signIn(portal, "requester@example.com");
  const small = await request(portal, "200");
  const large = await request(portal, "2500");
  expect(large).toBeGreaterThan(small);
  expect(portalErrors).toEqual([]);
  await requester.close();

  // The small one is assigned in after-sales; the large one waits for the leads.
  const agent = await browser.newContext();
  const agentPage = await agent.newPage();
  await signIn(agentPage, "agent1@example.com");
  await expect.poll(async () => {
    const page1 = await (await agentPage.request.get(`/api/v1/tickets?form=${KEY}&team=after-sales`)).json();
    return (page1.items ?? page1).map((ticket: { number: number }) => ticket.number);
  }).toContain(small);
  await expect.poll(async () => {
    const tasks = await (await agentPage.request.get("/api/v1/tasks")).json();
    return tasks.some((task: { node: string; kind: string; ticket: { number: number } }) =>
      task.ticket.number === large && task.node === "approval1" && task.kind === "approval");
  }).toBe(true);
  await agent.close();

  // ... and the list counts them on version 1.
  await page.reload();
  await expect(row.locator('[data-version="1"]')).toHaveText("v1: 2 open");
});

test("the forms list duplicates a form and shows where forms are used", async ({ page }) => {
  const errors = failOnConsoleErrors(page);
  await signIn(page, "designer@example.com");
  await page.goto("/builder/forms");
  // the repair form: the flows spec rebinds the refund form when the specs share a server
  await expect(page.locator('.fl-item[data-form="repair"]').locator(".fl-flow-link"))
    .toHaveAttribute("href", "/builder/flows/repair-flow");
  const refund = page.locator('.fl-item[data-form="refund"]');
  await refund.getByRole("button", { name: /^Duplicate/ }).click();
  const dialog = page.getByRole("form", { name: /Duplicate/ });
  await expect(dialog.getByLabel("Key", { exact: true })).toHaveValue("refund-copy");
  await expect(dialog.getByLabel("Title (English)")).toHaveValue(/\(copy\)$/);
  // A taken key is refused with a clear message; a free one makes the copy.
  await dialog.getByLabel("Key", { exact: true }).fill("repair");
  await dialog.getByRole("button", { name: "Duplicate" }).click();
  await expect(dialog.getByRole("alert")).toContainText("repair exists already");
  await dialog.getByLabel("Key", { exact: true }).fill("refund-copy");
  await dialog.getByRole("button", { name: "Duplicate" }).click();
  await expect(page.getByRole("status")).toContainText("refund-copy");
  const copy = page.locator('.fl-item[data-form="refund-copy"]');
  await expect(copy).toContainText("Draft, not published");
  await expect(copy).toContainText("No flow");
  const draft = await (await page.request.get("/api/v1/forms/refund-copy/draft")).json();
  const source = await (await page.request.get("/api/v1/forms/refund/draft")).json();
  expect(draft.fields).toEqual(source.fields);
  // the browser itself logs the refused request (409); nothing else may complain
  expect(errors.filter((text) => !text.includes("status of 409"))).toEqual([]);
});
