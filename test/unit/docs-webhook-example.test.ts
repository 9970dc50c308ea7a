/**
 * The verification example vendors copy from docs/webhooks.md runs as written (in a separate
 * Node process, as a vendor would run it) and agrees with how Custos signs.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { newSigningSecret, signatureHeader } from '../../shared/domain/webhook-signature.ts';

const run = promisify(execFile);

async function example(): Promise<string> {
  const doc = await readFile(new URL('../../docs/webhooks.md', import.meta.url), 'utf8');
  const block = /<!-- verify-example[^>]*-->\s*```js\n([\s\S]*?)```/.exec(doc)?.[1];
  if (block === undefined) throw new Error('docs/webhooks.md has no verify-example block');
  return block;
}

test('the example is at most ten lines of code', async () => {
  expect(
    (await example())
      .trim()
      .split('\n')
      .filter((line) => line.trim() !== '').length,
  ).toBeLessThanOrEqual(10);
});

test('the example accepts what Custos signs and refuses a changed body, another secret and an old timestamp', async () => {
  const secret = newSigningSecret();
  const body = '{"event":"job.erased","jobIds":["01JF6Q0Y7W3V5T8N2M4K6H8G0D"],"fields":["email"]}';
  const now = Math.floor(Date.now() / 1000);
  const cases = [
    [secret, signatureHeader(secret, now, Buffer.from(body)), body],
    [secret, signatureHeader(secret, now, Buffer.from(body)), body.replace('email', 'phone')],
    [newSigningSecret(), signatureHeader(secret, now, Buffer.from(body)), body],
    [secret, signatureHeader(secret, now - 3600, Buffer.from(body)), body],
  ];
  const script = `${await example()}\nconst cases = JSON.parse(process.env.CASES);\nprocess.stdout.write(JSON.stringify(cases.map(([s, h, b]) => verifyCustosSignature(s, h, Buffer.from(b)))));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, CASES: JSON.stringify(cases) },
  });
  expect(JSON.parse(stdout)).toEqual([true, false, false, false]);
});
