import type { TreePhase } from '../../lambdas/core/agent-tree.ts';
import { emptyOutputDetector, emptyOutputRootRunDetector } from '../../lambdas/detectors/empty-output.ts';
import { acts, end, start, treeOf } from '../core/agent-fixtures.ts';
import { testTreeDetector } from './agent-detector-tester.ts';
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

/** web-search-agent's root run `ws-6`: its `agent.start`, `n` actions, and its `agent.end` with `endExtra`. */
function agentRun(n: number, endExtra: Record<string, unknown>, phase?: TreePhase) {
  return treeOf([start(0, 'web-search-agent', 'ws-6'), ...acts(n, 1, 'web-search-agent', 'ws-6', { action: 'tool_call', name: 'web_search' }), end(20, 'web-search-agent', 'ws-6', endExtra)], 'ws-6', phase);
}

/** A root `ws-8` whose sub-agent `ws-8.1` ended ok with output_bytes 0 and did 2 actions; the root returned `rootBytes`. */
function treeWithEmptySubAgent(rootBytes: number) {
  return treeOf(
    [
      start(0, 'web-search-agent', 'ws-8'),
      start(1, 'summariser', 'ws-8.1', { parent_run_id: 'ws-8' }),
      ...acts(2, 2, 'summariser', 'ws-8.1'),
      end(5, 'summariser', 'ws-8.1', { output_bytes: 0 }),
      ...acts(3, 6, 'web-search-agent', 'ws-8'),
      end(10, 'web-search-agent', 'ws-8', { output_bytes: rootBytes }),
    ],
    'ws-8',
  );
}

testTreeDetector(emptyOutputRootRunDetector, {
  valid: [
    { name: 'an agent root run that ended ok with 4,200 bytes of output', input: { tree: agentRun(6, { output_bytes: 4200 }) } },
    { name: 'an agent root run that ended ok with 0 actions and no output_bytes logged (not judged)', input: { tree: agentRun(0, {}) } },
    { name: 'an agent root run that stopped at its budget with output_bytes 0 (budget_exhausted is no ok)', input: { tree: agentRun(20, { status: 'budget_exhausted', output_bytes: 0 }) } },
    { name: 'an agent root run that ended with status error and output_bytes 0 (that is run-failed)', input: { tree: agentRun(0, { status: 'error', output_bytes: 0 }) } },
    { name: 'an agent root run that was cancelled with output_bytes 0', input: { tree: agentRun(0, { status: 'cancelled', output_bytes: 0 }) } },
    { name: "a sub-agent's empty result (the root's is judged, and it returned 900 bytes)", input: { tree: treeWithEmptySubAgent(900) } },
    { name: 'a running tree (the sweep looks at roots that have not ended)', input: { tree: agentRun(0, { output_bytes: 0 }, 'running') } },
  ],
  invalid: [
    {
      name: "an agent root run that ended ok with output_bytes 0 after 0 actions (the article's agent that returned ok having done nothing)",
      input: { tree: agentRun(0, { output_bytes: 0 }) },
      expected: [
        {
          run_id: 'ws-6',
          ts: '2026-10-05T10:00:20Z',
          severity: 'high',
          message: 'run ws-6 ended ok but wrote no output (output_bytes 0) after 0 actions',
          evidence: { output_bytes: 0, reason: 'zero-bytes', status: 'ok', actions: 0, runs: 1, root_run_id: 'ws-6' },
        },
      ],
    },
    {
      name: 'an agent root run that ended OK (another case) with output_bytes 0',
      input: { tree: agentRun(0, { status: 'OK', output_bytes: 0 }) },
      expected: [
        {
          run_id: 'ws-6',
          ts: '2026-10-05T10:00:20Z',
          severity: 'high',
          message: 'run ws-6 ended ok but wrote no output (output_bytes 0) after 0 actions',
          evidence: { output_bytes: 0, reason: 'zero-bytes', status: 'OK', actions: 0, runs: 1, root_run_id: 'ws-6' },
        },
      ],
    },
    {
      name: 'an agent root run whose tree did work but returned output_bytes 0, once for the root only',
      input: { tree: treeWithEmptySubAgent(0) },
      expected: [
        {
          run_id: 'ws-8',
          ts: '2026-10-05T10:00:10Z',
          severity: 'high',
          message: 'run ws-8 ended ok but wrote no output (output_bytes 0) after 5 actions across 2 runs',
          evidence: { output_bytes: 0, reason: 'zero-bytes', status: 'ok', actions: 5, runs: 2, root_run_id: 'ws-8' },
        },
      ],
    },
  ],
});
