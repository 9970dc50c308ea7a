/**
 * The backup link as an owner lives it, in headless Chromium against the local stack: ask for a
 * backup over HTTP, let the stack's poller run the worker, open the link from the captured email,
 * type the password, receive the ZIP, and open it with 7-Zip to find the organization's data.
 * A screenshot of the page is kept in a temp dir for a look.
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
