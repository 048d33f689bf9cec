import type { Random } from './random.ts';

/**
 * What each demo job prints on stdout: the text whose size, head and tail the `run.end` event
 * reports. Healthy output varies a little from run to run, as real output does; the planted
 * failures change it the way the failure would.
 */

/** The first and last 2 KiB of output, as `run.end` carries them (contract §1a). */
export const OUTPUT_EDGE_BYTES = 2048;

export interface OutputSummary {
  readonly output_bytes: number;
  readonly output_lines: number;
  readonly output_head: string;
  readonly output_tail: string;
}

export function summarizeOutput(output: string): OutputSummary {
  const bytes = Buffer.from(output, 'utf8');
  let lines = 0;
  for (let i = 0; i < output.length; i++) if (output.charCodeAt(i) === 10) lines++;
  if (output.length > 0 && !output.endsWith('\n')) lines++;
  return {
    output_bytes: bytes.length,
    output_lines: lines,
    output_head: bytes.subarray(0, OUTPUT_EDGE_BYTES).toString('utf8'),
    output_tail: bytes.subarray(Math.max(0, bytes.length - OUTPUT_EDGE_BYTES)).toString('utf8'),
  };
}

/** Whether adding `add` bytes brings `size` nearer to `target` (output is built to a target size). */
function bringsCloser(size: number, add: number, target: number): boolean {
  return Math.abs(target - (size + add)) < Math.abs(target - size);
}

