/**
 * The tour's HTTP client. API calls go through the typed client (scripts/api/client.ts:
 * openapi-fetch over the types generated from the route table), so the tour is written against
 * the contract and a route change that breaks a client breaks `tsc` here. Every call states the
 * status it expects and why it is made; it is printed (method, path, status) with that reason,
 * and a different status stops the step with the server's problem title and detail. The local
 * stack's /dev routes and presigned S3 URLs are not API routes: they go through plain fetch.
 * Query strings are never printed: they carry the download link's token and presigned signatures.
 */
import type * as z from 'zod';
import { createCustosClient, type CustosClient } from '../api/client.ts';
import type { Style, Write } from './terminal.ts';

/** A fake person of the tour and the access token the local identity provider gave them. */
export interface Actor {
  readonly name: string;
  readonly token: string;
}

/** The Authorization header of an actor, for a typed call's `headers`. */
export const as = (actor: Actor): { authorization: string } => ({ authorization: `Bearer ${actor.token}` });

/** What a call must answer, and why the tour makes it (one line: the right or article it serves). */
export interface Expectation {
  readonly expect: number;
  readonly why: string;
}

export interface CallSpec extends Expectation {
  readonly method: 'GET' | 'POST';
  /** A /dev path of the local stack, or an absolute URL (a presigned S3 URL). */
  readonly path: string;
  /** Sent as JSON. */
  readonly json?: unknown;
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly bytes: Buffer;
  text(): string;
  /** The JSON body checked against a schema: unexpected content fails the step. */
  json<S extends z.ZodType>(schema: S): z.output<S>;
}

/** What a typed call resolves to (openapi-fetch's answer, narrowed to what the tour reads). */
interface TypedAnswer<D, E> {
  readonly data?: D;
  readonly error?: E;
  readonly response: Response;
}

/** An answer the test HTTP clients hand to the contract check (test/support/contract-recorder.ts). */
export interface AnswerSeen {
  readonly method: string;
  /** The route's path template. */
  readonly path: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
}

/** A step did not behave as the API promises; the message says what was expected and what came. */
export class StepFailure extends Error {}

function problemSummary(text: string): string {
  try {
    const problem: unknown = JSON.parse(text);
    if (problem === null || typeof problem !== 'object') return '';
    const parts = [Reflect.get(problem, 'title'), Reflect.get(problem, 'detail')].filter(
      (part): part is string => typeof part === 'string',
    );
    return parts.length > 0 ? `: ${parts.join(' — ')}` : '';
  } catch {
    return '';
  }
}

export class DemoClient {
  /** The typed API client; use it through ok(), refused() and answer(), which print and judge. */
  readonly api: CustosClient;
  /** The request and answer of the last typed call (the tour makes one at a time). */
  private last?: { readonly method: string; readonly url: URL };

  constructor(
    readonly baseUrl: string,
    private readonly write: Write,
    private readonly style: Style,
    /** Sees every answer of a typed call: the e2e test hands it to the contract check. */
    onAnswer?: (answer: AnswerSeen) => void,
  ) {
    this.api = createCustosClient(baseUrl, { headers: { 'user-agent': 'custos-demo' }, redirect: 'manual' });
    this.api.use({
      onRequest: ({ request }) => {
        this.last = { method: request.method, url: new URL(request.url) };
      },
      onResponse: async ({ request, response, schemaPath }) => {
        if (onAnswer === undefined) return;
        const text = await response.clone().text();
        onAnswer({
          method: request.method,
          path: schemaPath,
          status: response.status,
          headers: Object.fromEntries(response.headers),
          text,
        });
      },
    });
  }

  /** What is printed for a URL: the path on the API, or host and path elsewhere; never the query. */
  private shown(url: URL): string {
    const where = url.origin === new URL(this.baseUrl).origin ? url.pathname : `${url.host}${url.pathname}`;
    return url.search === '' ? where : `${where}?…`;
  }

  private unreachable(method: string, url: URL, error: unknown): StepFailure {
    const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return new StepFailure(
      `${method} ${this.shown(url)} could not be sent${cause}. Is the service running at ${this.baseUrl}?`,
    );
  }

  private print(method: string, url: URL, expectation: Expectation, status: number, suffix = ''): void {
    const { style } = this;
    const statusText =
      status === expectation.expect
        ? style.green(String(status))
        : style.red(`${status} (expected ${expectation.expect})`);
    this.write(`  ${style.bold(method.padEnd(6))} ${this.shown(url)}  ${statusText}${suffix}`);
    this.write(`         ${style.dim(expectation.why)}`);
  }

