/**
 * What the functions did beside what their roles grant: every (function, action, resource) a run
 * exercised, and every granted action no call used, which is either an over-broad grant or a path
 * the run did not take. Grants that AWS uses on the function's behalf (the tables' and queues'
 * keys through kms:ViaService, logs, X-Ray) cannot be observed locally and are listed apart.
 */
import { readFileSync } from 'node:fs';
import type { ExercisedCall, FunctionPolicies } from './iam-enforcement.ts';
import { UNRESOLVED } from './local-arns.ts';
import { evaluate, type PolicyStatement } from './policy-evaluator.ts';

export function readExercisedCalls(file: string): ExercisedCall[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ExercisedCall);
}

/** Used by AWS on the function's behalf, or a resource with no local counterpart. */
const serviceSide = (statement: PolicyStatement): boolean =>
  statement.Resource.some((r) => r.startsWith(UNRESOLVED)) ||
  statement.Condition?.StringEquals?.['kms:ViaService'] !== undefined ||
  statement.Action.every((a) => a.startsWith('xray:') || a.startsWith('logs:'));

export function iamReport(policies: FunctionPolicies, calls: readonly ExercisedCall[]): string {
  const lines = ['# Local IAM: calls exercised beside the grants', ''];
  for (const [fn, statements] of Object.entries(policies).sort(([a], [b]) => a.localeCompare(b))) {
    const own = calls.filter((c) => c.fn === fn);
    const unique = [...new Map(own.map((c) => [`${c.action} ${c.resource} ${c.allowed}`, c])).values()].sort(
      (a, b) => `${a.action}${a.resource}`.localeCompare(`${b.action}${b.resource}`),
    );
    lines.push(`## ${fn}`, '', 'Exercised:', '');
    if (unique.length === 0) lines.push('- (no AWS call)');
    for (const call of unique)
      lines.push(`- ${call.allowed ? 'allowed' : '**DENIED**'} \`${call.action}\` on \`${call.resource}\``);
    const unused: string[] = [];
    const outOfSight: string[] = [];
    for (const statement of statements) {
      for (const action of statement.Action) {
        // Used when an allowed call of this action fell within this statement (conditions aside: calls are recorded without their context).
        const within = (c: ExercisedCall): boolean =>
          evaluate([{ ...statement, Action: [action], Condition: {} }], {
            action: c.action,
            resource: c.resource,
            context: {},
          }).allowed;
        const used = own.some((c) => c.allowed && within(c));
        if (used) continue;
        const entry = `- \`${action}\` on ${statement.Resource.map((r) => `\`${r}\``).join(', ')}`;
        if (serviceSide(statement)) outOfSight.push(entry);
        else unused.push(entry);
      }
    }
    lines.push(
      '',
      'Granted, never used by this run (over-broad, or a path not taken):',
      '',
      ...(unused.length > 0 ? unused : ['- (none)']),
    );
    lines.push(
      '',
      'Granted for AWS to use on its behalf (not observable locally):',
      '',
      ...(outOfSight.length > 0 ? outOfSight : ['- (none)']),
      '',
    );
  }
  return lines.join('\n');
}
