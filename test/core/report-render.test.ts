import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../lambdas/config.ts';
import { boundEvidence } from '../../lambdas/core/findings.ts';
import { buildReport } from '../../lambdas/core/report/build-report.ts';
import { buildCoverage } from '../../lambdas/core/report/coverage.ts';
import { monthSpan } from '../../lambdas/core/report/month.ts';
import { gatherReportInput } from '../../lambdas/core/report/monthly-report.ts';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { REPORT_SECTIONS } from '../../lambdas/core/report/model.ts';
import { ownerKeyOf } from '../../lambdas/core/report/subjects.ts';
import { reportNotice } from '../../lambdas/core/report/notice.ts';
import { renderHtml } from '../../lambdas/core/report/render-html.ts';
import { renderJson } from '../../lambdas/core/report/render-json.ts';
import { barChart, SEVERITY_COLOR } from '../../lambdas/core/report/svg-charts.ts';
import { trendArrow } from '../../lambdas/core/report/format.ts';
import { reportExampleSvg } from '../../scripts/draw-report-example.ts';
import { md, mdCode, renderMarkdown } from '../../lambdas/core/report/render-markdown.ts';
import { finding, jobState, octoberInput, RAW_CONFIG, runRecord } from './report-fixtures.ts';

/** A subject and messages as hostile logs could write them. */
const HOSTILE_JOB = '<script>alert("job")</script>';
const HOSTILE_MESSAGE = 'exited 0 but wrote <img src=x onerror=alert(1)> | [click](http://evil.example) **bold**';

function hostileReport() {
  const input = octoberInput();
  return buildReport({
    ...input,
    findings: [
      ...input.findings,
      finding('error-keyword', HOSTILE_JOB, '2026-10-05T10:00:00Z', { run_id: 'h-1', message: HOSTILE_MESSAGE, evidence: { keyword: 'FATAL', excerpt: '<b>FATAL</b>' } }),
    ],
    runs: [...input.runs, runRecord(HOSTILE_JOB, 'h-1', '2026-10-05T10:00:00Z')],
  });
}

describe('renderHtml', () => {
  const html = renderHtml(hostileReport());

  it('is one page with every section heading, in order, and a table of contents', () => {
    // Act
    const headings = [...html.matchAll(/<h2 id="([a-z]+)-h">([^<]+)<\/h2>/g)].map((m) => [m[1], m[2]]);

    // Assess
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html).toContain('<h1>Monthly audit report: October 2026</h1>');
    expect(headings).toEqual(REPORT_SECTIONS.map((s) => [s.id, s.title]));
    for (const s of REPORT_SECTIONS) expect(html).toContain(`<a href="#${s.id}">${s.title}</a>`);
  });

  it('draws three inline SVG charts, each labelled for screen readers', () => {
    // Act
    const charts = [...html.matchAll(/<svg class="chart" role="img" aria-labelledby="([\w-]+)-title \1-desc"/g)].map((m) => m[1]);

    // Assess
    expect(charts).toEqual(['chart-days', 'chart-detectors', 'chart-subjects']);
    expect(html).toContain('<title id="chart-days-title">Findings per day, October 2026</title>');
    expect(html).toContain('<desc id="chart-days-desc">Bar chart of findings per day from 2026-10-01 to 2026-10-31, stacked by severity; the busiest day was 2026-10-09 with 2. Weekends are shaded.</desc>');
    expect(html).toContain('<title>2026-10-12: 2 findings (2 medium)</title>');
  });

  it('loads nothing from outside the page: no script, stylesheet link, image, font or external URL', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/<[^>]*\ssrc=/i);
    expect(html).not.toMatch(/<[^>]*\shref="(?!#)/i);
    expect(html).not.toMatch(/@import|url\(|@font-face/i);
    expect(html.match(/="[a-z]+:\/\/[^"]*"/gi)).toEqual(['="http://www.w3.org/2000/svg"', '="http://www.w3.org/2000/svg"', '="http://www.w3.org/2000/svg"']);
  });

  it('escapes every string that came from logs', () => {
    expect(html).toContain('&lt;script&gt;alert(&quot;job&quot;)&lt;/script&gt;');
    expect(html).toContain('exited 0 but wrote &lt;img src=x onerror=alert(1)&gt; | [click](http://evil.example) **bold**');
    expect(html).toContain('&lt;b&gt;FATAL&lt;/b&gt;');
    expect(html).not.toContain(HOSTILE_JOB);
    expect(html).not.toContain('<img src=x');
  });

  it('shows the control and bidi characters of log text escaped, as the Markdown does, so neither `cat` nor a browser acts on them', () => {
    // Prepare: unowned failed jobs whose names retitle a terminal and turn `exe.png` around
    const terminal = 'job\u001b]0;pwned\u0007\u001b[2J';
    const reversed = 'invoice\u202egnp.exe';
    const input = octoberInput();
    const report = buildReport({
      ...input,
      findings: [...input.findings, finding('run-failed', terminal, '2026-10-05T04:00:00Z', { run_id: 't-1' }), finding('run-failed', reversed, '2026-10-05T05:00:00Z', { run_id: 'r-1', message: 'line one\nline two' })],
      runs: [...input.runs, runRecord(terminal, 't-1', '2026-10-05T04:00:00Z', 'failed'), runRecord(reversed, 'r-1', '2026-10-05T05:00:00Z', 'failed')],
    });

    // Act
    const page = renderHtml(report);

    // Assess: no control character but the page's own newlines; names as the Markdown shows them, in cells, headings, advice and chart labels; a message's line break as a space
    expect(page).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
    expect(page).toContain('<strong>job\\x1b]0;pwned\\x07\\x1b[2J</strong>');
    expect(page).toContain('<span class="title"><code>run-failed</code> on invoice\\u202egnp.exe</span>');
    expect(page).toContain('(set <code>jobs[&quot;invoice\\u202egnp.exe&quot;].owner</code>)');
    expect(page).toContain('<title>invoice\\u202egnp.exe: 1</title>');
    expect(page).toContain('line one line two');
    expect(renderHtml(report)).toBe(page);
  });

  it('prints well: a print stylesheet keeping the table of contents in the flow, and cards kept whole', () => {
    const print = html.slice(html.indexOf('@media print'));
    expect(print).toContain('nav.toc { position: static;');
    expect(print).toContain('break-inside: avoid');
    expect(print).toContain('thead { display: table-header-group; }');
  });

  it('marks UNKNOWN subjects, statuses and overdue actions in words, not only in colour', () => {
    expect(html).toContain('<span class="pill unknown">UNKNOWN</span>');
    expect(html).toContain('<span class="pill recurring">recurring</span>');
    expect(html).toContain('<span class="pill resolved">resolved</span>');
    expect(html).toContain('<span class="pill unverified">unverified (no data)</span>');
    expect(html).toContain('<span class="pill expired">EXPIRED</span>');
  });
});

