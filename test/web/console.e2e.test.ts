import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureWebBuilt } from '../../web/tools/build-web.ts';
import { type AgentProcess, freePort, startAgent } from '../e2e/helpers.ts';
import { runCoffer, type ServerProcess, startServerProcess } from '../helpers/processes.ts';
import { makePng } from '../tenancy/images.ts';
import { field, fieldError, launchChromium, screenshot, signInHost, totpCode, typeCode } from './browser.ts';

/** Waits for a value in the page (the default of one second is too short on a loaded machine). */
function until<T>(read: () => Promise<T> | T) {
  return expect.poll(read, { timeout: 15_000, interval: 100 });
}

/** Whether an image has loaded (and the CSP let it). */
async function loaded(image: Locator): Promise<boolean> {
  if ((await image.count()) === 0) return false;
  return image.evaluate((element) => {
    const img = element as unknown as { complete: boolean; naturalWidth: number };
    return img.complete && img.naturalWidth > 0;
  });
}

/**
 * The console end to end: a real `coffer server` on loopback, the built console, and
 * Debian's Chromium. The steps share one installation and run in order.
 */
describe('web console in a real browser', { timeout: 90_000 }, () => {
  let dataDir: string;
  let server: ServerProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let agent: AgentProcess | undefined;
  let httpsUrl = '';
  let publicUrl = '';
  const admin = {
    email: '',
    password: '',
    newPassword: 'a long and private passphrase 42',
    totpSecret: '',
    recoveryCodes: [] as string[],
  };
  const units = { rootId: '', northId: '', southId: '', customerId: '' };

  beforeAll(async () => {
    await ensureWebBuilt();
    dataDir = mkdtempSync(join(tmpdir(), 'coffer-web-e2e-'));
    const tlsPort = await freePort();
    publicUrl = `https://127.0.0.1:${tlsPort}`;
    server = await startServerProcess(
      {
        COFFER_DATA_DIR: dataDir,
        COFFER_PORT: '0',
        // Agents talk HTTPS only (they pin the generated certificate); the browser uses the loopback HTTP port.
        COFFER_TLS_PORT: String(tlsPort),
        // The enrolment form starts from it; the token carries it to the agent.
        COFFER_PUBLIC_URL: publicUrl,
        COFFER_LOG_LEVEL: 'warn',
        COFFER_WORKER_CONCURRENCY: '1',
      },
      60_000,
    );
    for (let i = 0; i < 600 && !/One-time password:/.test(server.output().stdout); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const stdout = server.output().stdout;
    admin.email = /User:\s+(\S+)/.exec(stdout)?.[1] ?? '';
    admin.password = /One-time password:\s+(\S+)/.exec(stdout)?.[1] ?? '';
    expect(admin.password, stdout).not.toBe('');
    httpsUrl = /HTTPS on (https:\S+)/.exec(stdout)?.[1] ?? '';
    expect(httpsUrl, stdout).not.toBe('');
    browser = await launchChromium();
    context = await browser.newContext({ baseURL: server.url, viewport: { width: 1366, height: 860 } });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') browserLog.push(message.text());
    });
    page.on('pageerror', (error) => browserLog.push(`page error: ${error.message}`));
  }, 180_000);

  // The steps build on each other: after a failure the rest stop at once instead of timing out.
  let earlierFailure = false;
  const browserLog: string[] = [];
  beforeEach((context) => {
    if (earlierFailure) throw new Error('an earlier step failed');
    context.onTestFailed(async () => {
      earlierFailure = true;
      process.stderr.write(
        `browser console:\n${browserLog.slice(-20).join('\n')}\nserver:\n${server.output().stderr.slice(-2000)}\n`,
      );
      if (page) await screenshot(page, `failed-${context.task.name.slice(0, 40).replace(/\W+/g, '-')}`).catch(() => {});
    });
  });

  afterAll(async () => {
    await agent?.stop('SIGKILL');
    await browser?.close();
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** Calls the API with this browser's session (cookie and CSRF header), as the console does. */
  async function apiCall<T>(
    method: 'GET' | 'POST',
    path: string,
    data?: unknown,
  ): Promise<{ status: number; body: T }> {
    const cookies = await context.cookies();
    const csrf = cookies.find((c) => c.name === 'coffer_csrf')?.value ?? '';
    const response = await page.request.fetch(path, {
      method,
      headers: { 'x-csrf-token': csrf, ...(data ? { 'content-type': 'application/json' } : {}) },
      ...(data ? { data: JSON.stringify(data) } : {}),
    });
    return { status: response.status(), body: (await response.json().catch(() => null)) as T };
  }

  async function signInWithPassword(email: string, password: string) {
    await field(page, 'Email').fill(email);
    await field(page, 'Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  async function signOut() {
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  }

  async function openUnit(id: string, tab?: string) {
    await page.goto(`/units/${id}${tab ? `?tab=${tab}` : ''}`);
    await page.getByTestId('unit-title').waitFor();
  }

  it('signs in with the one-time password and forces a new password', async () => {
    await page.goto('/');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await screenshot(page, '01-sign-in');

    await signInWithPassword(admin.email, 'not the password');
    await until(() => page.getByTestId('form-alert').textContent()).toContain('not correct');

    await signInWithPassword(admin.email, admin.password);
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await field(page, 'Current password').fill(admin.password);
    await field(page, 'New password').fill('short');
    await field(page, 'Repeat the new password').fill('short');
    await page.getByRole('button', { name: 'Change password' }).click();
    // The server's password policy is shown under the field it concerns.
    const newPassword = field(page, 'New password');
    await until(() => fieldError(newPassword)).toMatch(/at least \d+ characters/);
    await screenshot(page, '02-forced-password-change');

    await newPassword.fill(admin.newPassword);
    await field(page, 'Repeat the new password').fill(admin.newPassword);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByTestId('unit-title').waitFor();
    const me = await apiCall<{ principal: { scopeBuId: string } }>('GET', '/api/v1/me');
    units.rootId = me.body.principal.scopeBuId;
    expect(units.rootId).not.toBe('');
  });

  it('enrols TOTP with the QR code, shows recovery codes, then signs in with a code', async () => {
    await page.goto('/account');
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByRole('button', { name: 'Set up the authenticator app' }).click();
    await page.getByTestId('totp-qr').waitFor();
    admin.totpSecret = (await page.getByTestId('totp-secret').textContent())?.trim() ?? '';
    expect(admin.totpSecret).toMatch(/^[A-Z2-7]+=*$/);
    await screenshot(page, '03-totp-enrolment');
    await typeCode(page, 'totp-confirm-code', totpCode(admin.totpSecret));
    await page.getByTestId('recovery-codes').waitFor();
    admin.recoveryCodes = await page.getByTestId('recovery-codes').locator('li').allTextContents();
    expect(admin.recoveryCodes).toHaveLength(10);
    await screenshot(page, '04-recovery-codes');
    await page.getByRole('button', { name: 'I have stored the codes' }).click();
    await until(() => page.getByTestId('mfa-state').textContent()).toBe('on');

    await signOut();
    await signInWithPassword(admin.email, admin.newPassword);
    await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    await screenshot(page, '05-totp-challenge');
    // The enrolment used this time step's code; each step counts once, so answer with the next one.
    await typeCode(page, 'totp-code', totpCode(admin.totpSecret, 1));
    await page.getByTestId('unit-title').waitFor();
  });

  it('creates units, then moves one after reading the move preview', async () => {
    await openUnit(units.rootId, 'units');
    for (const [name, code] of [
      ['Reseller North', 'RN'],
      ['Reseller South', 'RS'],
    ] as const) {
      await openUnit(units.rootId, 'units');
      await field(page, 'Name').fill(name);
      await field(page, 'Code').fill(code);
      await page.getByRole('button', { name: 'Create unit' }).click();
      await until(() => page.getByTestId('unit-title').textContent()).toBe(name);
    }
    // Bad input: the code pattern from the OpenAPI schema is checked before sending.
    await openUnit(units.rootId, 'units');
    await field(page, 'Name').fill('Broken');
    await field(page, 'Code').fill('has spaces');
    await page.getByRole('button', { name: 'Create unit' }).click();
    await until(() => fieldError(field(page, 'Code'))).toMatch(/not allowed/);

    const children = await apiCall<{ items: { id: string; name: string }[] }>(
      'GET',
      `/api/v1/business-units/${units.rootId}/children`,
    );
    units.northId = children.body.items.find((u) => u.name === 'Reseller North')?.id ?? '';
    units.southId = children.body.items.find((u) => u.name === 'Reseller South')?.id ?? '';

    await openUnit(units.southId, 'units');
    await field(page, 'Name').fill('Customer A');
    await page.getByRole('button', { name: 'Create unit' }).click();
    await until(() => page.getByTestId('unit-title').textContent()).toBe('Customer A');
    units.customerId = new URL(page.url()).pathname.split('/').pop() ?? '';
    await until(() => page.getByRole('tree').getByText('Customer A').count()).toBe(1);
    await screenshot(page, '06-hierarchy');

    // The reseller's brand, to be inherited by the customer after the move.
    await openUnit(units.northId, 'branding');
    await field(page, 'Product name').fill('North Backup');
    await field(page, 'Primary colour').fill('#2b8a3e');
    await field(page, 'Sign-in address').fill('Backup.North.Example');
    await page.getByRole('button', { name: 'Save brand' }).click();
    await until(() => page.getByTestId('effective-brand').textContent()).toContain('North Backup');
    await until(() => page.getByTestId('sign-in-host').textContent()).toBe(signInHost);
    await page
      .locator('input[type="file"]')
      .setInputFiles({ name: 'north.png', mimeType: 'image/png', buffer: makePng(64, 64, [43, 138, 62]) });
    await until(() => loaded(page.getByRole('img', { name: 'Logo in force at Reseller North' }))).toBe(true);
    await screenshot(page, '07-branding');

    await openUnit(units.customerId, 'move');
    const picker = page.locator('input').and(page.getByLabel(/^New parent unit/));
    await picker.click();
    await picker.fill('North');
    await page.getByRole('option', { name: /Reseller North/ }).click();
    await page.getByRole('button', { name: 'Preview the move' }).click();
    const preview = page.getByTestId('move-preview');
    await until(() => preview.textContent()).toMatch(/1 unit moves from Reseller South to Reseller North/);
    await until(() => preview.textContent()).toContain('North Backup');
    await screenshot(page, '08-move-preview');
    await page.getByTestId('confirm-move').click();
    await until(() => page.getByRole('navigation', { name: 'Place in the hierarchy' }).textContent()).toContain(
      'Reseller North',
    );
    const moved = await apiCall<{ parentId: string }>('GET', `/api/v1/business-units/${units.customerId}`);
    expect(moved.body.parentId).toBe(units.northId);
  });

  it('shows inherited settings with their source, and the audit log with its integrity check', async () => {
    await openUnit(units.customerId, 'settings');
    const settings = page.getByTestId('settings-table');
    await until(() => settings.textContent()).toContain('session.lifetimeMinutes');
    expect(await settings.textContent()).toMatch(/default/);
    await screenshot(page, '09-settings');

    await page.goto(`/admin/audit?unit=${units.rootId}`);
    await until(() => page.getByTestId('audit-table').textContent()).toContain('bu.move');
    await page.getByRole('button', { name: 'Check integrity' }).click();
    await until(() => page.getByTestId('audit-verify-result').textContent()).toContain('intact');
    await screenshot(page, '10-audit-log');
    await page.keyboard.press('Escape');
  });

  it('creates an API key whose token is shown once', async () => {
    await page.goto(`/admin/api-keys?unit=${units.northId}`);
    await page.getByRole('button', { name: 'Create API key' }).click();
    const dialog = page.getByRole('dialog');
    await field(dialog, 'Name').fill('PSA integration');
    await dialog.locator('input').and(dialog.getByLabel(/^Role/)).click();
    await page.getByRole('option', { name: 'Read-only' }).click();
    await dialog.getByRole('button', { name: 'Create key' }).click();
    const token = (await page.getByTestId('api-key-token').textContent()) ?? '';
    expect(token.length).toBeGreaterThan(20);
    await screenshot(page, '11-api-key-once');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await until(() => page.getByTestId('api-keys-table').textContent()).toContain('PSA integration');
    expect(await page.getByTestId('api-keys-table').textContent()).not.toContain(token);
  });

  it('creates a user in the customer, who sees only that subtree in the reseller’s brand', async () => {
    await page.goto(`/admin/users?unit=${units.customerId}`);
    await page.getByRole('button', { name: 'Create user' }).click();
    const dialog = page.getByRole('dialog');
    await field(dialog, 'Name').fill('Carla Customer');
    await field(dialog, 'Email').fill('carla@customer-a.example');
    await dialog.locator('input').and(dialog.getByLabel(/^Role/)).click();
    await page.getByRole('option', { name: 'Administrator' }).click();
    await field(dialog, 'Password').fill('sunflower meadow quiet river');
    await dialog.getByRole('switch', { name: /Must change the password/ }).uncheck();
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await until(() => page.getByTestId('users-table').textContent()).toContain('carla@customer-a.example');
    await screenshot(page, '12-users');

    await signOut();
    await signInWithPassword('carla@customer-a.example', 'sunflower meadow quiet river');
    await page.getByTestId('unit-title').waitFor();
    await until(() => page.getByTestId('product-name').textContent()).toBe('North Backup');
    // The reseller's logo too, through the user's own brand (no unit privilege needed).
    await until(() => loaded(page.getByRole('img', { name: 'North Backup logo' }))).toBe(true);
    const tree = page.getByRole('tree');
    await until(() => tree.getByRole('treeitem').count()).toBe(1);
    expect(await tree.textContent()).toContain('Customer A');
    expect(await tree.textContent()).not.toContain('Reseller');
    await screenshot(page, '13-customer-view');
    // Outside the subtree nothing exists for this user, not even through the API.
    expect((await apiCall('GET', `/api/v1/business-units/${units.northId}`)).status).toBe(404);
    expect((await apiCall('GET', `/api/v1/business-units/${units.rootId}`)).status).toBe(404);

    // Signed out, the console's own address shows the installation's brand again.
    await signOut();
    await until(() => page.getByTestId('product-name').textContent()).toBe('Coffer');

    // Through the reseller's sign-in address the sign-in page is in the reseller's brand,
    // before anyone signs in (a fresh browser profile: nothing remembered).
    const port = new URL(server.url).port;
    const branded = await browser.newContext({ viewport: { width: 1366, height: 860 } });
    try {
      const brandedPage = await branded.newPage();
      await brandedPage.goto(`http://${signInHost}:${port}/`);
      await brandedPage.getByRole('heading', { name: 'Sign in' }).waitFor();
      await until(() => brandedPage.getByTestId('product-name').textContent()).toBe('North Backup');
      await until(() => loaded(brandedPage.getByRole('img', { name: 'North Backup logo' }))).toBe(true);
      await screenshot(brandedPage, '13b-branded-sign-in');
      await field(brandedPage, 'Email').fill('carla@customer-a.example');
      await field(brandedPage, 'Password').fill('sunflower meadow quiet river');
      await brandedPage.getByRole('button', { name: 'Sign in' }).click();
      await brandedPage.getByTestId('unit-title').waitFor();
      await until(() => brandedPage.getByTestId('product-name').textContent()).toBe('North Backup');
    } finally {
      await branded.close();
    }
  });

  it('sends an expired session back to sign-in with a message', async () => {
    await signInWithPassword('carla@customer-a.example', 'sunflower meadow quiet river');
    await page.getByTestId('unit-title').waitFor();
    await context.clearCookies();
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByTestId('session-notice').waitFor();
    expect(await page.getByTestId('session-notice').textContent()).toMatch(/session has ended/);
    await screenshot(page, '14-session-expired');
  });

  it('keeps a unit with hundreds of children usable: paged loading and a virtualised tree', async () => {
    await signInWithPassword(admin.email, admin.newPassword);
    await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    // The TOTP steps of this half minute are spent: a recovery code works once instead.
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await field(page, 'Recovery code').fill(admin.recoveryCodes[0] ?? '');
    await page.getByRole('button', { name: 'Verify' }).click();
    // Signing in again continues where the ended session was.
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    const many = 260;
    for (let i = 0; i < many; i++) {
      const created = await apiCall('POST', '/api/v1/business-units', {
        parentId: units.southId,
        name: `Branch ${String(i).padStart(3, '0')}`,
      });
      expect(created.status).toBe(201);
    }
    await openUnit(units.southId);
    const tree = page.getByRole('tree');
    await tree.getByRole('button', { name: 'Expand Reseller South' }).click();
    await until(() => tree.getByText('Branch 000').count()).toBe(1);
    // Only the rows in view are in the page, however many units are loaded.
    expect(await tree.getByRole('treeitem').count()).toBeLessThan(80);
    await tree.focus();
    // End reaches the "more" row of the first page (200); drawing it loads the next page.
    await page.keyboard.press('End');
    await until(() => tree.getByText('Branch 200').count()).toBe(1);
    await page.keyboard.press('End');
    await until(() => tree.getByText(`Branch ${String(many - 1).padStart(3, '0')}`).count()).toBe(1);
    expect(await tree.getByRole('treeitem').count()).toBeLessThan(80);
    await screenshot(page, '15-large-tree');

    await page.getByRole('searchbox', { name: 'Find a unit' }).fill('Branch 25');
    await until(() => page.getByTestId('search-result').count()).toBe(10);
    await page.getByTestId('search-result').first().click();
    await until(() => page.getByTestId('unit-title').textContent()).toBe('Branch 250');
  });

  it('adds a data source, enrols a real agent with the command shown, backs up now and restores one file', async () => {
    const source = join(dataDir, 'machine', 'srv');
    mkdirSync(join(source, 'docs'), { recursive: true });
    writeFileSync(join(source, 'docs', 'report.txt'), 'quarterly figures\n'.repeat(500));
    writeFileSync(join(source, 'notes.txt'), 'keep me\n');

    await page.goto(`/sources?unit=${units.customerId}`);
    await page.getByRole('button', { name: 'Add data source' }).click();
    const dialog = page.getByRole('dialog');
    await field(dialog, 'Host name').fill('web 01');
    await dialog.getByRole('button', { name: 'Add data source' }).click();
    // The hostname pattern comes from the OpenAPI schema.
    await until(() => fieldError(field(dialog, 'Host name'))).toMatch(/not allowed/);
    await field(dialog, 'Host name').fill('web01');
    await dialog.getByRole('textbox', { name: 'Folders to back up' }).fill(source);
    await dialog.getByRole('button', { name: 'Add data source' }).click();
    await until(() => page.getByTestId('source-status').textContent()).toBe('not enrolled');

    // Prefilled with the configured public address (COFFER_PUBLIC_URL), which is where HTTPS listens.
    expect(publicUrl).toBe(httpsUrl.replace(/\/$/, ''));
    await until(() => field(page, 'Server address for agents').inputValue()).toBe(publicUrl);
    await page.getByRole('button', { name: 'Create enrolment token' }).click();
    const command = (await page.getByTestId('enrol-command').textContent()) ?? '';
    await screenshot(page, '16-enrolment');
    const token = /--token '([^']+)'/.exec(command)?.[1] ?? '';
    expect(token).toMatch(/^cfe1\./);
    const agentDir = join(dataDir, 'agent');
    const enrolled = await runCoffer(
      ['agent', 'enroll', '--token', token, '--dir', agentDir],
      { COFFER_AGENT_HOSTNAME: 'web01' },
      60_000,
    );
    expect(enrolled.stderr).toBe('');
    agent = startAgent(agentDir);
    await until(() => page.getByTestId('source-status').textContent()).toBe('active');

    await page.getByRole('button', { name: 'Back up now' }).click();
    await page.getByTestId('jobs-table').waitFor();
    await expect
      .poll(() => page.locator('[data-testid="jobs-table"] tr[data-status="success"]').count(), { timeout: 60_000 })
      .toBe(1);
    await screenshot(page, '17-jobs');
    await page.getByRole('tab', { name: 'Snapshots' }).click();
    await until(() => page.getByTestId('snapshots-table').locator('tbody tr').count()).toBe(1);

    await page.getByRole('tab', { name: 'Restore' }).click();
    const target = join(dataDir, 'restored');
    const file = join(source, 'docs', 'report.txt');
    await page.getByRole('textbox', { name: 'Files and folders' }).fill(file);
    await field(page, 'Restore into folder').fill(target);
    await page.getByRole('button', { name: 'Start restore' }).click();
    await expect
      .poll(() => page.getByTestId('restore-status').getAttribute('data-status'), { timeout: 60_000 })
      .toBe('success');
    await screenshot(page, '18-restore');
    expect(readFileSync(join(target, file), 'utf8')).toBe(readFileSync(file, 'utf8'));
    expect(existsSync(join(target, source, 'notes.txt'))).toBe(false);

    await page.goto(`/sources?unit=${units.rootId}`);
    await until(() => page.getByTestId('source-health').first().textContent()).toMatch(/ok.*success/);
    await screenshot(page, '19-data-sources');
  });

  it('shows the consumption of a subtree with its charts', async () => {
    await page.goto(`/consumption?unit=${units.northId}`);
    await until(() => page.getByTestId('usage-figures').textContent()).toMatch(/Clients1/);
    await until(() => page.getByTestId('usage-charts').locator('svg.recharts-surface').count()).toBeGreaterThan(0);
    await screenshot(page, '20-consumption');
  });

  it('sets up a price list and a contract, then shows the billing dry run', async () => {
    await page.goto(`/billing?unit=${units.northId}&tab=subscriptions`);
    await page.getByRole('button', { name: 'New subscription' }).click();
    let dialog = page.getByRole('dialog');
    await field(dialog, 'Name').fill('North standard');
    await dialog.getByRole('button', { name: 'Create subscription' }).click();
    await page.getByRole('button', { name: 'Add product' }).click();
    dialog = page.getByRole('dialog');
    await field(dialog, 'Name').fill('Stored data');
    await field(dialog, 'Price per unit (EUR)').fill('0.05');
    await dialog.getByRole('button', { name: 'Add product' }).click();
    await until(() => page.getByTestId('subscription').textContent()).toContain('Stored data');

    await page.getByRole('tab', { name: 'Contracts' }).click();
    await page.getByRole('button', { name: 'New contract' }).click();
    dialog = page.getByRole('dialog');
    await dialog
      .locator('input')
      .and(dialog.getByLabel(/^Subscription/))
      .click();
    await page.getByRole('option', { name: /North standard/ }).click();
    const customer = dialog.locator('input').and(dialog.getByLabel(/^Customer unit/));
    await customer.click();
    await customer.fill('Customer');
    await page.getByRole('option', { name: /Customer A/ }).click();
    const monthStart = `${new Date().toISOString().slice(0, 7)}-01`;
    await field(dialog, 'Starts on').fill(monthStart);
    await dialog.getByRole('button', { name: 'Create contract' }).click();
    await until(() => page.getByTestId('contracts-table').textContent()).toContain('North standard');

    await page.getByRole('tab', { name: 'Next run (dry run)' }).click();
    const inSixWeeks = new Date(Date.now() + 42 * 86_400_000).toISOString().slice(0, 10);
    await field(page, 'Run date').fill(inSixWeeks);
    await page.getByRole('button', { name: 'Show the dry run' }).click();
    await until(() => page.getByTestId('dry-run').textContent()).toContain('Stored data');
    await screenshot(page, '21-billing-dry-run');
  });

  it('subscribes to a unit’s status reports', async () => {
    await page.goto(`/reports?unit=${units.customerId}&tab=subscriptions`);
    await page.getByRole('button', { name: 'Subscribe to reports' }).click();
    const dialog = page.getByRole('dialog');
    await dialog
      .locator('input')
      .and(dialog.getByLabel(/^How often/))
      .click();
    await page.getByRole('option', { name: 'weekly' }).click();
    await dialog.getByRole('button', { name: 'Subscribe' }).click();
    // A weekly report needs its days: the form says so before the server is asked.
    await until(() => dialog.getByRole('alert').first().textContent()).toMatch(/at least one day/);
    await dialog.getByText('Mon', { exact: true }).click();
    await dialog.getByRole('button', { name: 'Subscribe' }).click();
    await until(() => page.getByTestId('report-subscriptions').textContent()).toMatch(/weekly on mon/);
    await screenshot(page, '22-report-subscriptions');
    await page.getByRole('tab', { name: 'Status reports' }).click();
    await page.getByRole('button', { name: "Generate today's report" }).click();
    await until(() => page.getByTestId('reports-table').locator('tbody tr a').count()).toBe(1);
    await screenshot(page, '23-reports');
  });
});
