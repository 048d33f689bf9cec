import { jobReducer } from './job-reducer.ts';
import type { SubjectReducer } from './pipeline.ts';

/** Every subject kind the pipeline keeps state for. */
export const REDUCERS: readonly SubjectReducer<unknown>[] = [jobReducer as SubjectReducer<unknown>];