describe('renderMarkdown', () => {
  it('labels an exception count the store could not give up to the report\'s end "(all time)", with no time that its own last bypass could contradict', () => {
    // Prepare
    const report = buildReport(octoberInput({ exceptionCountsAllTime: ['EX-12'] }));

    // Act
    const markdown = renderMarkdown(report);
    const html = renderHtml(report);

    // Assess
    expect(report.exceptions.rows.find((r) => r.id === 'EX-12')?.countsAllTime).toBe(true);
    expect(report.exceptions.rows.find((r) => r.id === 'EX-7')?.countsAllTime).toBeUndefined();
    expect(markdown).toContain('| 14 (all time) |');
    expect(html).toContain('14 (all time)');
    expect(markdown).not.toContain('as of');
  });

  const text = renderMarkdown(hostileReport());

  it('has every section as a second-level heading, in order, under one title', () => {
    // Act
    const headings = text.split('\n').filter((l) => l.startsWith('#'));

    // Assess
    expect(headings[0]).toBe('# Monthly audit report: October 2026');
    expect(headings.filter((h) => h.startsWith('## '))).toEqual(REPORT_SECTIONS.map((s) => `## ${s.title}`));
    expect(headings.filter((h) => h.startsWith('### ')).length).toBe(11);
  });

  it('writes the 5 Cs of each group', () => {
    // Act
    const group = text.slice(text.indexOf('`output-shrink` on nightly-backup'), text.indexOf('### 3.'));

    // Assess
    for (const c of ['**Criteria.**', '**Condition.**', '**Cause.**', '**Consequence.**', '**Corrective action.**']) expect(group).toContain(c);
    expect(group).toContain('Owner: data-platform@example.com. Due: **2026-11-08**. Status: **new** (open since 2026-10).');
    expect(group).toContain('  - `output_bytes`: 400 B / 410 B / 420 B (min / median / max)');
  });

  it('renders coverage as a table with UNKNOWN called out', () => {
    expect(text).toContain('| Kind | Subject | Status | Runs | Failed | History | Findings | Owner | Note |');
    expect(text).toContain('| job | report-mailer | **UNKNOWN** | 2 | 0 | 2/5 | 0 | _unassigned_ | too little history: 2 of 5 runs, so the baseline checks were not active yet (jobs.report-mailer.min\\_history sets how many) |');
    expect(text).toContain('| job | monthly-close | **UNKNOWN** | 0 | 0 | – | 0 | finance-eng@example.com | no data: configured, but nothing from it has ever been seen |');
  });

  it('counts a route’s requests and an agent’s runs in their sections', () => {
    expect(text).toContain('| Route | Status | Requests | Findings | Worst measured | Limits | Owner |');
    expect(text).toMatch(/^\| search-api \| \*\*FINDINGS\*\* \| 1,240, 3\.3% retried \| 2: `retry-latency` ×1, `retry-rate` ×1 \|/m);
    expect(text).toMatch(/^\| support-bot \| \*\*FINDINGS\*\* \| 3 \| 2: `budget-exceeded` ×1, `cost-outlier` ×1 \|/m);
  });

  it('makes log text inert: no HTML, links, emphasis or broken tables', () => {
    const outsideCode = text.replace(/(`+)[^`]*?\1/g, '');
    expect(outsideCode).not.toMatch(/(?<!\\)<[a-z/]/i);
    expect(text).toContain('\\<script\\>alert("job")\\</script\\>');
    expect(text).toContain('exited 0 but wrote \\<img src=x onerror=alert(1)\\> \\| \\[click\\](http://evil.example) \\*\\*bold\\*\\*');
    expect(md('a|b\nc')).toBe('a\\|b c');
    expect(mdCode('x`y|z')).toBe('`` x`y\\|z ``');
    expect(mdCode('output_bytes')).toBe('`output_bytes`');
  });

  it('shows the control characters of log text escaped, so `cat report.md` in a terminal shows what the logs said', () => {
    // Prepare: a job and a message that would erase rows and turn text around in a terminal
    const job = 'nightly\u001b[2K\u001b[1Aevil';
    const input = octoberInput();
    const report = buildReport({
      ...input,
      findings: [...input.findings, finding('error-keyword', job, '2026-10-05T10:00:00Z', { run_id: 'e-1', message: 'FATAL\u0008\u0008\u0008\u0008\u0008ok \u202Egnp.exe', evidence: { keyword: 'FATAL', excerpt: 'x\u009b2J' } })],
      runs: [...input.runs, runRecord(job, 'e-1', '2026-10-05T10:00:00Z')],
    });

    // Act
    const rendered = renderMarkdown(report);

    // Assess: no control character but the document's own newlines
    expect(rendered).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(rendered).toContain('nightly\\x1b\\[2K\\x1b\\[1Aevil');
    expect(rendered).toContain('FATAL\\x08\\x08\\x08\\x08\\x08ok \\u202egnp.exe');
    expect(md('a\u001bb\u202Ec')).toBe('a\\x1bb\\u202ec');
    expect(mdCode('a\u001b|b')).toBe('`a\\x1b\\|b`');
  });

  it('names the config key of an unowned job holding a pipe without a backslash, outside any table', () => {
    // Prepare: a job named by its command, with a pipe, with no owner, that failed
    const job = 'pg_dump app | gzip > /b/app.gz';
    const input = octoberInput();
    const report = buildReport({
      ...input,
      findings: [...input.findings, finding('run-failed', job, '2026-10-05T04:00:00Z', { run_id: 'pg-1' })],
      runs: [...input.runs, runRecord(job, 'pg-1', '2026-10-05T04:00:00Z', 'failed')],
    });

    // Act
    const rendered = renderMarkdown(report);

    // Assess
    expect(rendered).toContain('_unassigned: set `jobs["pg_dump app | gzip > /b/app.gz"].owner` in the config_');
  });
});

