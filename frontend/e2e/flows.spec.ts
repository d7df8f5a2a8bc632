import { expect, test } from "@playwright/test";
import { connect, drag, failOnConsoleErrors, node, signIn } from "./helpers";

// A process owner draws a refund flow from scratch (large amounts -> both after-sales leads
// approve; the rest -> round robin in after-sales), simulates it, publishes it; a requester's
// large refund then follows the new flow: its approval task sits with the leads.

test.use({ viewport: { width: 1600, height: 900 } });

test("draw, simulate and publish a refund flow; a large refund then needs the leads", async ({ page, browser }, testInfo) => {
  const key = testInfo.retry ? `big-refunds-${testInfo.retry}` : "big-refunds";  // a retry's own flow
  const errors = failOnConsoleErrors(page);
  await signIn(page, "designer@example.com");

  // The list: create a flow.
  await page.goto("/builder/flows");
  await expect(page.getByRole("row", { name: /refund-flow/ })).toContainText("refund");
  await page.getByRole("button", { name: "New flow" }).click();
  await page.getByLabel("Title").fill("Big refunds");
  await page.getByLabel("Key").fill(key);
  await page.getByRole("button", { name: "Create" }).click();
  await page.waitForURL(`**/builder/flows/${key}`);
  await expect(page.getByTestId("save-status")).toHaveText(/Saved/);
  const panel = page.locator(".fd-panel");

  // Start from the refund form; drop the placeholder end.
  await node(page, "start").click();
  await panel.getByLabel("Starts when").selectOption("form.submitted");
  await panel.getByLabel("Form", { exact: true }).selectOption("refund");
  await node(page, "end").click();
  await panel.getByRole("button", { name: "Delete" }).click();
  await expect(node(page, "end")).toHaveCount(0);

  // Drag steps from the palette onto the canvas (zoomed out a little for room).
  await page.getByRole("button", { name: "Zoom Out" }).click();
  await page.getByRole("button", { name: "Zoom Out" }).click();
  const canvas = (await page.locator(".fd-canvas").boundingBox())!;
  const at = (fx: number, fy: number) => ({ x: canvas.x + canvas.width * fx, y: canvas.y + canvas.height * fy });
  await drag(page, node(page, "start"), at(0.08, 0.5));
  const palette = (type: string) => page.locator(`.fd-palette-item[data-type="${type}"]`);
  await drag(page, palette("exclusive"), at(0.3, 0.5));
  await drag(page, palette("approval"), at(0.55, 0.2));
  await drag(page, palette("assign"), at(0.55, 0.8));
  await drag(page, palette("end"), at(0.85, 0.55));
  await drag(page, palette("end"), at(0.85, 0.15));
  for (const id of ["exclusive1", "approval1", "assign1", "end1", "end2"]) {
    await expect(node(page, id)).toBeVisible();
  }

  // Connect them; the first arrow out of a branch is its default.
  await connect(page, "start", "exclusive1");
  await connect(page, "exclusive1", "assign1");
  await connect(page, "exclusive1", "approval1");
  await connect(page, "approval1", "end1", "approved");
  await connect(page, "approval1", "end2", "rejected");
  await connect(page, "assign1", "end1");
  await expect(page.locator(".react-flow__edge")).toHaveCount(6);

  // Approval: the after-sales team leads, all must approve (会签), due in 2 days.
  await node(page, "approval1").click();
  await panel.getByRole("button", { name: "Add approvers" }).click();
  await panel.getByLabel("Who").selectOption("team");
  await panel.getByLabel("Team").selectOption("after-sales");
  await panel.getByLabel("leads only").check();
  await panel.getByLabel("Decision").selectOption("all");
  await panel.getByLabel("Due within", { exact: true }).fill("2");

  // Round robin in after-sales.
  await node(page, "assign1").click();
  await panel.getByLabel("Assign to").selectOption("round_robin");
  await panel.getByLabel("Team").selectOption("after-sales");

  // The rejected end.
  await node(page, "end2").click();
  await panel.getByLabel("Outcome").selectOption("rejected");

  // The branch: amount > 1000 goes to the approval; the default arrow is marked.
  await node(page, "exclusive1").click();
  await expect(panel.locator(".fd-outgoing")).toContainText("otherwise");
  await panel.getByRole("button", { name: /approval1/ }).click();
  await panel.getByRole("button", { name: /Add a condition/ }).click();
  await panel.getByLabel("Field", { exact: true }).selectOption("amount");
  await panel.getByLabel("Operator").selectOption("gt");
  await panel.getByLabel("Value", { exact: true }).fill("1000");
  await expect(page.locator(".react-flow__edge.is-default")).toHaveCount(1);

  // Saved and valid.
  await expect(page.getByTestId("save-status")).toHaveText(/Saved/);
  await expect(page.getByTestId("problem-count")).toHaveText(/Ready to publish/);

  // Simulate a large refund: the path lights up and the branch says why.
  await page.getByRole("button", { name: /Simulate/ }).click();
  await page.locator("#sim-amount").fill("2500");
  await page.getByRole("button", { name: "Run simulation" }).click();
  const result = page.locator(".fd-sim-result");
  await expect(result).toContainText("Outcome: Resolved");
  await expect(result).toContainText(/amount/);
  await expect(node(page, "approval1").locator(".fd-node")).toHaveClass(/sim-on/);
  await expect(node(page, "assign1").locator(".fd-node")).toHaveClass(/sim-off/);
  await expect(node(page, "exclusive1").locator(".fd-node-reason")).toContainText(/amount/);
  // ... and a small one takes the default arrow.
  await page.locator("#sim-amount").fill("20");
  await page.getByRole("button", { name: "Run simulation" }).click();
  await expect(node(page, "assign1").locator(".fd-node")).toHaveClass(/sim-on/);
  await expect(node(page, "approval1").locator(".fd-node")).toHaveClass(/sim-off/);

  // Publish: the refund form's new tickets now follow this flow.
  await page.getByRole("button", { name: "Publish", exact: true }).click();
  await expect(page.locator(".fd-toast")).toContainText("Published version 1");
  // (the flow it replaces for that form: the demo's, unless an earlier try published one)
  if (!testInfo.retry) await expect(page.locator(".fd-toast")).toContainText("refund-flow");
  expect(errors).toEqual([]);

  // The stored draft is React Flow's shape, positions included.
  const draft = await page.request.get(`/api/v1/flows/${key}/draft`);
  const stored = await draft.json();
  expect(stored.nodes.map((n: { id: string }) => n.id).sort()).toEqual(
    ["approval1", "assign1", "end1", "end2", "exclusive1", "start"]);
  for (const n of stored.nodes) expect(Object.keys(n).sort()).toEqual(["data", "id", "position", "type"]);
  const approval = stored.nodes.find((n: { id: string }) => n.id === "approval1");
  expect(approval.data).toMatchObject({ mode: "all", due: "P2D", approvers: [{ kind: "team", team: "after-sales", leads: true }] });

  // A requester's large refund follows the new flow.
  const requester = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const portal = await requester.newPage();
  const portalErrors = failOnConsoleErrors(portal);
  await signIn(portal, "requester@example.com");
  await portal.goto("/portal/forms/refund");
  await portal.getByLabel("Category").selectOption({ index: 1 });
  await portal.getByLabel("Order number").fill("OD12345678");
  await portal.getByLabel("Amount to refund").fill("2500");
  await portal.getByLabel("Description").fill("The blender arrived broken.");
  await portal.getByLabel("Email for our answer").fill("requester@example.com");
  await portal.getByLabel("I confirm the information is correct").check();
  await portal.getByRole("button", { name: /submit|send/i }).click();
  await portal.waitForURL(/\/portal\/tickets\/\d+/);
  const number = Number(/\/portal\/tickets\/(\d+)/.exec(portal.url())![1]);
  expect(portalErrors).toEqual([]);
  await requester.close();

  // The after-sales lead holds the approval task of the new flow's approval step.
  const agent = await browser.newContext();
  const agentPage = await agent.newPage();
  await signIn(agentPage, "agent1@example.com");
  await expect.poll(async () => {
    const tasks = await (await agentPage.request.get("/api/v1/tasks")).json();
    return tasks.some((task: { node: string; kind: string; ticket: { number: number } }) =>
      task.ticket.number === number && task.node === "approval1" && task.kind === "approval");
  }).toBe(true);
  await agent.close();
});

