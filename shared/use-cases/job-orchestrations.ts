/**
 * Which orchestration a job belongs to, remembered by a warm instance. A job never moves to
 * another orchestration, so the fact cannot go stale; knowing it lets a job read fetch the
 * orchestration in the same batched read as the job itself. Only the id is remembered: the
 * orchestration is read fresh every time, so a changed definition or access limit counts at once.
 */
export class JobOrchestrations {
  private readonly known = new Map<string, string>();

  /** `capacity`: ids kept; the oldest is forgotten first (an id is ~60 bytes). */
  constructor(private readonly capacity = 10_000) {}

  get(orgId: string, jobId: string): string | undefined {
    return this.known.get(`${orgId}/${jobId}`);
  }

  remember(orgId: string, jobId: string, orchestrationId: string): void {
    const key = `${orgId}/${jobId}`;
    if (this.known.has(key)) return;
    if (this.known.size >= this.capacity) {
      const oldest = this.known.keys().next();
      if (oldest.done !== true) this.known.delete(oldest.value);
    }
    this.known.set(key, orchestrationId);
  }
}