describe('evidence in its own unit', () => {
  /** Findings with the evidence their detectors write: a `ratio` is a multiple for some, a threshold for output-shrink. */
  function unitsReport() {
    const input = octoberInput();
    const route = { kind: 'route' as const, severity: 'medium' as const };
    return buildReport({
      ...input,
      findings: [
        finding('retry-latency', 'search-api', '2026-10-07T10:15:00Z', {
          ...route,
          message: 'p99 end-to-end latency of search-api was 21.6 s in the hour to 2026-10-07T10:15:00Z, 91× the p99 of single attempts (238 ms)',
          evidence: { window: 'hour', requests: 200, retried: 96, attempts: 368, p99_e2e_ms: 21_600, p99_attempt_ms: 238, ratio: 91, limits: ['attempts'] },
        }),
        finding('cost-outlier', 'support-bot', '2026-10-06T15:00:00Z', {
          kind: 'agent',
          run_id: 'sb-106',
          message: 'run sb-106 cost $0.76 across 5 runs, 6.3× the median $0.12 of the previous 6 runs',
          evidence: { metric: 'cost_usd', value: 0.76, median: 0.12, ratio: 6.3, factor: 5, window: 6, runs: 5 },
        }),
        // One stored before output-shrink wrote its `share`, one after.
        finding('output-shrink', 'nightly-backup', '2026-10-20T03:10:00Z', {
          run_id: 'nb-2026-10-20',
          message: 'output 412 B is 6% of the median 6.8 KiB of the last 20 runs',
          evidence: { output_bytes: 412, median: 6963, window: 20, ratio: 0.3 },
        }),
        finding('output-shrink', 'nightly-backup', '2026-10-21T03:10:00Z', {
          run_id: 'nb-2026-10-21',
          message: 'output 412 B is 6% of the median 6.8 KiB of the last 20 runs',
          evidence: { output_bytes: 412, median: 6963, window: 20, share: 0.0592, ratio: 0.3 },
        }),
        finding('audit-trail-drift', 'etl-loader', '2026-10-22T06:00:00Z', {
          message: 'audit records at 40% of the expected 5 per run (configured) over the last 10 runs: 20 of 50',
          evidence: { completeness: 0.4, expected_per_run: 5, basis: 'configured', threshold: 0.9, window_runs: 10, records: 20, expected_records: 50, runs_below: 10 },
        }),
        finding('duration-slow', 'cache-warmer', '2026-10-08T00:15:00Z', {
          severity: 'medium',
          run_id: 'cw-7',
          message: 'run took 10 min, 5.0× the median 2.0 min of the last 9 runs',
          evidence: { duration_ms: 600_000, median: 120_000, window: 9, factor: 3 },
        }),
      ],
    });
  }
  const text = renderMarkdown(unitsReport());
  const card = (detector: string) => {
    const start = text.indexOf(`\`${detector}\` on`);
    return text.slice(start, text.indexOf('- **Cause.**', start));
  };

  it('shows multiples as multiples, not as percentages', () => {
    // Assess
    expect(card('retry-latency')).toContain('  - `ratio`: 91×\n');
    expect(card('cost-outlier')).toContain('  - `ratio`: 6.3×\n');
    expect(card('cost-outlier')).toContain('  - `factor` (threshold): 5×\n');
    expect(card('duration-slow')).toContain('  - `factor` (threshold): 3×\n');
    expect(text).toMatch(/^\| search-api \|.*\| requests 200, retried 96, attempts 368, p99\\_e2e\\_ms 22 s, p99\\_attempt\\_ms 238 ms, ratio 91× \|/m);
    expect(text).not.toMatch(/9100%|630%/);
  });

  it('shows a cost outlier’s cost and median in dollars', () => {
    // Assess
    expect(card('cost-outlier')).toContain('  - `value`: $0.76\n');
    expect(card('cost-outlier')).toContain('  - `median`: $0.12\n');
    expect(card('cost-outlier')).toContain('Baseline: the median of the previous normal runs: $0.12 over the last 6 runs.');
  });

  it('labels a threshold as the threshold and shows the measured share beside it', () => {
    // Act
    const html = renderHtml(unitsReport());

    // Assess
    expect(card('output-shrink')).toContain('  - `ratio` (threshold): 30%\n');
    expect(card('output-shrink')).toContain('  - `share`: 5.9%\n');
    expect(card('audit-trail-drift')).toContain('  - `completeness`: 40%\n');
    expect(card('audit-trail-drift')).toContain('  - `threshold`: 90%\n');
    expect(html).toContain('<li><code>ratio</code> (threshold): 30%</li>');
  });
});

describe('renderJson', () => {
  it('is the report model itself, which reads back equal', () => {
    // Prepare
    const report = buildReport(octoberInput());

    // Act
    const json = renderJson(report);

    // Assess
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(report)));
    expect(json.endsWith('}\n')).toBe(true);
  });
});

describe('reportNotice', () => {
  const published = {
    location: 's3://audit-reports/reports/2026-10/',
    documents: [
      { format: 'md' as const, uri: 's3://audit-reports/reports/2026-10/audit-report-2026-10.md' },
      { format: 'html' as const, uri: 's3://audit-reports/reports/2026-10/audit-report-2026-10.html' },
    ],
  };

  it('fits an SNS subject (ASCII, under 100 characters) and says where the report is', () => {
    // Act
    const notice = reportNotice(buildReport(octoberInput()), published);

    // Assess
    expect(notice.subject).toBe('silent-audit October 2026 report: 27 findings (+23), 8 open, 3 UNKNOWN');
    expect(notice.subject.length).toBeLessThan(100);
    expect(notice.subject).toMatch(/^[\x20-\x7e]+$/);
    expect(notice.severity).toBe('high');
    expect(notice.message).toContain('Findings: 27 (+23 vs September 2026): critical 0, high 24, medium 3, low 0');
    expect(notice.message).toContain('Report: s3://audit-reports/reports/2026-10/');
    expect(notice.message).toContain('  HTML: s3://audit-reports/reports/2026-10/audit-report-2026-10.html');
    expect(notice.message).toContain('  1. HIGH run-failed on etl-loader: 2 findings from 2026-10-03 to 2026-10-17 (recurring)');
  });

  it('is low severity with nothing open', () => {
    // Act
    const notice = reportNotice(buildReport(octoberInput({ findings: [], previousFindings: [] })), published);

    // Assess
    expect(notice.severity).toBe('low');
    expect(notice.subject).toBe('silent-audit October 2026 report: 0 findings (0), 0 open, 3 UNKNOWN');
  });
});

describe('the thresholds appendix', () => {
  it('marks a default the config sets as set there though it sets the built-in value, and one it leaves out as built-in', () => {
    // Prepare: min_history set to 5, the built-in value; grace_minutes set to 30; baseline_window not set
    const config = validateConfig({ defaults: { min_history: 5, grace_minutes: 30 } });
    const report = buildReport(octoberInput({ config }));

    // Act
    const markdown = renderMarkdown(report);
    const html = renderHtml(report);

    // Assess
    expect(markdown).toContain('| `min_history` | 5 | configured |');
    expect(markdown).toContain('| `grace_minutes` | 30 | configured |');
    expect(markdown).toContain('| `baseline_window` | 20 | _built-in_ |');
    expect(html).toContain('<tr><td class="nowrap"><code>min_history</code></td><td>5</td><td class="nowrap">in the config</td></tr>');
    expect(html).toContain('<tr><td class="nowrap"><code>baseline_window</code></td><td>20</td><td class="nowrap"><span class="note">built-in</span></td></tr>');
  });
});

describe('chart labels', () => {
  it('cuts a long label before an emoji rather than through it', () => {
    // Prepare: the 26th UTF-16 unit of the label is the first half of 🚀.
    const label = `${'x'.repeat(24)}🚀rocket-job`;

    // Act
    const svg = barChart([{ label, count: 3 }], { id: 'c', title: 'Findings per subject', color: '#000' });

    // Assess
    const shown = /font-size="12" fill="#3e4c59">([^<]*)<\/text>/.exec(svg)?.[1];
    expect(shown).toBe(`${'x'.repeat(24)}…`);
  });
});