  private judge(
    method: string,
    url: URL,
    expectation: Expectation,
    status: number,
    text: () => string,
  ): void {
    if (status !== expectation.expect)
      throw new StepFailure(
        `${method} ${this.shown(url)} answered ${status}, expected ${expectation.expect}${problemSummary(text())}`,
      );
  }

  /** Sends one typed call without printing or judging it. */
  private async sendTyped<D, E>(
    send: () => Promise<TypedAnswer<D, E>>,
  ): Promise<{ method: string; url: URL; answer: TypedAnswer<D, E>; text: () => string }> {
    this.last = undefined;
    let answer: TypedAnswer<D, E>;
    try {
      answer = await send();
    } catch (error) {
      const last = this.last ?? { method: 'GET', url: new URL(this.baseUrl) };
      throw this.unreachable(last.method, last.url, error);
    }
    const { method, url } = this.last ?? { method: '?', url: new URL(answer.response.url) };
    // The body was read for `data` or `error`; a problem's title and detail come from `error`.
    const text = (): string => (answer.error === undefined ? '' : JSON.stringify(answer.error));
    return { method, url, answer, text };
  }

  /** A typed call that must answer `expect` with a body: its data, as the generated types describe it. */
  async ok<D, E>(expectation: Expectation, send: () => Promise<TypedAnswer<D, E>>): Promise<D> {
    const { method, url, answer, text } = await this.sendTyped(send);
    this.print(method, url, expectation, answer.response.status);
    this.judge(method, url, expectation, answer.response.status, text);
    if (answer.data === undefined)
      throw new StepFailure(`${method} ${this.shown(url)} answered ${answer.response.status} without a body`);
    return answer.data;
  }

  /** A typed call that must be refused with `expect`: its problem. */
  async refused<D, E>(expectation: Expectation, send: () => Promise<TypedAnswer<D, E>>): Promise<E> {
    const { method, url, answer, text } = await this.sendTyped(send);
    this.print(method, url, expectation, answer.response.status);
    this.judge(method, url, expectation, answer.response.status, text);
    if (answer.error === undefined)
      throw new StepFailure(
        `${method} ${this.shown(url)} answered ${answer.response.status} without a problem`,
      );
    return answer.error;
  }

  /** A typed call that must answer `expect`; the whole answer (pages, redirects, bodies read as text). */
  async answer<D, E>(
    expectation: Expectation,
    send: () => Promise<TypedAnswer<D, E>>,
  ): Promise<TypedAnswer<D, E>> {
    const { method, url, answer, text } = await this.sendTyped(send);
    this.print(method, url, expectation, answer.response.status);
    this.judge(method, url, expectation, answer.response.status, text);
    return answer;
  }

  /**
   * Repeats a typed read until `done` accepts its data (work done by a queue worker); prints one
   * line for all the tries. Fails on another status than expected, or when the time is up.
   */
  async poll<D, E, T>(
    expectation: Expectation,
    send: () => Promise<TypedAnswer<D, E>>,
    done: (data: D) => T | undefined,
    timeoutMs = 60_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (let tries = 1; ; tries += 1) {
      const { method, url, answer, text } = await this.sendTyped(send);
      const status = answer.response.status;
      const finished =
        status === expectation.expect && answer.data !== undefined ? done(answer.data) : undefined;
      if (status !== expectation.expect || finished !== undefined || Date.now() > deadline) {
        this.print(method, url, expectation, status, tries > 1 ? this.style.dim(` (polled ${tries}×)`) : '');
        this.judge(method, url, expectation, status, text);
        if (finished === undefined)
          throw new StepFailure(
            `${method} ${this.shown(url)}: not done after ${Math.round(timeoutMs / 1000)} s`,
          );
        return finished;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** A call outside the API: the local stack's /dev routes, or a presigned S3 URL. */
  async call(spec: CallSpec): Promise<Answer> {
    const url = new URL(spec.path, this.baseUrl);
    const headers: Record<string, string> = { 'user-agent': 'custos-demo' };
    if (spec.json !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, {
        method: spec.method,
        headers,
        redirect: 'manual',
        ...(spec.json === undefined ? {} : { body: JSON.stringify(spec.json) }),
      });
    } catch (error) {
      throw this.unreachable(spec.method, url, error);
    }
    const bytes = Buffer.from(await response.arrayBuffer());
    const shown = this.shown(url);
    this.print(spec.method, url, spec, response.status);
    this.judge(spec.method, url, spec, response.status, () => bytes.toString('utf8'));
    return {
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
          throw new StepFailure(
            `${spec.method} ${shown} answered an unexpected shape (${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'})`,
          );
        }
        return parsed.data;
      },
    };
  }

  /** A line of the story between calls: what was just shown. */
  note(text: string): void {
    this.write(`         ${this.style.cyan(text)}`);
  }
}
