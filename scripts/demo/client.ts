/**
 * The tour's HTTP client. Every call states the status it expects and why it is made; the call
 * is printed (method, path, status) with that reason, and a different status stops the step with
 * the server's problem title and detail. Query strings are not printed: they carry the download
 * link's token and presigned signatures.
 */
import type * as z from 'zod';
import type { Style, Write } from './terminal.ts';

/** A fake person of the tour and the access token the local identity provider gave them. */
export interface Actor {
  readonly name: string;
  readonly token: string;
}

export interface CallSpec {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** A path on the API (`/v1/...`) or an absolute URL (a presigned S3 URL, the emailed link). */
  readonly path: string;
  readonly as?: Actor;
  /** Sent as JSON. */
  readonly json?: unknown;
  /** Sent as application/x-www-form-urlencoded (the download page's form). */
  readonly form?: Readonly<Record<string, string>>;
  readonly expect: number;
  /** One line: what the call shows, and which right or article it serves. */
  readonly why: string;
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly bytes: Buffer;
  text(): string;
  /** The JSON body checked against the route's response schema: unexpected content fails the step. */
  json<S extends z.ZodType>(schema: S): z.output<S>;
}

/** A step did not behave as the API promises; the message says what was expected and what came. */
export class StepFailure extends Error {}

interface Problem {
  readonly title?: unknown;
  readonly detail?: unknown;
  readonly type?: unknown;
}

function problemSummary(answer: Answer): string {
  try {
    const problem = JSON.parse(answer.text()) as Problem;
    const parts = [problem.title, problem.detail].filter((part): part is string => typeof part === 'string');
    return parts.length > 0 ? `: ${parts.join(' — ')}` : '';
  } catch {
    return '';
  }
}

export class DemoClient {
  constructor(
    readonly baseUrl: string,
    private readonly write: Write,
    private readonly style: Style,
  ) {}

  /** What is printed for a URL: the path on the API, or host and path elsewhere; never the query. */
  private shown(url: URL): string {
    const where = url.origin === new URL(this.baseUrl).origin ? url.pathname : `${url.host}${url.pathname}`;
    return url.search === '' ? where : `${where}?…`;
  }

  /** Sends without judging the status or printing; call() and poll() decide what to show. */
  private async send(spec: CallSpec): Promise<{ url: URL; answer: Answer }> {
    const url = new URL(spec.path, this.baseUrl);
    const headers: Record<string, string> = { 'user-agent': 'custos-demo' };
    if (spec.as !== undefined) headers.authorization = `Bearer ${spec.as.token}`;
    let body: string | undefined;
    if (spec.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(spec.json);
    } else if (spec.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(spec.form).toString();
    }
    let response: Response;
    try {
      response = await fetch(url, { method: spec.method, headers, redirect: 'manual', ...(body === undefined ? {} : { body }) });
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
      throw new StepFailure(`${spec.method} ${this.shown(url)} could not be sent${cause}. Is the service running at ${this.baseUrl}?`);
    }
    const bytes = Buffer.from(await response.arrayBuffer());
    const shown = this.shown(url);
    const answer: Answer = {
      status: response.status,
      headers: response.headers,
      bytes,
      text: () => bytes.toString('utf8'),
      json: (schema) => {
        let value: unknown;
        try {
          value = JSON.parse(bytes.toString('utf8'));
        } catch {
          throw new StepFailure(`${spec.method} ${shown} did not answer JSON`);
        }
        const parsed = schema.safeParse(value);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw new StepFailure(`${spec.method} ${shown} answered an unexpected shape (${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'})`);
        }
        return parsed.data;
      },
    };
    return { url, answer };
  }

  private print(spec: CallSpec, url: URL, status: number, suffix = ''): void {
    const { style } = this;
    const ok = status === spec.expect;
    const statusText = ok ? style.green(String(status)) : style.red(`${status} (expected ${spec.expect})`);
    this.write(`  ${style.bold(spec.method.padEnd(6))} ${this.shown(url)}  ${statusText}${suffix}`);
    this.write(`         ${style.dim(spec.why)}`);
  }

  private judge(spec: CallSpec, url: URL, answer: Answer): Answer {
    if (answer.status !== spec.expect) {
      throw new StepFailure(`${spec.method} ${this.shown(url)} answered ${answer.status}, expected ${spec.expect}${problemSummary(answer)}`);
    }
    return answer;
  }

  async call(spec: CallSpec): Promise<Answer> {
    const { url, answer } = await this.send(spec);
    this.print(spec, url, answer.status);
    return this.judge(spec, url, answer);
  }

  /**
   * Repeats a read until `done` accepts its answer (work done by a queue worker); prints one line
   * for all the tries. Fails on another status than expected, or when the time is up.
   */
  async poll<T>(spec: CallSpec, done: (answer: Answer) => T | undefined, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (let tries = 1; ; tries += 1) {
      const { url, answer } = await this.send(spec);
      const finished = answer.status === spec.expect ? done(answer) : undefined;
      if (answer.status !== spec.expect || finished !== undefined || Date.now() > deadline) {
        this.print(spec, url, answer.status, tries > 1 ? this.style.dim(` (polled ${tries}×)`) : '');
        this.judge(spec, url, answer);
        if (finished === undefined) throw new StepFailure(`${spec.method} ${this.shown(url)}: not done after ${Math.round(timeoutMs / 1000)} s`);
        return finished;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** A line of the story between calls: what was just shown. */
  note(text: string): void {
    this.write(`         ${this.style.cyan(text)}`);
  }
}
