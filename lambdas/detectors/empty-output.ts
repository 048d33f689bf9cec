import { isoTime } from '../core/findings.ts';
import { formatBytes } from '../core/stats.ts';
import { byteLength, classifyEmptyOutput, endedCleanly, type EmptyOutputKind, preview, wholeOutput } from './output-content.ts';
import type { RunDetector } from './types.ts';

const WHAT_WAS_EMPTY: Record<EmptyOutputKind, string> = {
  'zero-bytes': 'wrote no output',
  blank: 'wrote only whitespace',
  'empty-marker': 'wrote only an empty result',
  'empty-json': 'wrote JSON whose arrays are all empty',
};

export const emptyOutputDetector: RunDetector = {
  kind: 'run',
  meta: {
    id: 'empty-output',
    description: 'A run exited 0 but its output is empty.',
    subjectKind: 'job',
    defaultSeverity: 'high',
    fiveCs: {
      criteria:
        'The run exited 0 and its whole output is empty: 0 bytes, only whitespace, `[]`, `{}`, `null`, `<no rows>`, `(0 rows)`, or JSON holding only empty arrays such as `{"results": []}`. Judged only when the size is 0 or the head holds the whole output.',
      cause:
        'A success check that only catches hard errors, so an empty result flows through as a normal day: an expired upstream API key that now returns nothing, a changed query template that matches no rows, a wrong source path, or a full disk that made the write fail quietly.',
      consequence:
        'Every monitor shows green while consumers receive empty reports, backups or snapshots, often for weeks, until someone needs the data and finds there is none.',
      correctiveAction:
        'Open the run log and check the upstream (credentials, query, source path, free disk). Make the job exit non-zero when it produces nothing, and set `expect_pattern` for the line a good run always prints.',
    },
  },
  check({ run }) {
    if (!endedCleanly(run)) return [];
    const output = wholeOutput(run);
    if (output === undefined) return [];
    const kind = classifyEmptyOutput(output);
    if (kind === undefined) return [];
    const outputBytes = run.output_bytes ?? byteLength(output);
    const shown = kind === 'empty-marker' || kind === 'empty-json' ? `: ${preview(output)}` : ` (${formatBytes(outputBytes)})`;
    return [
      {
        subject: run.job,
        run_id: run.run_id,
        ts: isoTime(run.endedAt),
        message: `exited 0 but ${WHAT_WAS_EMPTY[kind]}${shown}`,
        evidence: { output_bytes: outputBytes, reason: kind, output: preview(output, 120) },
      },
    ];
  },
};
