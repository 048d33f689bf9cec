import { emptyOutputDetector } from '../../lambdas/detectors/empty-output.ts';
import { makeRun } from './run-fixtures.ts';
import { testRunDetector } from './run-detector-tester.ts';

/** A run whose whole output is `text`: head and tail both hold it, and the size says so. */
function runWithOutput(text: string) {
  return makeRun({ output_head: text, output_tail: text, output_bytes: Buffer.byteLength(text), output_lines: text.split('\n').length - 1 });
}

testRunDetector(emptyOutputDetector, {
  valid: [
    { name: 'a normal run with 6.8 KiB of output', run: makeRun() },
    { name: 'JSON with a non-empty array: {"results": [1]}', run: runWithOutput('{"results": [1]}') },
    { name: 'JSON with one empty and one non-empty array', run: runWithOutput('{"errors": [], "results": [{"id": 7}]}') },
    { name: 'JSON without any array: {"count": 3}', run: runWithOutput('{"count": 3}') },
    { name: 'an empty list of errors beside a count of work done', run: runWithOutput('{"errors": [], "processed": 1200}') },
    { name: 'an empty list of rows beside a non-zero count', run: runWithOutput('{"rows": [], "count": 5}') },
    { name: 'an empty list of errors alone (good news)', run: runWithOutput('{"errors": [], "warnings": []}') },
    { name: 'nested: an empty list of failures beside objects uploaded', run: runWithOutput('{"summary": {"uploaded": 4000, "failed": []}}') },
    { name: 'a psql result with one row', run: runWithOutput(' id \n----\n  1\n(1 row)\n') },
    { name: 'a sentence that merely mentions no rows', run: runWithOutput('sync done: no rows changed in 3 tables\n') },
    { name: 'text that only looks like JSON', run: runWithOutput('[] is what the API returned, retrying with page 2: 40 items\n') },
    {
      name: 'a blank head whose output goes on beyond it (head is not the whole output)',
      run: makeRun({ output_head: '\n\n\n', output_tail: 'uploaded 1204 objects\n', output_bytes: 6_963 }),
    },
    {
      name: 'a blank head without a size, beside a tail with content (more was written)',
      run: makeRun({ output_head: '\n'.repeat(2048), output_tail: 'uploaded 4000 objects\ndone\n', output_bytes: undefined }),
    },
    {
      name: 'a blank head and a tail with content that together hold the whole 3 KiB output',
      run: makeRun({ output_head: ' '.repeat(2048), output_tail: `${' '.repeat(1000)}done\n`, output_bytes: 3072 }),
    },
    { name: 'unknown output: no size, head or tail', run: makeRun({ output_bytes: undefined, output_head: undefined, output_tail: undefined }) },
    { name: 'a size above 0 with no head or tail', run: makeRun({ output_bytes: 512, output_head: undefined, output_tail: undefined }) },
    { name: 'a non-zero exit with 0 bytes (that is run-failed)', run: makeRun({ exit_code: 1, output_bytes: 0, output_head: '', output_tail: '' }) },
    { name: 'a Lambda timeout with 0 bytes (that is run-failed)', run: makeRun({ failure: 'timeout', output_bytes: 0, output_head: '', output_tail: '' }) },
  ],
  invalid: [
    {
      name: 'a 0-byte output',
      run: makeRun({ output_bytes: 0, output_lines: 0, output_head: '', output_tail: '' }),
      expected: { severity: 'high', message: 'exited 0 but wrote no output (0 B)', evidence: { output_bytes: 0, reason: 'zero-bytes', output: '' } },
    },
    {
      name: '3000 newlines: head and tail together hold every byte, all whitespace',
      run: makeRun({ output_head: '\n'.repeat(2048), output_tail: '\n'.repeat(2048), output_bytes: 3000, output_lines: 3000 }),
      expected: { severity: 'high', message: 'exited 0 but wrote only whitespace (2.9 KiB)', evidence: { output_bytes: 3000, reason: 'blank', output: '' } },
    },
    {
      name: 'a blank head without a size whose tail is its end',
      run: makeRun({ output_head: '\n\n  \n', output_tail: '  \n', output_bytes: undefined }),
      expected: { severity: 'high', message: 'exited 0 but wrote only whitespace (5 B)', evidence: { output_bytes: 5, reason: 'blank', output: '' } },
    },
    {
      name: 'a 0-byte output with no head or tail',
      run: makeRun({ output_bytes: 0, output_head: undefined, output_tail: undefined }),
      expected: { severity: 'high', message: 'exited 0 but wrote no output (0 B)', evidence: { output_bytes: 0, reason: 'zero-bytes', output: '' } },
    },
    {
      name: 'whitespace only',
      run: runWithOutput(' \n\t\n'),
      expected: { severity: 'high', message: 'exited 0 but wrote only whitespace (4 B)', evidence: { output_bytes: 4, reason: 'blank', output: '' } },
    },
    {
      name: '<no rows>',
      run: runWithOutput('<no rows>\n'),
      expected: { severity: 'high', message: 'exited 0 but wrote only an empty result: <no rows>', evidence: { output_bytes: 10, reason: 'empty-marker', output: '<no rows>' } },
    },
    {
      name: "psql's (0 rows)",
      run: runWithOutput('(0 rows)\n'),
      expected: { severity: 'high', message: 'exited 0 but wrote only an empty result: (0 rows)', evidence: { output_bytes: 9, reason: 'empty-marker', output: '(0 rows)' } },
    },
    {
      name: 'NO ROWS, in any case',
      run: runWithOutput('NO ROWS'),
      expected: { severity: 'high', message: 'exited 0 but wrote only an empty result: NO ROWS', evidence: { output_bytes: 7, reason: 'empty-marker', output: 'NO ROWS' } },
    },
    {
      name: 'an empty JSON array',
      run: runWithOutput('[]\n'),
      expected: { severity: 'high', message: 'exited 0 but wrote only an empty result: []', evidence: { output_bytes: 3, reason: 'empty-marker', output: '[]' } },
    },
    {
      name: 'an empty JSON object',
      run: runWithOutput('  {}  '),
      expected: { severity: 'high', message: 'exited 0 but wrote only an empty result: {}', evidence: { output_bytes: 6, reason: 'empty-marker', output: '{}' } },
    },
    {
      name: 'null',
      run: runWithOutput('null\n'),
      expected: { severity: 'high', message: 'exited 0 but wrote only an empty result: null', evidence: { output_bytes: 5, reason: 'empty-marker', output: 'null' } },
    },
    {
      name: 'JSON whose only array is empty: {"results": []}',
      run: runWithOutput('{"results": []}\n'),
      expected: {
        severity: 'high',
        message: 'exited 0 but wrote JSON whose arrays are all empty: {"results": []}',
        evidence: { output_bytes: 16, reason: 'empty-json', output: '{"results": []}' },
      },
    },
    {
      name: 'JSON whose nested arrays are all empty',
      run: runWithOutput('{"a": [], "b": {"c": []}}'),
      expected: {
        severity: 'high',
        message: 'exited 0 but wrote JSON whose arrays are all empty: {"a": [], "b": {"c": []}}',
        evidence: { output_bytes: 25, reason: 'empty-json', output: '{"a": [], "b": {"c": []}}' },
      },
    },
    {
      name: 'a report of no rows with its date and an empty list of errors',
      run: runWithOutput('{"date": "2026-10-15", "rows": [], "errors": []}'),
      expected: {
        severity: 'high',
        message: 'exited 0 but wrote JSON whose arrays are all empty: {"date": "2026-10-15", "rows": [], "errors": []}',
        evidence: { output_bytes: 48, reason: 'empty-json', output: '{"date": "2026-10-15", "rows": [], "errors": []}' },
      },
    },
    {
      name: 'an empty list beside a count of errors (bad news is no work done)',
      run: runWithOutput('{"rows": [], "error_count": 3}'),
      expected: {
        severity: 'high',
        message: 'exited 0 but wrote JSON whose arrays are all empty: {"rows": [], "error_count": 3}',
        evidence: { output_bytes: 30, reason: 'empty-json', output: '{"rows": [], "error_count": 3}' },
      },
    },
    {
      name: 'a zero count beside an empty list',
      run: runWithOutput('{\n  "count": 0,\n  "items": []\n}\n'),
      expected: {
        severity: 'high',
        message: 'exited 0 but wrote JSON whose arrays are all empty: { "count": 0, "items": [] }',
        evidence: { output_bytes: 32, reason: 'empty-json', output: '{ "count": 0, "items": [] }' },
      },
    },
    {
      name: 'a head with no size given is the whole output',
      run: makeRun({ output_bytes: undefined, output_head: '[]', output_tail: undefined }),
      expected: { severity: 'high', message: 'exited 0 but wrote only an empty result: []', evidence: { output_bytes: 2, reason: 'empty-marker', output: '[]' } },
    },
    {
      name: 'head and tail with a size within 2 KiB: the head is the whole output',
      run: makeRun({ output_bytes: 17, output_head: '{"results": []}', output_tail: '{"results": []}' }),
      expected: {
        severity: 'high',
        message: 'exited 0 but wrote JSON whose arrays are all empty: {"results": []}',
        evidence: { output_bytes: 17, reason: 'empty-json', output: '{"results": []}' },
      },
    },
    {
      name: 'a tail alone that holds the whole output',
      run: makeRun({ output_bytes: 10, output_head: undefined, output_tail: '<no rows>\n' }),
      expected: { severity: 'high', message: 'exited 0 but wrote only an empty result: <no rows>', evidence: { output_bytes: 10, reason: 'empty-marker', output: '<no rows>' } },
    },
  ],
});