describe('evidence cut for its size', () => {
  it('is said to be cut, and its size is not shown as a measurement', () => {
    // Prepare: a budget-exceeded finding whose evidence (a tree of 3,000 sub-agent runs) is over the 64 KiB limit.
    const tree = Array.from({ length: 3000 }, (_, i) => ({ run: `sub-${i}`, actions: 1, cost_usd: 0.0003 }));
    const cut = boundEvidence(finding('budget-exceeded', 'support-bot', '2026-10-06T10:00:00Z', { kind: 'agent', run_id: 'r1', evidence: { actions: 34, max_actions: 20, tree } }));
    const report = buildReport({ ...octoberInput(), findings: [cut], previousFindings: [] });

    // Act
    const markdown = renderMarkdown(report);
    const html = renderHtml(report);

    // Assess
    const group = report.findings.find((g) => g.detector === 'budget-exceeded')!;
    expect(group.condition.evidence.map((s) => s.key)).toEqual(['actions', 'max_actions']);
    expect(group.condition.evidenceCut).toBe(1);
    expect(markdown).not.toContain('evidence_bytes');
    expect(markdown).toContain('  - Evidence cut on 1 finding: it was over 64 KiB of JSON, so only its short fields are shown');
    expect(html).toContain('<p class="note">Evidence cut on 1 finding: it was over 64 KiB of JSON');
  });
});