test("the list searches, duplicates and archives", async ({ page }) => {
  const errors = failOnConsoleErrors(page);
  await signIn(page, "designer@example.com");
  await page.goto("/builder/flows");
  await page.getByLabel("Search flows").fill("repair");
  await expect(page.locator("tbody tr")).toHaveCount(1);
  await page.getByLabel("Search flows").fill("");
  const repair = page.getByRole("row", { name: /repair-flow/ });
  await repair.getByRole("button", { name: "Duplicate" }).click();
  await expect(page.getByLabel("Key")).toHaveValue("repair-flow-copy");
  await page.getByRole("form").getByRole("button", { name: "Duplicate" }).click();
  await expect(page.getByRole("status")).toContainText("repair-flow-copy");
  const copy = page.getByRole("row", { name: /repair-flow-copy/ });
  await expect(copy).toContainText("Not published");
  page.once("dialog", (dialog) => void dialog.accept());
  await copy.getByRole("button", { name: "Archive" }).click();
  await expect(page.getByRole("row", { name: /repair-flow-copy/ })).toHaveCount(0);
  await page.getByLabel("Show archived").check();
  await expect(page.getByRole("row", { name: /repair-flow-copy/ })).toContainText("Archived");
  expect(errors).toEqual([]);
});

test("without dragging: add a step from the keyboard, draw arrows from the panel", async ({ page }) => {
  const errors = failOnConsoleErrors(page);
  await signIn(page, "designer@example.com");
  await page.goto("/builder/flows");
  await page.getByRole("button", { name: "New flow" }).click();
  await page.getByLabel("Title").fill("Keyboard flow");
  await page.getByLabel("Key").fill("keyboard-flow");
  await page.keyboard.press("Enter");
  await page.waitForURL("**/builder/flows/keyboard-flow");
  await expect(page.getByTestId("save-status")).toHaveText(/Saved/);
  await page.locator('.fd-palette-item[data-type="wait"]').focus();
  await page.keyboard.press("Enter");
  await expect(page.locator(".fd-toast")).toContainText("wait1");
  const panel = page.locator(".fd-panel");
  await expect(panel).toContainText("wait1");
  await panel.getByLabel("Arrow to…").selectOption("end");
  await panel.getByRole("button", { name: "Add arrow" }).click();
  await node(page, "start").click();
  await panel.getByLabel("Arrow to…").selectOption("wait1");
  await panel.getByRole("button", { name: "Add arrow" }).click();
  await expect(page.locator(".react-flow__edge")).toHaveCount(3);
  // start -> end is now one too many: select it from the list and delete it.
  await panel.getByRole("button", { name: /→ end/ }).click();
  await panel.getByRole("button", { name: "Delete" }).click();
  await expect(page.locator(".react-flow__edge")).toHaveCount(2);
  await expect(page.getByTestId("save-status")).toHaveText(/Saved/);
  await expect(page.getByTestId("problem-count")).toHaveText(/Ready to publish/);
  const stored = await (await page.request.get("/api/v1/flows/keyboard-flow/draft")).json();
  expect(stored.edges.map((e: { source: string; target: string }) => `${e.source}>${e.target}`).sort())
    .toEqual(["start>wait1", "wait1>end"]);
  // Renaming the flow and editing the draft afterwards do not trip over each other.
  await page.getByTestId("problem-count").click();
  await panel.getByLabel("Flow title (English)").fill("Keyboard flow, renamed");
  await expect(page.locator(".fd-toast")).toContainText("Title saved.");
  await expect(page.locator(".fd-title h1")).toHaveText("Keyboard flow, renamed");
  await page.locator('.fd-palette-item[data-type="end"]').click();
  await expect.poll(async () => {
    const renamed = await (await page.request.get("/api/v1/flows/keyboard-flow/draft")).json();
    return renamed.nodes.map((n: { id: string }) => n.id);
  }).toContain("end1");
  await expect(page.getByTestId("save-status")).toHaveText(/Saved/);
  // Undo takes the step away again (and saves that); redo brings it back.
  await page.getByRole("button", { name: "Undo" }).click();
  await expect(node(page, "end1")).toHaveCount(0);
  await expect.poll(async () => {
    const undone = await (await page.request.get("/api/v1/flows/keyboard-flow/draft")).json();
    return undone.nodes.map((n: { id: string }) => n.id);
  }).not.toContain("end1");
  await page.keyboard.press("Control+Shift+Z");
  await expect(node(page, "end1")).toHaveCount(1);
  expect(errors).toEqual([]);
});
