import { expect, test } from "@playwright/test";
import { failOnConsoleErrors, signIn } from "./helpers";

test("designers reach both designers", async ({ page }) => {
  const errors = failOnConsoleErrors(page);
  await signIn(page, "designer@example.com");
  for (const path of ["/builder/forms", "/builder/flows"]) {
    await page.goto(path);
    await expect(page.locator("#builder-root")).not.toBeEmpty();
  }
  expect(errors).toEqual([]);
});
