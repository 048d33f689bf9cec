import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PublishedReport, ReportDocument, ReportPublisher } from '../ports.ts';
import { writeWholeFile } from './write-whole-file.ts';

/** `report-2026-10.html` */
export function reportFileName(month: string, format: ReportDocument['format']): string {
  return `report-${month}.${format}`;
}

/** Monthly reports as files in one folder (`out/report-2026-10.md`, `.html`, `.json`), for the CLI and the demo. */
export class FileReportPublisher implements ReportPublisher {
  constructor(private readonly dir: string) {}

  async publish(month: string, documents: readonly ReportDocument[]): Promise<PublishedReport> {
    const published = documents.map((doc) => {
      const path = join(this.dir, reportFileName(month, doc.format));
      // Whole or not at all: last month's report, which this one reads, is never left cut.
      writeWholeFile(path, doc.body, { makeFolder: true });
      return { format: doc.format, uri: path };
    });
    return { location: resolve(this.dir), documents: published };
  }

  async read(month: string, format: ReportDocument['format']): Promise<string | undefined> {
    const path = join(this.dir, reportFileName(month, format));
    return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  }
}
