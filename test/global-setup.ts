import type { TestProject } from 'vitest/node';
import { type DynamoDbLocal, startDynamoDbLocal } from '../lambdas/adapters/dynamodb-local.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}

let local: DynamoDbLocal | undefined;

/** One real DynamoDB Local (in memory) for the whole test run; each test file uses its own tables. */
export async function setup(project: TestProject): Promise<void> {
  local = await startDynamoDbLocal();
  project.provide('dynamoEndpoint', local.endpoint);
}

export async function teardown(): Promise<void> {
  await local?.stop();
}
