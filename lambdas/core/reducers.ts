import { AGENT_REDUCERS } from './agent-reducer.ts';
import { toolCallReducer } from './agent-tool-calls.ts';
import { auditTrailReducer } from './audit-trail-reducer.ts';
import { cronHostReducer } from './cron-host-reducer.ts';
import { guardReducer } from './guard-reducer.ts';
import { jobReducer } from './job-reducer.ts';
import type { SubjectReducer } from './pipeline.ts';
import { routeReducer } from './route-reducer.ts';
import { systemdHostReducer } from './systemd-host-reducer.ts';

/** Every subject kind the pipeline keeps state for. */
export const REDUCERS: readonly SubjectReducer<unknown>[] = [
  jobReducer as SubjectReducer<unknown>,
  cronHostReducer as SubjectReducer<unknown>,
  systemdHostReducer as SubjectReducer<unknown>,
  guardReducer as SubjectReducer<unknown>,
  auditTrailReducer as SubjectReducer<unknown>,
  ...AGENT_REDUCERS,
  toolCallReducer as SubjectReducer<unknown>,
  routeReducer as SubjectReducer<unknown>,
];
