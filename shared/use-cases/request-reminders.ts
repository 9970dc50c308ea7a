/**
 * The deadlines of data subject requests, in the scheduled cycle: the assignee (or, while none
 * is assigned, the owners) is emailed 7 days and 1 day before `dueAt`, once each, and the open
 * requests past their due date are counted for the overdue metric and its alarm.
 *
 * Once each: a reminder is recorded (conditionally, with its audit event and timeline step)
 * before its email goes, so two runs never both send it; a run that dies between the two loses
 * that one reminder rather than sending it twice. The emails name the request, never the person.
 */
import type { AuditActor } from '../ports/audit.ts';
import type { Clock } from '../ports/clock.ts';
import type { Mailer } from '../ports/mailer.ts';
import type { OrganizationStore } from '../ports/organizations.ts';
import type { Budget } from '../ports/tenant-sweeper.ts';
import type { DeadlineReminder, StoredRequest, SubjectRequestStore } from '../ports/subject-requests.ts';
import { deadlineReminderEmail } from '../templates/request-emails.ts';
import { cycleActor, successDraft } from './org-access.ts';

export interface ReminderDeps {
  readonly requests: Pick<SubjectRequestStore, 'dueBefore' | 'markReminded'>;
  readonly orgs: Pick<OrganizationStore, 'get' | 'getMember' | 'listMembers'>;
  readonly mailer: Mailer;
  readonly clock: Clock;
}

export interface ReminderReport {
  readonly remindersSent: number;
  /** Open requests past their due date (the overdue metric). */
  readonly overdue: number;
}

const DAY_MS = 24 * 3600 * 1000;
const REMINDER_LEAD_MS: Readonly<Record<DeadlineReminder, number>> = { week: 7 * DAY_MS, day: DAY_MS };

export const reminderActor = (cycleId: string): AuditActor => cycleActor('system:reminders', cycleId);

/** The reminder due now, if any: the nearer one when both are (a request verified with less than a week left). */
function reminderDue(request: StoredRequest, now: number): DeadlineReminder | undefined {
  const left = Date.parse(request.dueAt ?? '') - now;
  const which: DeadlineReminder = left <= REMINDER_LEAD_MS.day ? 'day' : 'week';
  return request.reminded?.includes(which) === true ? undefined : which;
}

async function recipientsOf(deps: ReminderDeps, request: StoredRequest): Promise<string[]> {
  const assignee =
    request.assignee === undefined ? undefined : await deps.orgs.getMember(request.orgId, request.assignee);
  if (assignee !== undefined) return [assignee.email];
  return (await deps.orgs.listMembers(request.orgId)).filter((m) => m.role === 'owner').map((m) => m.email);
}

export async function remindDueRequests(
  deps: ReminderDeps,
  cycleId: string,
  budget: Budget,
): Promise<ReminderReport> {
  const now = deps.clock.now();
  let remindersSent = 0;
  let overdue = 0;
  for await (const request of deps.requests.dueBefore(new Date(now.getTime() + REMINDER_LEAD_MS.week))) {
    if (Date.parse(request.dueAt ?? '') <= now.getTime()) {
      overdue += 1;
      continue;
    }
    if (!budget.remaining()) continue;
    const reminder = reminderDue(request, now.getTime());
    if (reminder === undefined) continue;
    const org = await deps.orgs.get(request.orgId);
    if (org === undefined || org.status !== 'active') continue;
    const at = now.toISOString();
    const marked = await deps.requests.markReminded(
      request.orgId,
      request.requestId,
      reminder,
      { at, action: 'request.remind' },
      {
        draft: successDraft({
          orgId: request.orgId,
          action: 'request.remind',
          resource: { type: 'request', id: request.requestId },
          detail: { reminder, dueAt: request.dueAt ?? '' },
        }),
        actor: reminderActor(cycleId),
      },
    );
    if (!marked) continue;
    const content = deadlineReminderEmail({
      organizationName: org.name,
      requestId: request.requestId,
      type: request.type,
      dueAt: new Date(request.dueAt ?? at),
      within: reminder,
    });
    for (const to of await recipientsOf(deps, request)) await deps.mailer.send({ to, ...content });
    remindersSent += 1;
  }
  return { remindersSent, overdue };
}
