import type { Config } from '../config.ts';
import { recordAsLogged } from '../core/exception-registry.ts';
import { guardStateKey, withBypassCounts } from '../core/guard-reducer.ts';
import type { ExceptionRenewal, ExceptionRevocation, ExceptionStore, GuardException, StateStore } from '../ports.ts';

/**
 * The exception registry of a run without a store (a scan without `--store`, tests): in process
 * memory, with the same conditional rules as the DynamoDB registry. Bypass counts come from the
 * guards' states in `states` (the scan's memory store), as they do in DynamoDB. A record's guard
 * is read as bypass lines name it (`recordAsLogged`, with `options.redact`), as in DynamoDB.
 */
export class MemoryExceptionStore implements ExceptionStore {
  private readonly records = new Map<string, GuardException>();

  constructor(
    private readonly states?: StateStore,
    private readonly options: { redact?: Config['redact'] } = {},
  ) {}

  async listRecords(): Promise<GuardException[]> {
    return [...this.records.values()].sort((a, b) => a.id.localeCompare(b.id)).map((e) => this.read(e));
  }

  async list(): Promise<GuardException[]> {
    return this.withCounts(await this.listRecords());
  }

  async get(id: string): Promise<GuardException | undefined> {
    const record = this.records.get(id);
    return record ? (await this.withCounts([this.read(record)]))[0] : undefined;
  }

  private read(record: GuardException): GuardException {
    return recordAsLogged(structuredClone(record), this.options.redact);
  }

  async add(exception: GuardException): Promise<'added' | 'exists'> {
    if (this.records.has(exception.id)) return 'exists';
    const { last_bypass_at: _never, ...stored } = structuredClone(exception);
    this.records.set(exception.id, { ...stored, bypass_count: 0 });
    return 'added';
  }

  async renew(id: string, renewal: ExceptionRenewal): Promise<'renewed' | 'conflict'> {
    const current = this.records.get(id);
    if (!current || current.status !== 'active' || current.expires !== renewal.from_expires) return 'conflict';
    this.records.set(id, { ...current, expires: renewal.to_expires, renewals: [...current.renewals, { ...renewal }] });
    return 'renewed';
  }

  async revoke(id: string, revocation: ExceptionRevocation): Promise<'revoked' | 'conflict'> {
    const current = this.records.get(id);
    if (!current || current.status !== 'active') return 'conflict';
    this.records.set(id, { ...current, status: 'revoked', revoked_at: revocation.at, revoked_by: revocation.by, revoke_reason: revocation.reason });
    return 'revoked';
  }

  private async withCounts(records: GuardException[]): Promise<GuardException[]> {
    if (!this.states || records.length === 0) return records;
    const keys = [...new Set(records.map((e) => guardStateKey(e.guard)))];
    return withBypassCounts(records, await this.states.load(keys));
  }
}
