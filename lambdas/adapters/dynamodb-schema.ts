/**
 * The one table's layout, shared by the stack (lib/) and DynamoDB Local setup so they never drift.
 *
 * | item         | pk                       | sk                                  |
 * |--------------|--------------------------|-------------------------------------|
 * | state        | `STATE#<kind>#<subject>` | `STATE`                             |
 * | finding      | `FINDING#<YYYY-MM>`      | `<ts>#<detector>#<subject>#<run>`   |
 * | run records  | `RUN#<kind>#<subject>`   | `<YYYY-MM-DD>#pack#<digest>` (expires via `ttl`) |
 *
 * A state item holds its state as JSON text (`data`), or deflated (`dataz`, binary) from 1 KB on.
 * Run records are packed: one item holds a commit's records of one UTC day (`run-record-packs.ts`).
 * Items of one record each (`<ts>#<run_id>`), as written before packs, are still read.
 */
export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'ttl',
  /** Sparse: findings whose alert is not delivered yet carry `outbox = PENDING`, or `RETRY` once a send failed. */
  outboxIndex: 'outbox',
  outboxKey: 'outbox',
  /** Findings by subject (`<kind>#<subject>`), for status queries. */
  subjectIndex: 'by-subject',
  subjectKey: 'subject_key',
  /**
   * Sparse, keys only: state items carry `catalog = <kind>` (job, agent, …), to list a kind's subjects;
   * an alert state the sweep must look at with no run (flapping, a notice pending) carries `alert-due`
   * instead (`SubjectCommit.listedAs`), so that the sweep lists those few rather than every alert state.
   */
  catalogIndex: 'catalog',
  catalogKey: 'catalog',
} as const;
