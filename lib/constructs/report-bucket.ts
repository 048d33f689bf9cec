import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';

/** The key prefix monthly reports are written under: `reports/YYYY-MM/…`. */
export const REPORT_PREFIX = 'reports';

// What S3 calls on the caller's behalf for SSE-KMS: a data key to encrypt a put (with the bucket key
// on, once per bucket key's lifetime), a decrypt to read an object back (and to finish a multipart put).
const REPORT_KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'];

export interface ReportBucketProps {
  /**
   * Reports older than this move to S3 Standard-IA: they are read in the month after, rarely later.
   * @default Duration.days(90)
   */
  readonly infrequentAccessAfter?: Duration;
  /**
   * How long a report that was written over (a re-run for the same month) is kept.
   * @default Duration.days(90)
   */
  readonly noncurrentVersionExpiration?: Duration;
  /**
   * How long the buckets' server access logs are kept.
   * @default Duration.days(365)
   */
  readonly accessLogRetention?: Duration;
  /**
   * What happens to the buckets when the stack is deleted.
   * @default RemovalPolicy.RETAIN (reports are audit records)
   */
  readonly removalPolicy?: RemovalPolicy;
}

const PRIVATE_BUCKET = {
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  enforceSSL: true,
  minimumTLSVersion: 1.2,
  objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
} as const;

/**
 * Where the monthly reports are kept: a private, TLS-only, versioned bucket encrypted with its own
 * customer-managed key (S3 Bucket Key on), whose reports move to Infrequent Access after 90 days,
 * with its server access logs in a second private, TLS-only bucket encrypted with SSE-S3.
 */
export class ReportBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;
  /** The report bucket's key; the access-log bucket cannot use one (see below). */
  readonly encryptionKey: kms.Key;
  readonly prefix = REPORT_PREFIX;

  constructor(scope: Construct, id: string, props: ReportBucketProps = {}) {
    super(scope, id);
    // Log delivery through a bucket policy (the current AWS recommendation), not the legacy ACL.
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    // SSE-S3, not SSE-KMS: S3 server access logging delivers only to target buckets whose default
    // encryption is SSE-S3 (AES256); with an SSE-KMS default the logs are not delivered.
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      ...PRIVATE_BUCKET,
      encryption: s3.BucketEncryption.S3_MANAGED,
      removalPolicy,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: props.accessLogRetention ?? Duration.days(365) }],
    });

    this.encryptionKey = new kms.Key(this, 'Key', {
      description: 'silent-audit report bucket',
      enableKeyRotation: true,
      removalPolicy,
    });
    // The default encryption applies to every put, so the report function sends no SSE headers.
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...PRIVATE_BUCKET,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: true,
      versioned: true,
      removalPolicy,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'report-bucket/',
      lifecycleRules: [
        {
          id: 'reports-to-infrequent-access',
          transitions: [{ storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: props.infrequentAccessAfter ?? Duration.days(90) }],
          noncurrentVersionExpiration: props.noncurrentVersionExpiration ?? Duration.days(90),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });
  }

  get bucketName(): string {
    return this.bucket.bucketName;
  }

  /** The ARN of every report object: `…/reports/*`. */
  get reportObjectsArn(): string {
    return this.bucket.arnForObjects(`${this.prefix}/*`);
  }

  /**
   * Lets the grantee write reports and read earlier ones under the prefix, with the bucket key for
   * that, and list the bucket: without s3:ListBucket, S3 answers a read of a report that does not
   * exist (last month's, on the first run) with 403 AccessDenied instead of 404 NoSuchKey, and the
   * report would fail every month. Nothing else.
   */
  grantReportReadWrite(grantee: iam.IGrantable): iam.Grant {
    const objects = iam.Grant.addToPrincipal({ grantee, actions: ['s3:PutObject', 's3:GetObject'], resourceArns: [this.reportObjectsArn] });
    const listing = iam.Grant.addToPrincipal({ grantee, actions: ['s3:ListBucket'], resourceArns: [this.bucket.bucketArn] });
    return objects.combine(listing).combine(this.encryptionKey.grant(grantee, ...REPORT_KEY_ACTIONS));
  }
}
