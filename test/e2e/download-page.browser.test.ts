/**
 * The backup link as an owner lives it, in headless Chromium against the local stack: ask for a
 * backup over HTTP, let the stack's poller run the worker, open the link from the captured email,
 * type the password, receive the ZIP, and open it with 7-Zip to find the organization's data.
 * A screenshot of the page is kept in a temp dir for a look. Then the report link of a data
 * subject request as the subject lives it, on the same stack: no script, the strict CSP, a code
 * asked for and read from the mail, typed in, and the ZIP of their data received.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { startLocalStack, type LocalStack } from '../../infra/local/local-stack.ts';

const run = promisify(execFile);
const PASSWORD = 'browsers type this 12+';
let stack: LocalStack;
let browser: Browser;
let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'custos-browser-'));
  stack = await startLocalStack({
    port: 0,
    dataDir: join(workDir, 'data'),
    fresh: true,
    quiet: true,
    schedulers: false,
  });
  // launch() gives the browser a fresh temporary profile (user data dir) of its own every time.
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await rm(workDir, { recursive: true, force: true });
}, 30_000);

async function api<T>(method: string, path: string, token: string | undefined, body?: unknown): Promise<T> {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}`);
  return (await response.json()) as T;
}

/** The newest mail to `to` that `pick` finds something in. */
async function fromMail<T>(
  to: string,
  pick: (mail: { subject: string; links: string[] }) => T | undefined,
): Promise<T> {
  return until(async () => {
    const { items } = await api<{ items: { to: string[]; subject: string; links: string[] }[] }>(
      'GET',
      '/dev/mail',
      undefined,
    );
    return items
      .filter((m) => m.to.includes(to))
      .map(pick)
      .filter((found) => found !== undefined)
      .at(-1);
  });
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('Timed out');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

test('open the emailed link, type the password, get the ZIP and find the organization in it', async () => {
  // Prepare: an organization with a job, and a backup built by the stack's own worker.
  const email = 'olga@example.com';
  const { access_token: token } = await api<{ access_token: string }>('POST', '/dev/token', undefined, {
    sub: 'olga',
    email,
  });
  const { orgId } = await api<{ orgId: string }>('POST', '/v1/orgs', token, { name: 'Acme Widgets GmbH' });
  const { orchestrationId } = await api<{ orchestrationId: string }>(
    'POST',
    `/v1/orgs/${orgId}/orchestrations`,
    token,
    {
      name: 'Repairs',
      stages: ['new', 'done'],
      fields: [
        {
          id: 'customer',
          label: 'Customer email',
          type: 'email',
          personal: true,
          encrypted: true,
          subject: true,
        },
      ],
    },
  );
  await api('POST', `/v1/orgs/${orgId}/orchestrations/${orchestrationId}/jobs`, token, {
    fields: { customer: 'kunde@example.com' },
  });
  const { backupId } = await api<{ backupId: string }>('POST', `/v1/orgs/${orgId}/backups`, token, {
    password: PASSWORD,
  });
  const link = await until(async () => {
    const { items } = await api<{ items: { to: string[]; links: string[] }[] }>(
      'GET',
      '/dev/mail',
      undefined,
    );
    return items
      .find((m) => m.to.includes(email))
      ?.links.find((l) => l.includes(`/v1/backups/${backupId}/download?token=`));
  });

  // Act: the owner opens the link and types the password.
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  const response = await page.goto(link);
  expect(response?.status()).toBe(200);
  await expect(page.title()).resolves.toContain('Acme Widgets GmbH');
  const screenshot = join(workDir, 'download-page.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  await page.getByLabel('Backup password').fill(PASSWORD);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download the backup' }).click(),
  ]);
  const zipPath = join(workDir, 'backup.zip');
  await download.saveAs(zipPath);
  await context.close();

  // Assess: a real PNG of the page; the ZIP opens with the password and holds the organization.
  const png = await readFile(screenshot);
  expect((await stat(screenshot)).size).toBeGreaterThan(1000);
  expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  // The attachment name (response-content-disposition) is S3's to honour; the emulator names it by key.
  expect(download.suggestedFilename()).toMatch(/\.zip$/);
  const out = join(workDir, 'out');
  await run('7z', ['x', `-p${PASSWORD}`, `-o${out}`, zipPath]);
  expect(JSON.parse(await readFile(join(out, 'organization.json'), 'utf8'))).toMatchObject({
    orgId,
    name: 'Acme Widgets GmbH',
  });
  expect(await readFile(join(out, 'jobs', `${orchestrationId}.jsonl`), 'utf8')).toContain(
    'kunde@example.com',
  );
  if (process.env.KEEP_SCREENSHOT !== undefined) await run('cp', [screenshot, process.env.KEEP_SCREENSHOT]);
}, 120_000);

