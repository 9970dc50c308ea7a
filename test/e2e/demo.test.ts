/**
 * `npm run demo` as a smoke test: the tour runs against the whole local stack, started in-process
 * on a free port, and every step must pass. Against a service that does not serve the tour's
 * routes, or none at all, it must say so and fail rather than pretend.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack, type LocalStack } from '../../infra/local/local-stack.ts';
import { runDemo } from '../../scripts/demo.ts';
import { TOUR } from '../../scripts/demo/tour.ts';
import { recordAnswer } from '../support/contract-recorder.ts';

let stack: LocalStack;
let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'custos-demo-'));
  // No timed scheduler: the tour's POST /dev/cleanup is then the cycle that erases its organization.
  stack = await startLocalStack({
    port: 0,
    dataDir: join(workDir, 'data'),
    fresh: true,
    quiet: true,
    schedulers: false,
  });
}, 90_000);

afterAll(async () => {
  await stack?.stop();
  await rm(workDir, { recursive: true, force: true });
}, 30_000);

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('the tour completes every step against the local stack', async () => {
  // Act
  const lines: string[] = [];
  const result = await runDemo({
    baseUrl: stack.url,
    write: (line) => lines.push(line),
    onAnswer: recordAnswer,
  });

  // Assess: every step passed, in order, and the output says which article each serves.
  const failures = result.steps.filter((step) => !step.ok).map((step) => `${step.title}: ${step.message}`);
  expect(failures).toEqual([]);
  expect(result.ok).toBe(true);
  expect(result.steps.map((step) => step.title)).toEqual(TOUR.map((step) => step.title));
  const output = lines.join('\n');
  for (const article of ['Art. 15', 'Art. 16', 'Art. 17', 'Art. 18', 'Art. 20'])
    expect(output).toContain(article);
  expect(output).toMatch(/^ {2}PUT +\/v1\/orgs\/\w+\/jobs\/\w+\/restriction {2}200$/m);
  expect(output).toMatch(/^ {2}PATCH +\/v1\/orgs\/\w+\/jobs\/\w+ {2}409$/m);
  expect(output).toMatch(/Link: http:\/\/127\.0\.0\.1:\d+\/v1\/backups\/\w+\/download\?token=/);
  expect(output).toMatch(/^ {2}GET +\/v1\/orgs\/\w+ {2}404$/m);
  expect(output).toContain('Every step passed');
  // Not a terminal: no colour codes in the text.
  expect(output).not.toContain('\u001b[');
}, 90_000);

test('a service that does not serve the routes fails the step, names them, and runs nothing after it', async () => {
  // Prepare: an API that describes no routes at all.
  const server = createServer((request, response) => {
    response.writeHead(request.url === '/v1/openapi.json' ? 200 : 404, {
      'content-type': 'application/json',
    });
    response.end(JSON.stringify(request.url === '/v1/openapi.json' ? { openapi: '3.1.0', paths: {} } : {}));
  });
  const baseUrl = await listen(server);

  // Act
  const lines: string[] = [];
  const result = await runDemo({ baseUrl, write: (line) => lines.push(line) }).finally(() => server.close());

  // Assess
  expect(result.ok).toBe(false);
  expect(result.steps[0]).toMatchObject({
    ok: false,
    message: expect.stringContaining('does not serve POST /v1/orgs'),
  });
  expect(result.steps.slice(1).every((step) => !step.ok && step.message.startsWith('not run'))).toBe(true);
  expect(lines.join('\n')).toMatch(/did not pass/);
});

test('an address where nothing answers is one failed step that says so', async () => {
  // Prepare: a port that was free a moment ago.
  const server = createServer();
  const baseUrl = await listen(server);
  await new Promise((resolve) => server.close(resolve));

  // Act
  const result = await runDemo({ baseUrl, write: () => undefined });

  // Assess
  expect(result).toEqual({
    ok: false,
    steps: [
      { title: 'The service answers', ok: false, message: expect.stringContaining('Is the service running') },
    ],
  });
});
