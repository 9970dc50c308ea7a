/**
 * AWS calls per operation, counted by a middleware on the SDK clients the functions use, while the
 * local stack serves real HTTP requests in this process. Each operation is measured warm (a first
 * call of the same kind runs before), as a warm Lambda would serve it; `list_jobs_cold` is the
 * first list of a caller on the instance, which decides from a fresh read (nothing remembered).
 * Only the calls of the API function serving the request count: the audit sequencer and the
 * checkpoint consumer run in the same process on their own schedule (stream- and queue-fed), and
 * their calls are not the request's.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dynamoDocumentClient, kms } from '../shared/adapters/aws/clients.ts';
import { s3 } from '../shared/adapters/aws/s3-client.ts';
import { ses } from '../shared/adapters/aws/ses-client.ts';
import { sqs } from '../shared/adapters/aws/sqs-client.ts';
import { currentFunction } from '../infra/local/iam/function-identity.ts';
import { startLocalStack, type LocalStack } from '../infra/local/local-stack.ts';

type Service = 'dynamodb' | 'kms' | 's3' | 'sqs' | 'ses';

const DYNAMO_WRITES = new Set([
  'TransactWriteItemsCommand',
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'BatchWriteItemCommand',
  'PutCommand',
  'UpdateCommand',
  'DeleteCommand',
  'TransactWriteCommand',
  'BatchWriteCommand',
]);

export class CallCounter {
  private counts = new Map<Service, number>();
  private dynamoWrites = 0;

  constructor() {
    const clients: [
      Service,
      { middlewareStack: { add: (mw: never, options: { step: 'initialize'; name: string }) => void } },
    ][] = [
      ['dynamodb', dynamoDocumentClient()],
      ['kms', kms()],
      ['s3', s3()],
      ['sqs', sqs()],
      ['ses', ses()],
    ];
    for (const [service, client] of clients) {
      const count =
        (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
        async (args: unknown) => {
          if (currentFunction()?.startsWith('api-') !== true) return next(args);
          this.counts.set(service, (this.counts.get(service) ?? 0) + 1);
          if (service === 'dynamodb' && DYNAMO_WRITES.has(context.commandName ?? '')) this.dynamoWrites += 1;
          return next(args);
        };
      client.middlewareStack.add(count as never, {
        step: 'initialize',
        name: `custosBenchCounter-${service}`,
      });
    }
  }

  reset(): void {
    this.counts = new Map();
    this.dynamoWrites = 0;
  }

  snapshot(): Record<Service | 'dynamodb_writes', number> {
    return {
      dynamodb_writes: this.dynamoWrites,
      dynamodb: this.counts.get('dynamodb') ?? 0,
      kms: this.counts.get('kms') ?? 0,
      s3: this.counts.get('s3') ?? 0,
      sqs: this.counts.get('sqs') ?? 0,
      ses: this.counts.get('ses') ?? 0,
    };
  }
}

export class BenchClient {
  constructor(
    private readonly stack: LocalStack,
    private readonly token: string,
  ) {}

  static for(stack: LocalStack, sub: string): BenchClient {
    return new BenchClient(stack, stack.issuer.issueToken({ sub, email: `${sub}@bench.example` }));
  }

  async call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(this.stack.url + path, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      json: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : {},
    };
  }

  async expect(
    status: number,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Record<string, unknown>> {
    const answer = await this.call(method, path, body);
    if (answer.status !== status)
      throw new Error(`${method} ${path} answered ${answer.status}, expected ${status}`);
    return answer.json;
  }
}

/** An organization with one orchestration (an encrypted subject email, a personal phone, a number). */
export async function seedOrganization(
  client: BenchClient,
): Promise<{ orgId: string; orchestrationId: string }> {
  const org = await client.expect(201, 'POST', '/v1/orgs', { name: 'Bench Ltd' });
  const orgId = String(org.orgId);
  const orchestration = await client.expect(201, 'POST', `/v1/orgs/${orgId}/orchestrations`, {
    name: 'Onboarding',
    stages: ['new', 'done'],
    fields: [
      { id: 'email', label: 'Email', type: 'email', personal: true, encrypted: true, subject: true },
      { id: 'phone', label: 'Phone', type: 'phone', personal: true, encrypted: true, subject: false },
      { id: 'amount', label: 'Amount', type: 'number', personal: false, encrypted: false, subject: false },
    ],
  });
  return { orgId, orchestrationId: String(orchestration.orchestrationId) };
}

export const jobFields = (i: number) => ({
  email: `person${i}@bench.example`,
  phone: `+4930${String(1000000 + i)}`,
  amount: i,
});

export async function runCallsBench(): Promise<Record<string, number>> {
  const dataDir = await mkdtemp(join(tmpdir(), 'custos-bench-calls-'));
  const stack = await startLocalStack({ port: 0, dataDir, fresh: true, quiet: true, schedulers: false });
  try {
    const counter = new CallCounter();
    const client = BenchClient.for(stack, 'bench-owner');
    const { orgId, orchestrationId } = await seedOrganization(client);
    const metrics: Record<string, number> = {};
    const count = async (name: string, action: () => Promise<unknown>): Promise<void> => {
      counter.reset();
      await action();
      const { dynamodb_writes: writes, ...counts } = counter.snapshot();
      metrics[`calls.${name}`] = Object.values(counts).reduce((a, b) => a + b, 0);
      for (const [service, n] of Object.entries(counts)) if (n > 0) metrics[`calls.${name}.${service}`] = n;
      metrics[`calls.${name}.dynamodb_reads`] = counts.dynamodb - writes;
      metrics[`calls.${name}.dynamodb_writes`] = writes;
    };
    const measure = async (name: string, action: () => Promise<unknown>): Promise<void> => {
      await action(); // warm: caches (data key, JWKS, orchestration, decision inputs) filled as in a warm function
      await count(name, action);
    };

    let n = 0;
    const created: string[] = [];
    await measure('create_job', async () => {
      const job = await client.expect(
        201,
        'POST',
        `/v1/orgs/${orgId}/orchestrations/${orchestrationId}/jobs`,
        { fields: jobFields((n += 1)) },
      );
      created.push(String(job.jobId));
    });
    const jobId = created[0]!;
    await measure('get_job', () => client.expect(200, 'GET', `/v1/orgs/${orgId}/jobs/${jobId}`));
    const listPath = `/v1/orgs/${orgId}/orchestrations/${orchestrationId}/jobs?limit=50`;
    await measure('list_jobs', () => client.expect(200, 'GET', listPath));
    const admin = BenchClient.for(stack, 'bench-admin');
    await client.expect(201, 'POST', `/v1/orgs/${orgId}/members`, {
      userId: 'bench-admin',
      email: 'bench-admin@bench.example',
      role: 'admin',
    });
    await count('list_jobs_cold', () => admin.expect(200, 'GET', listPath));
    await measure('update_job', () =>
      client.expect(200, 'PATCH', `/v1/orgs/${orgId}/jobs/${jobId}`, { fields: { amount: (n += 1) } }),
    );
    await measure('get_org', () => client.expect(200, 'GET', `/v1/orgs/${orgId}`));
    return metrics;
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
