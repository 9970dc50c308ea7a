/**
 * Routes of the local stack only, never deployed (API.md "Local stack only"): tokens from the
 * local identity provider, the mail the service sent, the domain clock, a clean-up cycle on
 * demand, and what the local vendor sink received. They run in the gateway's process, so they see the same domain clock as the handlers.
 */
import { advanceDomainClock } from '../../shared/ports/clock.ts';
import { jsonReply, problemReply, type LocalReply } from './local-reply.ts';
import type { WebhookSink } from './webhook-sink.ts';

export interface DevRoute {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  handle(body: Buffer): Promise<LocalReply>;
}

/** The part of the local OIDC issuer the token route needs. */
export interface TokenIssuer {
  issueToken(claims: { sub: string; email: string }): string | Promise<string>;
}

export interface DevRouteDependencies {
  readonly issuer: TokenIssuer;
  /** Base URL of aws-ses-v2-local; its `GET /store` holds the captured mail. */
  readonly sesEndpoint: string;
  /** Runs one clean-up cycle; absent while the manifest has no `cleanup` function. */
  readonly runCleanup?: () => Promise<unknown>;
  readonly sink: Pick<WebhookSink, 'sinkUrl' | 'items'>;
}

const badRequest = (detail: string): LocalReply => problemReply(400, 'validation', 'Invalid input', detail);

function parseJsonObject(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8') || '{}');
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Seconds until the token's `exp`, read from the token itself so it matches whatever the issuer chose. */
function expiresIn(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
    exp?: unknown;
  };
  return typeof payload.exp === 'number' ? Math.max(0, payload.exp - Math.floor(Date.now() / 1000)) : 0;
}

/** Every link in a mail: href targets in the HTML and bare URLs in either part, first seen first. */
export function linksIn(text: string | undefined, html: string | undefined): string[] {
  const found: string[] = [];
  for (const [, href] of (html ?? '').matchAll(/href\s*=\s*["']([^"']+)["']/gi))
    found.push(href!.replaceAll('&amp;', '&'));
  for (const part of [text ?? '', html ?? '']) {
    for (const [url] of part.matchAll(/https?:\/\/[^\s<>"']+/g))
      found.push(url.replaceAll('&amp;', '&').replace(/[.,;)]+$/, ''));
  }
  return [...new Set(found)];
}

interface StoredEmail {
  readonly destination?: { readonly to?: readonly string[] };
  readonly subject?: string;
  readonly body?: { readonly text?: string; readonly html?: string };
}

export function devRoutes(deps: DevRouteDependencies): DevRoute[] {
  return [
    {
      method: 'POST',
      path: '/dev/token',
      async handle(body) {
        const input = parseJsonObject(body);
        if (input === undefined) return badRequest('The body must be a JSON object {sub, email}');
        const { sub, email } = input;
        if (typeof sub !== 'string' || sub === '' || typeof email !== 'string' || email === '') {
          return badRequest('sub and email are required strings');
        }
        const token = await deps.issuer.issueToken({ sub, email });
        return jsonReply(200, { access_token: token, token_type: 'Bearer', expires_in: expiresIn(token) });
      },
    },
    {
      method: 'GET',
      path: '/dev/mail',
      async handle() {
        const response = await fetch(new URL('/store', deps.sesEndpoint));
        if (!response.ok)
          return problemReply(
            502,
            'mail-unavailable',
            'Mail store unavailable',
            'The SES emulator did not answer',
          );
        const store = (await response.json()) as { emails?: readonly StoredEmail[] };
        const items = (store.emails ?? []).map((mail) => ({
          to: [...(mail.destination?.to ?? [])],
          subject: mail.subject ?? '',
          text: mail.body?.text ?? '',
          html: mail.body?.html ?? '',
          links: linksIn(mail.body?.text, mail.body?.html),
        }));
        return jsonReply(200, { items });
      },
    },
    {
      method: 'POST',
      path: '/dev/clock',
      async handle(body) {
        const advanceSeconds = parseJsonObject(body)?.advanceSeconds;
        if (typeof advanceSeconds !== 'number' || !Number.isFinite(advanceSeconds) || advanceSeconds < 0) {
          return badRequest('advanceSeconds must be a number of seconds, 0 or more');
        }
        return jsonReply(200, { now: advanceDomainClock(advanceSeconds).toISOString() });
      },
    },
    {
      method: 'GET',
      path: '/dev/webhooks',
      async handle() {
        return jsonReply(200, { sinkUrl: deps.sink.sinkUrl, items: deps.sink.items() });
      },
    },
    {
      method: 'POST',
      path: '/dev/cleanup',
      async handle() {
        if (deps.runCleanup === undefined) {
          return problemReply(
            404,
            'not-found',
            'Not found',
            'The clean-up cycle is not available: no cleanup function in the manifest yet',
          );
        }
        return jsonReply(200, (await deps.runCleanup()) ?? null);
      },
    },
  ];
}
