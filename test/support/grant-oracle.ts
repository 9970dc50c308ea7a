/**
 * The grant tests' oracle, written apart from domain/grants.ts so the property does not check the
 * decision against itself: what a principal holds, as flat facts ("perm:<p>", "orch:<id>",
 * "field:<id>.<field>" → level), read off the one authorization decision's own building blocks.
 */
import {
  canSeeOrchestration,
  fieldMaskFor,
  permissionsOf,
  type Actor,
} from '../../shared/domain/authorization.ts';
import type { Orchestration } from '../../shared/domain/orchestration.ts';
import { FIELD_ACCESS } from '../../shared/domain/permissions.ts';

export type Facts = ReadonlyMap<string, number>;

export function factsOf(actor: Actor, orchestrations: readonly Orchestration[]): Facts {
  const out = new Map<string, number>();
  for (const p of permissionsOf(actor)) out.set(`perm:${p}`, 1);
  for (const o of orchestrations) {
    if (!canSeeOrchestration(actor, o)) continue;
    out.set(`orch:${o.orchestrationId}`, 1);
    for (const [f, access] of Object.entries(fieldMaskFor(actor, o)))
      out.set(`field:${o.orchestrationId}.${f}`, FIELD_ACCESS.indexOf(access) + 1);
  }
  return out;
}

/** Facts `after` holds above `before` that the granter did not hold at least as high. */
export function givenBeyond(granter: Facts, before: Facts, after: Facts): string[] {
  const beyond: string[] = [];
  for (const [fact, value] of after)
    if (value > (before.get(fact) ?? 0) && value > (granter.get(fact) ?? 0)) beyond.push(fact);
  return beyond;
}

const RANKS: Readonly<Record<string, number>> = { owner: 2, admin: 1 };
export const rankOf = (role: string): number => RANKS[role] ?? 0;