describe('a finding over a window that ends at midnight on the 1st', () => {
  it('is dated in its card by the last day of the month it judged, in Markdown and HTML', () => {
    // Prepare: October's month window of a route, stamped with its end, 2026-11-01T00:00:00Z.
    const october = finding('retry-rate', 'search-api', '2026-11-01T00:00:00Z', {
      kind: 'route',
      severity: 'medium',
      evidence: { window: 'month', from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z', requests: 310, retried: 62, rate: 0.2 },
    });
    const report = buildReport({ ...octoberInput(), findings: [october], previousFindings: [], runs: [] });

    // Act
    const markdown = renderMarkdown(report);
    const html = renderHtml(report);

    // Assess
    expect(markdown).toContain('- **Condition.** 1 finding, 2026-10-31 23:59 UTC (September 2026: 0).');
    expect(markdown).toContain('  - Over its window from 2026-10-01 to 2026-10-31 rather than in one burst');
    expect(html).toContain('<p>1 finding: 2026-10-31 23:59 UTC. September 2026: 0.</p>');
    expect(html).toContain('Over its window from 2026-10-01 to 2026-10-31 rather than in one burst');
    expect(`${markdown}\n${html}`).not.toMatch(/2026-11-01 00:00 UTC|\(2026-11-01\)|on 2026-11-01/);
  });
});

describe('a fleet month', () => {
  it('renders a findings section of more lines than a call takes arguments (8,000 groups), in order', () => {
    // Prepare: the October report's first group as 12,000 groups (over 150,000 lines of markdown)
    const report = buildReport(octoberInput());
    const many = { ...report, findings: Array.from({ length: 12_000 }, () => report.findings[0]) };

    // Act
    const markdown = renderMarkdown(many);

    // Assess
    expect(markdown.split('\n').length).toBeGreaterThan(150_000);
    expect(markdown).toContain('### 12000. ');
    expect(markdown.indexOf('## Findings')).toBeLessThan(markdown.indexOf('### 1. '));
  });

  it("gathers a job's 200,000 run records of the month (one every 10 s) without overflowing the call stack", async () => {
    // Prepare: the run store holds a job run every 10 s through October
    const from = Date.parse('2026-10-01T00:00:00Z');
    const runs = Array.from({ length: 200_000 }, (_, i) => runRecord('tick', `t${i}`, new Date(from + i * 10_000).toISOString()));
    const store = new MemoryAuditStore();
    const sources = { findings: store, catalog: store, runs: { runs: async (key: string) => (key === 'job#tick' ? runs : []) }, config: validateConfig({ jobs: { tick: {} } }), clock: { now: () => Date.parse('2026-11-01T06:00:00Z') } };

    // Act
    const input = await gatherReportInput('2026-10', sources);

    // Assess
    expect(input.runs).toHaveLength(200_000);
    expect(input.runs[199_999].run_id).toBe('t199999');
  });
});

describe('a subject first seen after the month', () => {
  it('leaves out one not configured, shows a configured one as not yet seen, never UNKNOWN, alike in JSON, HTML, Markdown and the notice', () => {
    // Prepare: two jobs first ran on 1 November before the 06:00 report on October; only early-job is configured.
    const config = validateConfig({ ...RAW_CONFIG, jobs: { ...RAW_CONFIG.jobs, 'early-job': {} } }, 'report test config');
    const input = octoberInput({ config });
    const after = [
      { kind: 'job' as const, name: 'dawn-job', state: jobState('dawn-job', 1, '2026-11-01T00:30:00Z', '2026-11-01T00:31:00Z'), runsAfterMonth: 1 },
      { kind: 'job' as const, name: 'early-job', state: jobState('early-job', 1, '2026-11-01T01:00:00Z', '2026-11-01T01:01:00Z'), runsAfterMonth: 1 },
    ];
    const without = buildReport(octoberInput());

    // Act
    const report = buildReport({ ...input, subjects: [...input.subjects, ...after] });
    const json = JSON.parse(renderJson(report)) as typeof report;
    const html = renderHtml(report);
    const text = renderMarkdown(report);

    // Assess
    expect(json.coverage.rows.map((r) => r.name)).not.toContain('dawn-job');
    expect(json.coverage.rows.find((r) => r.name === 'early-job')).toMatchObject({
      status: 'later',
      reason: 'first seen after October 2026, on 2026-11-01T01:00:00Z: nothing to judge in it',
    });
    expect(json.coverage.counts).toEqual({ ...without.coverage.counts, monitored: without.coverage.counts.monitored + 1, later: 1 });
    expect(json.summary.coverage).toEqual(json.coverage.counts);
    expect(html).not.toContain('dawn-job');
    expect(html).toMatch(/<strong>early-job<\/strong><\/td><td><span class="pill later">NOT YET SEEN<\/span>/);
    expect(text).toContain('| job | early-job | NOT YET SEEN | 0 | 0 | 0/5 | 0 |');
    expect(text).not.toContain('dawn-job');
    expect(html).toMatch(/<li class="kpi[^"]*"><span class="label">UNKNOWN subjects<\/span>.*?· 1 NOT YET SEEN<\/span><\/li>/);
    expect(renderHtml(without)).not.toContain('NOT YET SEEN');
    expect(reportNotice(report, { location: 's3://reports/2026-10/', documents: [] }).message).toContain(
      `${without.coverage.counts.unknown} UNKNOWN, 1 NOT YET SEEN (first seen after October 2026)`,
    );
  });

  it('never takes an agent whose kept root runs are all after the month for one first seen then: it keeps only its latest 60', () => {
    // Prepare: triage ran hourly all October and since; its state keeps its newest 60 ended roots, all from 11 November; its October runs are past the 30 days kept
    const november = Date.parse('2026-11-11T00:00:00Z');
    const history = Array.from({ length: 60 }, (_, i) => ({ run_id: `r${i}`, started_at: november + i * 3_600_000 - 60_000, ended_at: november + i * 3_600_000 }));
    const state = { agent: 'triage', history, judged: [], open: [], roots: 1500, subagents_since: 0 };
    const configured = validateConfig({ agents: { triage: { owner: 'ai@example.com' } } }, 'report test config');
    const cover = (config: typeof configured) =>
      buildCoverage({ span: monthSpan('2026-10'), subjects: [{ kind: 'agent', name: 'triage', state }], runs: [], findings: [], config, now: Date.parse('2026-12-06T12:00:00Z'), runRetentionDays: 30 });

    // Act
    const rows = [cover(validateConfig({}, 'empty')), cover(configured)].map((c) => c.rows);

    // Assess: in the month's coverage, UNKNOWN as its runs there may be gone, not left out nor 'first seen after'
    for (const row of rows) expect(row).toEqual([expect.objectContaining({ name: 'triage', status: 'unknown', reason: expect.stringMatching(/^run records not kept for October 2026/) })]);
  });
});

describe('bypasses without a valid exception', () => {
  it('counts those under an expired exception, not only unregistered ones, in Markdown and HTML', () => {
    // Prepare: every bypass of the month was made under EX-7, expired; cost-cap's under no exception at all
    const expired = finding('guard-exception-expired', 'schema-validator', '2026-10-12T10:00:00Z', { kind: 'guard', evidence: { exception_id: 'EX-7' } });
    const onlyExpired = buildReport(octoberInput({ findings: [expired], previousFindings: [] }));
    const both = buildReport(
      octoberInput({ findings: [expired, finding('guard-bypass-unregistered', 'cost-cap', '2026-10-24T09:00:00Z', { kind: 'guard', evidence: { problem: 'no-exception' } })], previousFindings: [] }),
    );

    // Act
    const outputs = [renderMarkdown(onlyExpired), renderHtml(onlyExpired)];
    const mixed = renderMarkdown(both);

    // Assess
    for (const text of outputs) {
      expect(text).not.toContain('No bypass without a valid exception');
      expect(text).toMatch(/Bypasses without a valid exception this month: (<strong>)?schema-validator(<\/strong>)? ×1 \(1 under an expired or revoked exception; last 2026-10-12\)\./);
    }
    expect(mixed).toContain('Bypasses without a valid exception this month: cost-cap ×1 (1 unregistered; last 2026-10-24), schema-validator ×1 (1 under an expired or revoked exception; last 2026-10-12).');
  });
});

describe("the README's picture of the report (scripts/draw-report-example.ts)", () => {
  it('shows the report’s own headline and key numbers, as its HTML cards give them, the month before compared', () => {
    // Prepare
    const report = buildReport(octoberInput());

    // Act
    const svg = reportExampleSvg(report);
    const html = renderHtml(report);

    // Assess
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain(`>Monthly audit report: October 2026</text>`);
    for (const card of ['Findings', 'High or critical', 'Subjects affected', 'Open groups', 'UNKNOWN subjects', 'Exceptions to review']) {
      expect(html).toContain(`<span class="label">${card}</span>`);
      expect(svg).toContain(`>${card}</text>`);
    }
    expect(svg).toContain(`>${report.summary.findings.current}</text>`);
    expect(svg).toContain(`${trendArrow(report.summary.findings)}</tspan> vs September 2026 (${report.summary.findings.previous})</text>`);
    expect(svg).toContain(report.summary.headline.split(' ').slice(0, 6).join(' '));
  });

  it('is well-formed XML when a name in it holds a control character or a lone surrogate, shown escaped as the terminal shows it', () => {
    // Prepare: a highlight naming a job whose log wrote a BEL, a form feed and half a surrogate pair into its name.
    const report = buildReport(octoberInput());
    const named = { ...report, summary: { ...report.summary, highlights: ['HIGH missed-run on back\u0007up\u000c: x <&> "q" \ud800'] } };

    // Act
    const svg = reportExampleSvg(named);

    // Assess: no character XML 1.0 forbids (C0 controls but tab, LF and CR, U+FFFE, U+FFFF, a lone surrogate), the name still readable.
    expect(svg.match(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g)).toBeNull();
    expect(svg).toContain('HIGH missed-run on back\\x07up\\x0c: x &lt;&amp;&gt; &quot;q&quot; \ufffd</text>');
  });
});

describe('the first month monitored', () => {
  /** October with nothing stored of September: the job first seen on 1 October, its runs and findings October's only. */
  function firstMonthReport(firstSeen = '2026-10-01T03:10:00Z') {
    const input = octoberInput();
    return buildReport({
      ...input,
      findings: input.findings.filter((f) => f.subject === 'nightly-backup'),
      previousFindings: [],
      subjects: [{ kind: 'job', name: 'nightly-backup', state: jobState('nightly-backup', 31, firstSeen, '2026-10-31T03:10:00Z') }],
      runs: input.runs.filter((r) => r.subject === 'nightly-backup' && r.ts >= '2026-10-01'),
    });
  }

  it('says so in every output rather than comparing with 0 for the month before', () => {
    // Prepare
    const report = firstMonthReport();

    // Act
    const markdown = renderMarkdown(report);
    const html = renderHtml(report);
    const json = JSON.parse(renderJson(report));
    const notice = reportNotice(report, { location: 's3://reports/2026-10/', documents: [] });

    // Assess
    expect(report.summary.findings.current).toBeGreaterThan(0);
    expect(json.summary.firstMonthMonitored).toBe(true);
    expect(json.summary.headline).toContain('(first month monitored: nothing in September 2026 to compare with)');
    expect(markdown).toContain('· first month monitored (nothing in September 2026) ·');
    expect(markdown).toMatch(/\| Findings \| \d+ \| – \| first month \|/);
    expect(markdown).not.toMatch(/vs September 2026|▲/);
    expect(html).toContain('<span class="delta">first month monitored</span>');
    expect(html).toContain('<h3>Trend: first month monitored, nothing in September 2026</h3>');
    expect(html).not.toMatch(/vs September 2026|▲/);
    expect(notice.message).toContain(`Findings: ${report.summary.findings.current} (first month monitored):`);
    expect(notice.subject).toContain('(first month)');
  });

  it('has no card compare with the month before (no "September 2026: 0")', () => {
    // Prepare
    const report = firstMonthReport();

    // Act
    const markdown = renderMarkdown(report);
    const html = renderHtml(report);

    // Assess: the cards show the month's findings, and nothing of September
    expect(report.findings.length).toBeGreaterThan(0);
    expect(markdown).toContain('- **Condition.** ');
    expect(html).toContain('<dt>Condition</dt>');
    expect(markdown).not.toContain('September 2026: 0');
    expect(html).not.toContain('September 2026: 0');
  });

  it('is not said of a month before any data (September, when everything starts on 1 October)', () => {
    // Prepare: the same store, reported for September: nothing in August, nothing in September either
    const october = firstMonthReport();
    const input = octoberInput();
    const subjects = [{ kind: 'job' as const, name: 'nightly-backup', state: jobState('nightly-backup', 31, '2026-10-01T03:10:00Z', '2026-10-31T03:10:00Z') }];

    // Act
    const september = buildReport({
      ...input,
      month: '2026-09',
      findings: input.findings.filter((f) => f.subject === 'nightly-backup'),
      previousFindings: [],
      subjects,
      runs: input.runs.filter((r) => r.subject === 'nightly-backup' && r.ts >= '2026-10-01'),
    });

    // Assess
    expect(october.summary.firstMonthMonitored).toBe(true);
    expect(september.summary.firstMonthMonitored).toBeUndefined();
    expect(september.summary.headline).not.toContain('first month monitored');
  });

  it('is not said of an agent whose state keeps only its latest root runs, all in the month: its first sighting is not known', () => {
    // Prepare: support-bot ran 93 root runs in October, and more in September; its state keeps the latest 60, all of October's.
    const at = (i: number) => Date.parse('2026-10-01T09:00:00Z') + i * 8 * 3_600_000;
    const history = (n: number) => Array.from({ length: n }, (_, i) => ({ run_id: `sb-${i}`, ended_at: at(i) }));
    const agentReport = (roots: number, kept: number) =>
      buildReport({
        ...octoberInput(),
        findings: [],
        previousFindings: [],
        subjects: [{ kind: 'agent', name: 'support-bot', state: { agent: 'support-bot', history: history(kept), judged: [], open: [], roots } }],
        runs: Array.from({ length: kept }, (_, i) => runRecord('support-bot', `sb-${i}`, new Date(at(i)).toISOString().replace('.000', ''), 'ok', 'agent')),
      });

    // Act
    const busy = agentReport(183, 60);
    const newcomer = agentReport(30, 30);

    // Assess
    expect(busy.summary.firstMonthMonitored).toBeUndefined();
    expect(busy.summary.headline).not.toContain('first month monitored');
    expect(newcomer.summary.firstMonthMonitored).toBe(true);
  });

  it('is said of a new agent whose late sub-agent reopened a root it had counted: none of its runs was let go', () => {
    // Prepare: support-bot, new in October, ended 31 root runs; a late sub-agent reopened the last one's tree, which left the history (30 kept) and stays counted.
    const at = (i: number) => Date.parse('2026-10-01T09:00:00Z') + i * 8 * 3_600_000;
    const history = Array.from({ length: 30 }, (_, i) => ({ run_id: `sb-${i}`, ended_at: at(i) }));
    const state = { agent: 'support-bot', history, judged: [{ run_id: 'sb-30', facts: 4, phase: 'ended', fired: [] }], open: [{ run_id: 'sb-30', started_at: at(30) }], roots: 31 };

    // Act
    const report = buildReport({
      ...octoberInput(),
      findings: [],
      previousFindings: [],
      subjects: [{ kind: 'agent', name: 'support-bot', state }],
      runs: Array.from({ length: 31 }, (_, i) => runRecord('support-bot', `sb-${i}`, new Date(at(i)).toISOString().replace('.000', ''), 'ok', 'agent')),
    });

    // Assess
    expect(report.summary.firstMonthMonitored).toBe(true);
  });

  it('is not said of an agent that let older runs go when a late sub-agent reopened one of those kept', () => {
    // Prepare: support-bot counted 500 root runs; its history kept the latest 60, of which a late sub-agent reopened the last one's tree (59 kept, one open and counted).
    const at = (i: number) => Date.parse('2026-10-01T09:00:00Z') + i * 12 * 3_600_000;
    const agentState = (open: { run_id: string; started_at: number }[], judged: object[]) => ({
      agent: 'support-bot',
      history: Array.from({ length: 59 }, (_, i) => ({ run_id: `sb-${i}`, ended_at: at(i) })),
      judged,
      open,
      roots: 500,
    });
    const agentReport = (state: object) =>
      buildReport({
        ...octoberInput(),
        findings: [],
        previousFindings: [],
        subjects: [{ kind: 'agent', name: 'support-bot', state }],
        runs: Array.from({ length: 60 }, (_, i) => runRecord('support-bot', `sb-${i}`, new Date(at(i)).toISOString().replace('.000', ''), 'ok', 'agent')),
      });

    // Act
    const reopened = agentReport(agentState([{ run_id: 'sb-59', started_at: at(59) }], [{ run_id: 'sb-59', facts: 4, phase: 'ended', fired: [] }]));
    const newcomer = agentReport({ ...agentState([{ run_id: 'sb-59', started_at: at(59) }], [{ run_id: 'sb-59', facts: 4, phase: 'stale', fired: [], counted: true }]), roots: 60 });

    // Assess
    expect(reopened.summary.firstMonthMonitored).toBeUndefined();
    expect(newcomer.summary.firstMonthMonitored).toBe(true);
  });

  it('compares with the month before as usual when something was seen in it', () => {
    // Prepare: the same October, the job first seen on 20 September.
    const report = firstMonthReport('2026-09-20T03:10:00Z');

    // Act
    const markdown = renderMarkdown(report);

    // Assess
    expect(report.summary.firstMonthMonitored).toBeUndefined();
    expect(report.summary.headline).toContain(`▲ ${report.summary.findings.current} vs September 2026`);
    expect(markdown).toContain('· compared with September 2026 ·');
  });
});

describe('a job renamed or removed long ago', () => {
  /** October with, besides the fixture's subjects, `old-backup` (no `jobs:` entry) last run on `lastSeen`, and `etl-loader` (configured) not seen since the same day. */
  function withOldJob(lastSeen: string) {
    const input = octoberInput();
    return buildReport({
      ...input,
      subjects: [
        ...input.subjects.filter((s) => s.name !== 'etl-loader'),
        { kind: 'job', name: 'old-backup', state: jobState('old-backup', 40, '2026-05-01T03:10:00Z', lastSeen) },
        { kind: 'job', name: 'etl-loader', state: jobState('etl-loader', 40, '2026-05-01T03:10:00Z', lastSeen) },
      ],
      runs: input.runs.filter((r) => r.subject !== 'etl-loader'),
      findings: input.findings.filter((f) => f.subject !== 'etl-loader'),
    });
  }

  it('is listed as retired with its last sighting, not counted UNKNOWN, when unconfigured and silent this month and the month before', () => {
    // Prepare
    const report = withOldJob('2026-08-20T03:10:00Z');

    // Act
    const markdown = renderMarkdown(report);
    const html = renderHtml(report);
    const json = JSON.parse(renderJson(report));

    // Assess: old-backup is retired; etl-loader, configured, stays UNKNOWN (a real silence)
    expect(report.coverage.rows.map((r) => r.name)).not.toContain('old-backup');
    expect(report.coverage.rows).toContainEqual(expect.objectContaining({ name: 'etl-loader', status: 'unknown' }));
    expect(report.coverage.retired).toEqual([{ kind: 'job', name: 'old-backup', lastSeen: '2026-08-20T03:10:00Z' }]);
    expect(json.coverage.retired).toEqual([{ kind: 'job', name: 'old-backup', lastSeen: '2026-08-20T03:10:00Z' }]);
    expect(markdown).toContain('old-backup (job): retired (last seen 2026-08-20)');
    expect(html).toContain('old-backup (job): retired (last seen 2026-08-20)');
  });

  it('stays UNKNOWN while its silence is within 3 × its rhythm: a monthly job that missed September', () => {
    // Prepare: old-close, not in the config, ran on 31 May, 30 June, 31 July and 31 August
    const input = octoberInput();
    const report = buildReport({ ...input, subjects: [...input.subjects, { kind: 'job', name: 'old-close', state: jobState('old-close', 4, '2026-05-31T05:00:00Z', '2026-08-31T05:00:00Z') }] });

    // Assess
    expect(report.coverage.rows).toContainEqual(expect.objectContaining({ name: 'old-close', status: 'unknown' }));
    expect(report.coverage.retired).toEqual([]);
  });

  it('keeps its group carried unverified from last month’s report unverified, not resolved: no run could show the fix', () => {
    // Prepare: old-backup, not in the config, last run on 20 July; September’s report left its failure group unverified
    const input = octoberInput();
    const report = buildReport({
      ...input,
      subjects: [...input.subjects, { kind: 'job', name: 'old-backup', state: jobState('old-backup', 60, '2026-05-01T03:00:00Z', '2026-07-20T03:10:00Z') }],
      carried: [{ detector: 'failure', subject: 'old-backup', status: 'unverified', openSince: '2026-07' }],
    });

    // Act
    const group = report.findings.find((g) => g.subject === 'old-backup');

    // Assess: retired, and its group still open
    expect(report.coverage.retired).toEqual([{ kind: 'job', name: 'old-backup', lastSeen: '2026-07-20T03:10:00Z' }]);
    expect(group?.status).toBe('unverified');
    expect(group?.cause.narrowed).toEqual(['No finding in October 2026, but old-backup is retired (not in the config, last seen 2026-07-20): no run could show the fix.']);
    expect(group?.correctiveAction.action).toBe('Confirm old-backup was taken out of use (or renamed, its checks moved with it) before calling this fixed.');
  });

  it('stays UNKNOWN, its group unverified, when it had a finding the month before though its last run was before it', () => {
    // Prepare: old-sync, not in the config, started its last run on 31 August and never ended it: run-unfinished on 1 September
    const input = octoberInput();
    const report = buildReport({
      ...input,
      subjects: [...input.subjects, { kind: 'job', name: 'old-sync', state: { ...jobState('old-sync', 60, '2026-07-01T23:00:00Z', '2026-08-30T23:10:00Z'), lastStartAt: Date.parse('2026-08-31T23:00:00Z') } }],
      previousFindings: [...input.previousFindings, finding('run-unfinished', 'old-sync', '2026-09-01T05:00:00Z', { message: 'old-sync run started 2026-08-31T23:00Z has not ended' })],
    });

    // Act
    const group = report.findings.find((g) => g.subject === 'old-sync');

    // Assess: something of it was seen in September (its finding), so it is no retired subject
    expect(report.coverage.retired).toEqual([]);
    expect(report.coverage.rows).toContainEqual(expect.objectContaining({ name: 'old-sync', status: 'unknown' }));
    expect(group?.status).toBe('unverified');
  });

  it('does not say none has been seen when the only subjects seen are retired', () => {
    // Prepare: an empty config; the store holds only old-backup, last run on 1 August
    const report = buildReport({
      ...octoberInput(),
      findings: [],
      previousFindings: [],
      runs: [],
      config: validateConfig({}, 'empty'),
      subjects: [{ kind: 'job', name: 'old-backup', state: jobState('old-backup', 90, '2026-05-01T03:10:00Z', '2026-08-01T03:10:00Z') }],
    });

    // Act
    const markdown = renderMarkdown(report);
    const html = renderHtml(report);

    // Assess: nothing monitored this month, the retired subject named, nothing "above" it
    expect(report.coverage.rows).toEqual([]);
    for (const text of [markdown, html]) {
      expect(text).not.toContain('none has been seen');
      expect(text).toContain('Nothing was monitored in October 2026: no subject is configured, and the 1 subject seen before is retired (below).');
      expect(text).toContain('Retired (not in the config, and nothing of it seen in September 2026 or October 2026: renamed or no longer used): old-backup (job): retired (last seen 2026-08-01).');
    }
  });

  it('stays UNKNOWN when it was seen the month before', () => {
    // Prepare
    const report = withOldJob('2026-09-20T03:10:00Z');

    // Assess
    expect(report.coverage.rows).toContainEqual(expect.objectContaining({ name: 'old-backup', status: 'unknown' }));
    expect(report.coverage.retired).toEqual([]);
  });
});

describe('a config exception the registry does not hold yet', () => {
  it('is reviewed as `exceptions list` shows it: its reason redacted, its bypass count unknown and said not stored yet', async () => {
    // Prepare: the registry is connected but empty; the config names EX-NEW with a password in its reason.
    const store = new MemoryAuditStore();
    const config = validateConfig({ exceptions: [{ id: 'EX-NEW', guard: 'pii-redaction', reason: 'approved, see password=hunter2hunter2', owner: 'ops@example.com', expires: '2026-12-20' }] });
    const sources = { findings: store, catalog: store, runs: store, exceptions: { list: async () => [], get: async () => undefined }, config, clock: { now: () => Date.parse('2026-11-01T06:00:00Z') } };

    // Act
    const report = buildReport(await gatherReportInput('2026-10', sources));
    const markdown = renderMarkdown(report);

    // Assess
    const [row] = report.exceptions.rows;
    expect(row).toMatchObject({ id: 'EX-NEW', reason: 'approved, see password=[REDACTED:secret-assignment]', bypassCount: null });
    expect(row.review).toMatch(/^Not in the registry yet/);
    expect(markdown).not.toContain('hunter2');
    expect(markdown).not.toContain('Never used');
  });
});

describe('the report as an accessible, printable audit document', () => {
  const report = buildReport(octoberInput());
  const html = renderHtml(report);
  const text = renderMarkdown(report);
  const print = html.slice(html.indexOf('@media print'));

  /** WCAG 2 contrast ratio of two colours, #rgb or #rrggbb. */
  function contrast(a: string, b: string): number {
    const lum = (short: string) => {
      const hex = short.length === 4 ? `#${[...short.slice(1)].map((c) => c + c).join('')}` : short;
      const [r, g, bl] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
      return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
    };
    const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  }

  it("gives a subject's findings by severity in Coverage, not its whole count beside its worst severity", () => {
    // Prepare: support-bot has one high (budget-exceeded) and one medium (cost-outlier) finding.
    const row = report.coverage.rows.find((r) => r.name === 'support-bot')!;

    // Assess
    expect(row).toMatchObject({ findings: 2, highestSeverity: 'high', findingsBySeverity: { high: 1, medium: 1 } });
    expect(text).toContain('| agent | support-bot | **FINDINGS** | 3 | 0 | 30/5 | 2: 1 high, 1 medium |');
    expect(text).toContain('| 2 high |');
    expect(html).toContain('<td class="num nowrap">2: 1 high, 1 medium</td>');
    expect(html).not.toMatch(/<span class="note">(high|medium)<\/span>/);
  });

  it('lets subject and header cells wrap on paper, so a long job name does not run the table off the page', () => {
    expect(print).toMatch(/td\.nowrap, thead th \{ white-space: normal; overflow-wrap: anywhere; \}/);
  });

  it('links the highlights and the coverage rows to their cards, every link resolving, and keeps the table of contents in print', () => {
    // Act
    const ids = new Set([...html.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]));
    const links = [...html.matchAll(/<a href="#([^"]+)"/g)].map((m) => m[1]);
    const highlights = html.slice(html.indexOf('<ol class="highlights">'), html.indexOf('</ol>', html.indexOf('<ol class="highlights">')));

    // Assess
    expect(report.summary.highlightIds).toEqual(['run-failed--etl-loader', 'output-shrink--nightly-backup', 'guard-bypass-unregistered--cost-cap']);
    expect(highlights).toContain('<li><a href="#run-failed--etl-loader">HIGH run-failed on etl-loader: 2 findings from 2026-10-03 to 2026-10-17 (recurring)</a></li>');
    expect(html).toContain('<a href="#budget-exceeded--support-bot"><strong>support-bot</strong></a>');
    expect(html).toContain('<strong>cache-warmer</strong>');
    expect(links.filter((l) => l.includes('--')).length).toBeGreaterThan(5);
    expect(links.filter((l) => !ids.has(l))).toEqual([]);
    expect(print).not.toContain('nav.toc { display: none; }');
    expect(print).toContain('nav.toc { position: static;');
  });

  it('keeps a heading jumped to clear of the sticky table of contents', () => {
    expect(html.slice(0, html.indexOf('@media'))).toMatch(/section\[id\], article\[id\] \{ scroll-margin-top: \d+px; \}/);
  });

  it('has text on its backgrounds at 4.5:1 and severity and status colours on white at 3:1 at least', () => {
    // Act
    const rule = (selector: string) => html.match(new RegExp(`${selector.replace(/\./g, '\\.')} \\{([^}]*)\\}`))![1];
    const color = (decl: string, prop: string) => decl.match(new RegExp(`(?:^|[ ;])${prop}: (#[0-9a-f]{6}|#[0-9a-f]{3})\\b`))![1];
    const pills = [...html.matchAll(/\.pill\.[a-z]+ \{([^}]*)\}/g)].map((m) => m[1]);

    // Assess
    for (const p of pills) expect(contrast(color(p, 'color'), color(p, 'background')), p).toBeGreaterThanOrEqual(4.5);
    for (const c of Object.values(SEVERITY_COLOR)) expect(contrast(c, '#ffffff'), c).toBeGreaterThanOrEqual(3);
    expect(contrast(color(rule('.group.closed'), 'border-left-color'), '#ffffff')).toBeGreaterThanOrEqual(3);
    expect(rule('.group.medium')).toContain('var(--medium)');
  });
});

