/**
 * The mail the functions sent, as captured by the SES emulator (GET /store). The store is shared
 * by every test of the run, so look for your own recipient rather than counting all mail.
 */
export interface CapturedEmail {
  readonly messageId: string;
  readonly from: string;
  readonly subject: string;
  readonly destination: {
    readonly to: readonly string[];
    readonly cc: readonly string[];
    readonly bcc: readonly string[];
  };
  readonly body: { readonly text?: string; readonly html?: string };
  readonly attachments: readonly { readonly filename?: string; readonly contentType?: string }[];
  /** Epoch seconds. */
  readonly at: number;
}

function sesEndpoint(): string {
  const endpoint = process.env.AWS_ENDPOINT_URL_SES;
  if (endpoint === undefined)
    throw new Error('AWS_ENDPOINT_URL_SES is not set: the global setup did not run');
  return endpoint;
}

export async function sentEmails(): Promise<CapturedEmail[]> {
  const response = await fetch(new URL('/store', sesEndpoint()));
  if (!response.ok) throw new Error(`The SES emulator answered ${response.status} to GET /store`);
  return ((await response.json()) as { emails: CapturedEmail[] }).emails;
}

/** Mail addressed to `recipient` (To, Cc or Bcc), oldest first. */
export async function emailsTo(recipient: string): Promise<CapturedEmail[]> {
  const wanted = recipient.toLowerCase();
  const all = await sentEmails();
  return all.filter(({ destination }) =>
    [...destination.to, ...destination.cc, ...destination.bcc].some((address) =>
      address.toLowerCase().includes(wanted),
    ),
  );
}
