/**
 * The one table's layout, shared by the stack (lib/) and DynamoDB Local setup so they never drift.
 *
 * | item         | pk                       | sk                                  |
 * |--------------|--------------------------|-------------------------------------|
 * | state        | `STATE#<kind>#<subject>` | `STATE`                             |
 * | finding      | `FINDING#<YYYY-MM>`      | `<ts>#<detector>#<subject>#<run>`   |
 * | run record   | `RUN#<kind>#<subject>`   | `<ts>#<run_id>` (expires via `ttl`) |
 */
export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'ttl',
  /** Sparse: findings whose alert is not delivered yet carry `outbox = PENDING`. */
  outboxIndex: 'outbox',
  outboxKey: 'outbox',
  /** Findings by subject (`<kind>#<subject>`), for status queries. */
  subjectIndex: 'by-subject',
  subjectKey: 'subject_key',
  /** Sparse, keys only: state items carry `catalog = <kind>` (job, agent, …), to list a kind's subjects. */
  catalogIndex: 'catalog',
  catalogKey: 'catalog',
} as const;
