import type { z } from 'zod';
import type { AuditTool } from '../tool.ts';
import { explainFindingTool } from './explain-finding.ts';
import { findFindingsTool } from './find-findings.ts';
import { findOverdueTool } from './find-overdue.ts';
import { listExceptionsTool } from './list-exceptions.ts';
import { listSubjectsTool } from './list-subjects.ts';
import { subjectStatusTool } from './subject-status.ts';

/** Every tool the MCP server offers, sorted by name. Each only reads (see `AuditReadView`). */
export const AUDIT_TOOLS = [
  explainFindingTool,
  findFindingsTool,
  findOverdueTool,
  listExceptionsTool,
  listSubjectsTool,
  subjectStatusTool,
] as const satisfies readonly AuditTool<z.ZodRawShape, z.ZodRawShape>[];
