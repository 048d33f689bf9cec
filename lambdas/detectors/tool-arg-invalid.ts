import { isoTime } from '../core/findings.ts';
import { checkToolArgs } from '../core/tool-args.ts';
import type { ToolCallDetector } from './agent-kinds.ts';

/** A call with thousands of bad arguments keeps its finding small: the first errors, and how many there were. */
export const MAX_ERRORS_IN_EVIDENCE = 20;

export const toolArgInvalidDetector: ToolCallDetector = {
  kind: 'tool-call',
  meta: {
    id: 'tool-arg-invalid',
    description: 'A tool was called with an argument that fails its type: configured, or inferred from its name (a placeholder instead of an id, email, amount or date).',
    subjectKind: 'tool',
    defaultSeverity: 'medium',
    fiveCs: {
      criteria:
        'An argument of a `tool.call` fails its type from `tools.<name>.args` (uuid, email, number, integer, url, date with min/max, enum, pattern), or, unconfigured, the type its name implies: `id`/`*_id` an identifier without spaces, `email`/`*_email` an address, `amount`/`price`/`count`/`*_count` a number, `date`/`*_date`/`*_at` a real date. Each item of an `ids`/`*_ids`/`*_emails` list is judged by the singular\'s type. Placeholders ("the user mentioned in the conversation", "his email", "TBD", `{{user_id}}`) fail, also in a top-level argument with no type when the whole value is unmistakably one (a `{{user_id}}` slot, an English "the user mentioned …"); free-text arguments (`reason`, `message`, `query`, …) are never checked by inference.',
      cause:
        'The model passed a description of a value instead of the value (it paraphrased an earlier tool result or never had it), and the JSON schema only said "string". Also template slots left unfilled and values copied in the wrong format.',
      consequence: 'The tool acts on nonsense: a ticket against a user named "the user mentioned in the conversation", an email to "his email", a refund of "the same amount as last time".',
      correctiveAction:
        'Validate arguments semantically before dispatch and send the errors back to the model so it can correct itself (`validateToolArgs` in the agent kit writes such messages); tell the model to pass values from earlier tool results verbatim; configure `tools.<name>.args` for the tools that matter.',
    },
  },
  check({ call, configured }) {
    const errors = checkToolArgs(call.args, configured, { now: call.at });
    if (errors.length === 0) return [];
    const shown = errors.length > MAX_ERRORS_IN_EVIDENCE ? `; the first ${MAX_ERRORS_IN_EVIDENCE} in evidence` : '';
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more argument${errors.length > 2 ? 's' : ''}${shown})` : '';
    return [
      {
        subject: call.tool,
        ...(call.run_id ? { run_id: call.run_id } : {}),
        ts: isoTime(call.at),
        severity: errors.some((e) => e.placeholder) ? 'high' : undefined,
        message: `${call.tool}: ${errors[0].message}${more}`,
        evidence: {
          errors: errors.slice(0, MAX_ERRORS_IN_EVIDENCE).map(({ arg, expected, got, message, source }) => ({ arg, expected, got, message, source })),
          errors_total: errors.length,
          placeholders: errors.filter((e) => e.placeholder).length,
          ...(call.agent ? { agent: call.agent } : {}),
          ...(call.call_id ? { call_id: call.call_id } : {}),
        },
      },
    ];
  },
};
