/** The clean-up cycle's time budget, apart from the handler so it is tested without the function's environment. */

/** Time kept back from the timeout: the page in flight, the checkpoint and the report. */
export function budgetMs(remainingMs: number): number {
  return Math.max(0, remainingMs - Math.max(10_000, Math.min(60_000, remainingMs * 0.2)));
}