test('the subject opens the report link: no script, a strict CSP, a code from the mail, the ZIP of their data', async () => {
  // Prepare: a job about the subject, and their access request verified and fulfilled by the owner.
  const subject = 'petra@example.org';
  const codeOf = (mail: { subject: string }) => /(\d{6})$/.exec(mail.subject)?.[1];
  const { access_token: token } = await api<{ access_token: string }>('POST', '/dev/token', undefined, {
    sub: 'ines',
    email: 'ines@example.com',
  });
  const { orgId } = await api<{ orgId: string }>('POST', '/v1/orgs', token, { name: 'Bakery Brot & Co' });
  const { orchestrationId } = await api<{ orchestrationId: string }>(
    'POST',
    `/v1/orgs/${orgId}/orchestrations`,
    token,
    {
      name: 'Orders',
      stages: ['new', 'done'],
      fields: [
        { id: 'customer', label: 'Customer', type: 'email', personal: true, encrypted: true, subject: true },
      ],
    },
  );
  const { jobId } = await api<{ jobId: string }>(
    'POST',
    `/v1/orgs/${orgId}/orchestrations/${orchestrationId}/jobs`,
    token,
    { fields: { customer: subject } },
  );
  const { requestId } = await api<{ requestId: string }>('POST', `/v1/orgs/${orgId}/requests`, undefined, {
    type: 'access',
    email: subject,
  });
  await api('POST', `/v1/requests/${requestId}/verify`, undefined, { code: await fromMail(subject, codeOf) });
  await api('POST', `/v1/orgs/${orgId}/requests/${requestId}/fulfil`, token, {});
  const link = await fromMail(subject, (m) =>
    m.links.find((l) => l.includes(`/v1/requests/${requestId}/report?token=`)),
  );

  // Act: the subject opens the link, has a code sent, types it in.
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  const response = await page.goto(link);
  const csp = response?.headers()['content-security-policy'] ?? '';
  const scripts = await page.locator('script').count();
  const disclosed = await page.content();
  await page.getByRole('button', { name: 'Email me a code' }).click();
  await page
    .getByLabel('Code')
    .fill(await fromMail(subject, (m) => (/report/.test(m.subject) ? codeOf(m) : undefined)));
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download my report' }).click(),
  ]);
  const zipPath = join(workDir, 'report.zip');
  await download.saveAs(zipPath);
  await context.close();

  // Assess: nothing shown before the code, no script, the CSP; the ZIP holds the subject's job.
  expect(response?.status()).toBe(200);
  expect(csp).toContain("default-src 'none'");
  expect(csp).not.toContain('script-src');
  expect(scripts).toBe(0);
  expect(disclosed).not.toContain('Bakery');
  expect(disclosed).not.toContain(subject);
  const out = join(workDir, 'report');
  await run('7z', ['x', `-o${out}`, zipPath]);
  const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
  expect(report).toMatchObject({ subject: { email: subject }, items: [{ jobId }] });
}, 120_000);
