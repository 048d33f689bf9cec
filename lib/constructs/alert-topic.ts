import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

// What SNS calls on the publisher's behalf to encrypt a message (no `GenerateDataKey*` family).
const PUBLISH_KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'];

export interface AlertTopicProps {
  /**
   * Addresses that get every alert by email (each must confirm its subscription).
   * @default - no subscriptions
   */
  readonly emails?: readonly string[];
  /**
   * Name prefix of the CloudWatch alarms allowed to publish; the key and topic policies admit
   * only alarms of this account whose names start with it.
   * @default - no alarm may publish
   */
  readonly alarmNamePrefix?: string;
  /**
   * What happens to the key when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The SNS topic for findings and pipeline alarms: KMS-encrypted, TLS only, email subscribers. */
export class AlertTopic extends Construct {
  readonly topic: sns.Topic;
  readonly encryptionKey: kms.Key;

  constructor(scope: Construct, id: string, props: AlertTopicProps = {}) {
    super(scope, id);

    this.encryptionKey = new kms.Key(this, 'Key', {
      description: 'silent-audit alert topic',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'silent-audit alerts',
      masterKey: this.encryptionKey,
      enforceSSL: true,
    });

    for (const email of new Set(props.emails ?? [])) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    if (props.alarmNamePrefix) this.admitAlarms(props.alarmNamePrefix);
  }

  get topicArn(): string {
    return this.topic.topicArn;
  }

  /** Lets the grantee publish to the topic and use its key for that; nothing else. */
  grantPublish(grantee: iam.IGrantable): iam.Grant {
    const publish = iam.Grant.addToPrincipal({ grantee, actions: ['sns:Publish'], resourceArns: [this.topic.topicArn] });
    return publish.combine(this.encryptionKey.grant(grantee, ...PUBLISH_KEY_ACTIONS));
  }

  /** CloudWatch publishes alarm actions as its service principal, so both policies must admit it. */
  private admitAlarms(alarmNamePrefix: string): void {
    const stack = Stack.of(this);
    const alarmArns = stack.formatArn({
      service: 'cloudwatch',
      resource: 'alarm',
      resourceName: `${alarmNamePrefix}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const cloudwatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    const conditions = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': alarmArns },
    };
    this.encryptionKey.addToResourcePolicy(
      new iam.PolicyStatement({ principals: [cloudwatch], actions: PUBLISH_KEY_ACTIONS, resources: ['*'], conditions }),
    );
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({ principals: [cloudwatch], actions: ['sns:Publish'], resources: [this.topic.topicArn], conditions }),
    );
  }
}