function mib(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

// nightly-backup ------------------------------------------------------------------------------

const BACKUP_REPOSITORY = 's3://acme-backups-prod/nightly';

export type BackupMode = 'normal' | 'dry-run';

/** A restic-like backup log: one line per uploaded pack, progress every 10, a summary at the end. */
export function backupOutput(rng: Random, day: string, targetBytes: number, mode: BackupMode): string {
  const dryRun = mode === 'dry-run';
  const lines = [
    `nightly backup ${day} (source /srv/data, repository ${BACKUP_REPOSITORY})`,
    ...(dryRun ? ['dry-run: BACKUP_DRY_RUN=1 is set, nothing will be written'] : []),
    `scan: ${rng.int(18_000, 18_900)} files, ${rng.int(1_100, 1_400)} changed since the last snapshot`,
  ];
  let size = lines.reduce((n, l) => n + l.length + 1, 0);
  let objects = 0;
  let uploaded = 0;
  const footerAllowance = dryRun ? 90 : 110;
  for (;;) {
    const packBytes = rng.int(4, 16) * 1024 * 1024 + rng.int(0, 1024 * 1024);
    const line = `  ${dryRun ? 'would put' : 'put'} data/${rng.hex(2)}/${rng.hex(32)}.pack (${mib(packBytes)})`;
    if (!bringsCloser(size, line.length + 1, targetBytes - footerAllowance)) break;
    objects++;
    uploaded += packBytes;
    lines.push(line);
    size += line.length + 1;
    if (objects % 10 === 0) {
      const progress = dryRun ? `progress: ${objects} objects would be uploaded (${mib(uploaded)})` : `progress: uploaded ${objects} objects (${mib(uploaded)})`;
      lines.push(progress);
      size += progress.length + 1;
    }
  }
  if (dryRun) {
    lines.push(`dry-run complete: ${objects} objects would be uploaded (${mib(uploaded)}), nothing written`);
  } else {
    lines.push(`snapshot ${rng.hex(8)} saved`, `done: uploaded ${objects} objects (${mib(uploaded)}), 0 errors`);
  }
  return `${lines.join('\n')}\n`;
}

/** The output-shrink plant: a near-empty source, three small packs; exactly 400 bytes (every field is fixed-width). */
export function backupShrunkOutput(rng: Random, day: string): string {
  const lines = [
    `nightly backup ${day} (source /srv/data, repository ${BACKUP_REPOSITORY})`,
    'scan: 3 files (last run 18000+), 3 changed since the last snapshot',
    ...[0, 1, 2].map(() => `  put data/${rng.hex(2)}/${rng.hex(32)}.pack (0.4 MiB)`),
    `snapshot ${rng.hex(8)} saved`,
    'done: uploaded 3 objects (1.2 MiB)',
  ];
  return `${lines.join('\n')}\n`;
}

// hourly-sync ---------------------------------------------------------------------------------

const SYNC_TABLES = [
  'accounts', 'contacts', 'leads', 'opportunities', 'orders', 'order_items', 'invoices', 'invoice_lines',
  'payments', 'refunds', 'products', 'price_books', 'campaigns', 'campaign_members', 'cases', 'case_comments',
  'tasks', 'events', 'users', 'territories', 'quotes', 'quote_lines', 'contracts', 'assets', 'subscriptions',
  'usage_records', 'shipments', 'returns', 'notes', 'attachments_meta',
] as const;

export type SyncMode = 'normal' | 'zero-errors' | 'no-changes' | 'traceback';

/** A Python sync script's stdout: one line per table, then a summary. */
export function syncOutput(rng: Random, windowStart: string, windowEnd: string, targetBytes: number, mode: SyncMode): string {
  const lines = [
    `sync window ${windowStart}..${windowEnd}`,
    'source postgres://crm-replica.internal:5432/crm -> warehouse analytics.crm',
  ];
  let size = lines.reduce((n, l) => n + l.length + 1, 0);
  let upserted = 0;
  let skipped = 0;
  const footerAllowance = mode === 'zero-errors' ? 60 : 48;
  for (let i = 0; ; i++) {
    const table = SYNC_TABLES[i % SYNC_TABLES.length];
    const changed = mode === 'no-changes' ? 0 : rng.int(0, 480);
    const skip = changed > 0 && rng.chance(0.08) ? rng.int(1, 3) : 0;
    const line = `table ${table}: ${changed} changed, ${changed - skip} upserted${skip ? `, ${skip} skipped` : ''}`;
    if (!bringsCloser(size, line.length + 1, targetBytes - footerAllowance)) break;
    upserted += changed - skip;
    skipped += skip;
    lines.push(line);
    size += line.length + 1;
  }
  if (mode === 'traceback') {
    lines.push(
      'table invoices: fetch failed, table skipped',
      'Traceback (most recent call last):',
      '  File "/opt/sync/sync.py", line 214, in sync_table',
      '    rows = source.fetch_changes(table, since=cursor)',
      '  File "/opt/sync/source.py", line 88, in fetch_changes',
      '    cur.execute(query, params)',
      'psycopg2.errors.QueryCanceled: canceling statement due to statement timeout',
      `sync complete: ${upserted} records upserted, ${skipped} skipped, 1 table skipped`,
    );
  } else if (mode === 'zero-errors') {
    lines.push(`sync complete: 0 errors (${upserted} records upserted, ${skipped} skipped)`);
  } else {
    lines.push(`sync complete: ${upserted} records upserted, ${skipped} skipped`);
  }
  return `${lines.join('\n')}\n`;
}

// daily-report --------------------------------------------------------------------------------

const REPORT_REGIONS = ['eu-central', 'eu-west', 'us-east', 'ap-southeast'] as const;
const REPORT_CHANNELS = ['web', 'ios', 'android', 'partner', 'phone', 'retail'] as const;

/** The report's JSON, one row per region and channel. */
export function reportOutput(rng: Random): string {
  const rows: string[] = [];
  for (const region of REPORT_REGIONS) {
    for (const channel of REPORT_CHANNELS) {
      const orders = rng.int(40, 2_400);
      const revenue = (orders * rng.normal(38, 4)).toFixed(2);
      rows.push(JSON.stringify({ region, channel, orders, revenue_eur: Number(revenue) }));
    }
  }
  return `{"rows": [${rows.join(', ')}]}\n`;
}

export const EMPTY_REPORT_OUTPUT = '{"rows": []}\n';

export interface ReportFailure {
  readonly output: string;
  readonly errorType: string;
  readonly errorMessage: string;
  readonly stack: string[];
}

export const REPORT_FAILURES: Record<'db-timeout' | 'mail-503', ReportFailure> = {
  'db-timeout': {
    errorType: 'Error',
    errorMessage: 'connect ETIMEDOUT 10.0.3.17:5432',
    stack: ['Error: connect ETIMEDOUT 10.0.3.17:5432', '    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1607:16)'],
    output: 'querying sales_daily for the previous business day\nError: connect ETIMEDOUT 10.0.3.17:5432\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1607:16)\n',
  },
  'mail-503': {
    errorType: 'AxiosError',
    errorMessage: 'Request failed with status code 503',
    stack: [
      'AxiosError: Request failed with status code 503',
      '    at settle (/var/task/node_modules/axios/dist/node/axios.cjs:2031:12)',
      '    at IncomingMessage.handleStreamEnd (/var/task/node_modules/axios/dist/node/axios.cjs:3148:11)',
    ],
    output:
      'querying sales_daily for the previous business day\nrendered 24 rows\nPOST https://mail.internal.example.com/v1/send failed (503), retry 1/3\nPOST https://mail.internal.example.com/v1/send failed (503), retry 2/3\nPOST https://mail.internal.example.com/v1/send failed (503), retry 3/3\nAxiosError: Request failed with status code 503\n    at settle (/var/task/node_modules/axios/dist/node/axios.cjs:2031:12)\n',
  },
};

// invoice-export ------------------------------------------------------------------------------

export function invoiceOutput(rng: Random, day: string): string {
  const invoices = rng.int(240, 420);
  const pages = Math.ceil(invoices / 100);
  const path = day.replaceAll('-', '/');
  return [
    `export window ${day} (UTC)`,
    `fetched ${invoices} invoices from billing-api (${pages} pages)`,
    `wrote s3://acme-finance-exports/invoices/${path}/invoices.csv (${(invoices * rng.normal(0.59, 0.02)).toFixed(1)} KiB, ${invoices + 1} lines)`,
    `checksum sha256 ${rng.hex(64)}`,
    'notified finance-eng@example.com',
    `exported ${invoices} invoices`,
    '',
  ].join('\n');
}

// cache-warmer --------------------------------------------------------------------------------

const CACHE_NAMESPACES = ['product-pages', 'search-facets', 'price-lists'] as const;

export function cacheWarmerOutput(rng: Random, durationMs: number): string {
  const lines = [`warming ${CACHE_NAMESPACES.length} namespaces: ${CACHE_NAMESPACES.join(', ')}`];
  let keys = 0;
  for (const namespace of CACHE_NAMESPACES) {
    const refreshed = rng.int(100, 480);
    keys += refreshed;
    lines.push(`${namespace}: ${refreshed} keys refreshed (hit ratio 0.${rng.int(90, 99)})`);
  }
  lines.push(`done: ${keys} keys in ${(durationMs / 1000).toFixed(1)} s`);
  return `${lines.join('\n')}\n`;
}
