import type { Snooze, SnoozeStore } from '../ports.ts';

/** Snoozes in process memory, with the DynamoDB store's rules (add once, end only while active): for tests and scans. */
export class MemorySnoozeStore implements SnoozeStore {
  private readonly snoozes = new Map<string, Snooze>();

  constructor(initial: readonly Snooze[] = []) {
    for (const s of initial) this.snoozes.set(s.id, s);
  }

  async list(): Promise<Snooze[]> {
    return [...this.snoozes.values()].map((s) => ({ ...s }));
  }

  async add(snooze: Snooze): Promise<'added' | 'exists'> {
    if (this.snoozes.has(snooze.id)) return 'exists';
    this.snoozes.set(snooze.id, { ...snooze });
    return 'added';
  }

  async end(id: string, ending: { at: string; by: string; reason: string }): Promise<'ended' | 'conflict'> {
    const s = this.snoozes.get(id);
    if (!s || s.status !== 'active') return 'conflict';
    this.snoozes.set(id, { ...s, status: 'ended', ended_at: ending.at, ended_by: ending.by, end_reason: ending.reason });
    return 'ended';
  }
}
