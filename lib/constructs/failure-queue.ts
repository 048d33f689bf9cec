import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** What sending to a queue encrypted with a customer-managed key takes (CDK's `grantSendMessages` adds `GetQueue*`, `kms:Encrypt`, `kms:ReEncrypt*` and `kms:GenerateDataKey*`). */
const SEND_ACTIONS = ['sqs:SendMessage'];
const SEND_KEY_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'];

function grantSend(queue: sqs.IQueue, grantee: iam.IGrantable): void {
  iam.Grant.addToPrincipal({ grantee, actions: SEND_ACTIONS, resourceArns: [queue.queueArn] });
  queue.encryptionMasterKey?.grant(grantee, ...SEND_KEY_ACTIONS);
}

/** A Lambda on-failure destination that grants the function only the send to the queue and its key. */
export class FailureQueueDestination implements lambda.IDestination {
  constructor(private readonly queue: sqs.IQueue) {}

  bind(_scope: Construct, fn: lambda.IFunction): lambda.DestinationConfig {
    grantSend(this.queue, fn);
    return { destination: this.queue.queueArn };
  }
}

/** An event source mapping's on-failure destination, granted as `FailureQueueDestination` is. */
export class FailureQueueDlq implements lambda.IEventSourceDlq {
  constructor(private readonly queue: sqs.IQueue) {}

  bind(_target: lambda.IEventSourceMapping, targetHandler: lambda.IFunction): lambda.DlqDestinationConfig {
    grantSend(this.queue, targetHandler);
    return { destination: this.queue.queueArn };
  }
}
