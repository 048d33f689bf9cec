import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { PublishedReport, ReportDocument, ReportPublisher } from '../ports.ts';

/** `reports/2026-10/audit-report-2026-10.html`: the month in the folder and in the file name, so a download keeps it. */
export function reportObjectKey(prefix: string, month: string, format: ReportDocument['format']): string {
  return `${prefix}/${month}/audit-report-${month}.${format}`;
}

/**
 * Monthly reports in an S3 bucket, under `reports/YYYY-MM/`. The bucket's default encryption
 * applies; the report function may only put and get objects under the prefix.
 */
export class S3ReportPublisher implements ReportPublisher {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix = 'reports',
  ) {}

  async publish(month: string, documents: readonly ReportDocument[]): Promise<PublishedReport> {
    const published: { format: ReportDocument['format']; uri: string }[] = [];
    for (const doc of documents) {
      const key = reportObjectKey(this.prefix, month, doc.format);
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: doc.body,
          ContentType: doc.contentType,
          ContentDisposition: doc.format === 'html' ? 'inline' : `attachment; filename="audit-report-${month}.${doc.format}"`,
          CacheControl: 'no-cache',
        }),
      );
      published.push({ format: doc.format, uri: `s3://${this.bucket}/${key}` });
    }
    return { location: `s3://${this.bucket}/${this.prefix}/${month}/`, documents: published };
  }

  async read(month: string, format: ReportDocument['format']): Promise<string | undefined> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: reportObjectKey(this.prefix, month, format) }));
      return await res.Body?.transformToString('utf-8');
    } catch (error) {
      if (error instanceof NoSuchKey || (error as Error).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }
}
