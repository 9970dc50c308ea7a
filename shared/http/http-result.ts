/** What an operation answers; the spine turns it into the API Gateway result. */
export interface HttpResult {
  readonly status: number;
  /** JSON-serialised unless it is a string or a Buffer. */
  readonly body?: unknown;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export const ok = (body: unknown, status = 200): HttpResult => ({ status, body });
export const created = (body: unknown): HttpResult => ({ status: 201, body });
export const accepted = (body: unknown): HttpResult => ({ status: 202, body });
export const noContent = (): HttpResult => ({ status: 204 });
