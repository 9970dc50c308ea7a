/**
 * The work queue: export and backup requests for the portability worker. A message names what to
 * build; everything else is read from the request's record when the worker runs, so a message
 * carries no personal data. The one secret a backup needs (the ZIP password) travels sealed with
 * the organization's data key, never in the clear (see use-cases/backups.ts).
 */
export type WorkMessage =
  | { readonly kind: 'export'; readonly orgId: string; readonly exportId: string }
  | {
      readonly kind: 'backup';
      readonly orgId: string;
      readonly backupId: string;
      readonly sealedPassword: string;
    }
  | { readonly kind: 'request-report'; readonly orgId: string; readonly requestId: string };

export interface WorkQueue {
  send(message: WorkMessage): Promise<void>;
}
