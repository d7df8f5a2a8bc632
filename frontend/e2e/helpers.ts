import type { Locator, Page } from "@playwright/test";

/** Sign in as one of the demo users (password docket-demo) and wait for the landing page. */
export async function signIn(page: Page, email: string): Promise<void> {
  await page.goto("/login");
  await page.getByLabel(/email/i).fill(email);
  await page.getByLabel(/password/i).fill("docket-demo");
  await page.getByRole("button", { name: /sign in/i }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/login"));
}

/** Fail the test on any console error or uncaught exception in the page. */
export function failOnConsoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(msg.text());
  });
  page.on("pageerror", (err) => errors.push(String(err)));
  return errors;
}

// --- the flow designer's canvas (React Flow) -------------------------------------------------

/** Drag like a person: hover, press, move in steps, release (xyflow's own tests do this). */
export async function drag(page: Page, from: Locator, to: { x: number; y: number }): Promise<void> {
  await from.hover();
  await page.mouse.down();
  await page.mouse.move(to.x, to.y, { steps: 10 });
  await page.mouse.up();
}

/** The middle of a visible element, in page coordinates. */
export async function center(locator: Locator): Promise<{ x: number; y: number }> {
  const box = await locator.boundingBox();
  if (!box) throw new Error("not visible");
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** The canvas node with this step id. */
export function node(page: Page, id: string): Locator {
  return page.locator(`.react-flow__node[data-id="${id}"]`);
}

/** Draw an arrow by dragging from a node's output (a named one: approved, rejected ...) to a node's input. */
export async function connect(page: Page, source: string, target: string, handle?: string): Promise<void> {
  const from = node(page, source).locator(
    handle ? `.react-flow__handle.source[data-handleid="${handle}"]` : ".react-flow__handle.source",
  );
  await drag(page, from, await center(node(page, target).locator(".react-flow__handle.target")));
}
