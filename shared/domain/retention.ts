/**
 * When a job falls due under its orchestration's retention rule. Pure: the clean-up cycle, the
 * preview and the tests ask the same question of the same function.
 */
import type { Job, Orchestration, RetentionRule } from './orchestration.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The latest basis time at which a job is due now: `days` before `now`. */
export const retentionCutoff = (rule: Pick<RetentionRule, 'days'>, now: Date): string =>
  new Date(now.getTime() - rule.days * DAY_MS).toISOString();

/** The last stage of the orchestration as it is defined now (its order may change). */
export const finalStageOf = (orchestration: Pick<Orchestration, 'stages'>): string | undefined =>
  orchestration.stages.at(-1);

/**
 * The time the rule counts from for this job, or undefined when it does not apply yet (`final_stage`
 * for a job in another stage). Jobs written before the stage entry was kept count from their last
 * update, which is never earlier than their entry into the stage: late rather than early.
 */
export function retentionBasis(
  job: Pick<Job, 'createdAt' | 'updatedAt' | 'stage' | 'stageEnteredAt'>,
  rule: Pick<RetentionRule, 'from'>,
  finalStage: string | undefined,
): string | undefined {
  switch (rule.from) {
    case 'created':
      return job.createdAt;
    case 'updated':
      return job.updatedAt;
    case 'final_stage':
      return job.stage === finalStage ? (job.stageEnteredAt ?? job.updatedAt) : undefined;
  }
}

/**
 * Whether retention erases or anonymizes the job now: due, not held, not anonymized already, and
 * not restricted (Art. 18(2): a restricted job is only stored; erasing it is processing, which
 * waits for the restriction to be lifted or for the subject's own erasure request).
 */
export function isDue(
  job: Job,
  orchestration: Pick<Orchestration, 'stages'> & { readonly retention?: RetentionRule | undefined },
  now: Date,
): boolean {
  const rule = orchestration.retention;
  if (
    rule === undefined ||
    job.legalHold !== undefined ||
    job.anonymizedAt !== undefined ||
    job.restriction !== undefined
  )
    return false;
  const basis = retentionBasis(job, rule, finalStageOf(orchestration));
  return basis !== undefined && basis <= retentionCutoff(rule, now);
}