describe('report wording for screen readers and odd names', () => {
  it('names the owner key of a job with spaces, dots or Markdown in its name as a key path one can write, alike in Markdown and HTML', () => {
    // Prepare: an unowned failing job whose name holds spaces, emphasis marks and a dot
    const job = 'sync *all* buckets.v2';
    const input = octoberInput();
    const report = buildReport({
      ...input,
      findings: [...input.findings, finding('run-failed', job, '2026-10-05T04:00:00Z', { run_id: 's-1' })],
      runs: [...input.runs, runRecord(job, 's-1', '2026-10-05T04:00:00Z', 'failed')],
    });

    // Act
    const markdown = renderMarkdown(report);
    const page = renderHtml(report);

    // Assess: the name quoted in brackets, the path plain for a name that needs no quotes
    expect(report.findings.find((g) => g.subject === job)?.correctiveAction.ownerKey).toBe('jobs["sync *all* buckets.v2"].owner');
    expect(markdown).toContain('_unassigned: set `jobs["sync *all* buckets.v2"].owner` in the config_');
    expect(page).toContain('(set <code>jobs[&quot;sync *all* buckets.v2&quot;].owner</code>)');
    expect(ownerKeyOf('job', 'nightly-backup')).toBe('jobs.nightly-backup.owner');
    expect(ownerKeyOf('guard', 'deploy gate')).toBe('exceptions[guard="deploy gate"].owner');
  });

  it('gives each HTML card heading its severity and status, as the Markdown heading does, keeping its id', () => {
    // Prepare
    const report = hostileReport();
    const group = report.findings.find((g) => g.subject === HOSTILE_JOB)!;

    // Act
    const page = renderHtml(report);
    const heading = page.match(new RegExp(`<h3 id="${group.id}-h">(.*?)</h3>`))?.[1] ?? '';
    const text = heading.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim();

    // Assess
    expect(page).toContain(`<article class="group ${group.severity}" id="${group.id}" aria-labelledby="${group.id}-h">`);
    expect(text).toBe(`${group.severity.toUpperCase()} error-keyword on &lt;script&gt;alert(&quot;job&quot;)&lt;/script&gt; new`);
    expect(heading).toContain(`<span class="sev ${group.severity}">`);
    expect(heading).toContain('<span class="pill new">new</span>');
  });

  it('describes a bar chart by what it draws: its first bars and how many more, not every item', () => {
    // Prepare: 150 subjects with findings
    const items = Array.from({ length: 150 }, (_, i) => ({ label: `job-${String(i).padStart(3, '0')}`, count: 150 - i }));

    // Act
    const svg = barChart(items, { id: 'chart-subjects', title: 'Findings per subject', color: '#7c3aed' });
    const desc = svg.match(/<desc id="chart-subjects-desc">(.*?)<\/desc>/)?.[1] ?? '';

    // Assess
    expect(desc).toContain('job-000 150');
    expect(desc).toContain('job-009 141');
    expect(desc).not.toContain('job-010');
    expect(desc).toContain('+ 140 more (');
    expect(svg).toContain('+ 140 more (');
  });
});
