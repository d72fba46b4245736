import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Secret, TOTP } from 'otpauth';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';

/** Debian's Chromium (.ci/prepare installs it); Playwright's own browser download cannot work here. */
export const chromiumPath = process.env.COFFER_TEST_CHROMIUM ?? '/usr/bin/chromium';

const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * A unit's sign-in address in the tests: Chromium resolves it to loopback (no DNS), so the
 * console can be opened through it as through a reseller's own host name.
 */
export const signInHost = 'backup.north.example';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [...chromiumArgs, `--host-resolver-rules=MAP ${signInHost} 127.0.0.1`],
    headless: true,
    timeout: 60_000,
  });
}

/** Screenshots of the main screens, kept as test artefacts (test-results/ is not committed). */
export const screenshotDir = fileURLToPath(new URL('../../test-results/web/', import.meta.url));

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: false });
}

/** A text or password input by its exact accessible name (the label without the asterisk). */
export function field(page: Page | Locator, name: string): Locator {
  return page.getByRole('textbox', { name, exact: true });
}

/** The error message an input is described by (what a screen reader announces with it), or null. */
export async function fieldError(input: Locator): Promise<string | null> {
  const ids = ((await input.getAttribute('aria-describedby')) ?? '').split(/\s+/).filter((id) => id.endsWith('-error'));
  for (const id of ids) {
    const message = input.page().locator(`[id="${id}"]`);
    if ((await message.count()) > 0) return message.textContent();
  }
  return null;
}

/** The TOTP code of `secret` at the current time step plus `stepOffset` (the server accepts ±1 step). */
export function totpCode(secret: string, stepOffset = 0): string {
  const totp = new TOTP({ secret: Secret.fromBase32(secret.replace(/\s+/g, '')), digits: 6, period: 30 });
  return totp.generate({ timestamp: Date.now() + stepOffset * 30_000 });
}

/** Types a six-digit code into the console's code boxes. */
export async function typeCode(page: Page, testId: string, code: string): Promise<void> {
  const first = page.getByTestId(testId).locator('input').first();
  await first.click();
  await page.keyboard.type(code, { delay: 20 });
}
