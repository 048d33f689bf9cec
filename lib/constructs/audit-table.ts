import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { TABLE_SCHEMA } from '../../lambdas/adapters/dynamodb-schema.ts';

const INDEX_NAMES = [TABLE_SCHEMA.outboxIndex, TABLE_SCHEMA.subjectIndex, TABLE_SCHEMA.catalogIndex];

/** What a function that reads and writes items may do; no scans, no deletes, no table admin. */
const ITEM_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
];
const QUERY_ACTIONS = ['dynamodb:Query'];
// DynamoDB decrypts the table key on the caller's behalf on every access, and encrypts on write.
const TABLE_KEY_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt'];

export interface AuditTableProps {
  /**
   * What happens to the table and its key when the stack is deleted.
   * @default RemovalPolicy.RETAIN (state and findings are the audit trail)
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The single table of state items (`STATE#…`), findings (`FINDING#<YYYY-MM>`) and run records
 * (`RUN#…`, expiring through `ttl`), laid out as `TABLE_SCHEMA` says (DynamoDB Local gets the
 * same layout from it), encrypted with its own customer-managed key.
 */
export class AuditTable extends Construct {
  readonly table: dynamodb.Table;
  readonly encryptionKey: kms.Key;

  constructor(scope: Construct, id: string, props: AuditTableProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.encryptionKey = new kms.Key(this, 'Key', {
      description: 'silent-audit state table',
      enableKeyRotation: true,
      removalPolicy,
    });

    const string = dynamodb.AttributeType.STRING;
    const sortKey = { name: TABLE_SCHEMA.sortKey, type: string };
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE_SCHEMA.partitionKey, type: string },
      sortKey,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TABLE_SCHEMA.ttlAttribute,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.encryptionKey,
      removalPolicy,
    });
    // Sparse: only findings whose alert is not delivered yet carry the outbox key.
    this.table.addGlobalSecondaryIndex({
      indexName: TABLE_SCHEMA.outboxIndex,
      partitionKey: { name: TABLE_SCHEMA.outboxKey, type: string },
      sortKey,
      projectionType: dynamodb.ProjectionType.ALL,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: TABLE_SCHEMA.subjectIndex,
      partitionKey: { name: TABLE_SCHEMA.subjectKey, type: string },
      sortKey,
      projectionType: dynamodb.ProjectionType.ALL,
    });
    // Sparse and keys only: lists the subjects of a kind for the sweep and the report.
    this.table.addGlobalSecondaryIndex({
      indexName: TABLE_SCHEMA.catalogIndex,
      partitionKey: { name: TABLE_SCHEMA.catalogKey, type: string },
      sortKey: { name: TABLE_SCHEMA.partitionKey, type: string },
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });
  }

  get tableName(): string {
    return this.table.tableName;
  }

  /** The ARNs of the table's indexes, named one by one rather than `index/*`. */
  get indexArns(): string[] {
    return INDEX_NAMES.map((name) => `${this.table.tableArn}/index/${name}`);
  }

  /**
   * Lets the grantee read, write and query items (transactions included: they need only the
   * item actions) and use the table key for that; nothing else.
   */
  grantItemReadWrite(grantee: iam.IGrantable): iam.Grant {
    const items = iam.Grant.addToPrincipal({ grantee, actions: ITEM_ACTIONS, resourceArns: [this.table.tableArn] });
    const queries = iam.Grant.addToPrincipal({ grantee, actions: QUERY_ACTIONS, resourceArns: [this.table.tableArn, ...this.indexArns] });
    const key = this.encryptionKey.grant(grantee, ...TABLE_KEY_ACTIONS);
    return items.combine(queries).combine(key);
  }
}
