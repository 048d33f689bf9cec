// Placeholder until the ingest core lands; the CDK stack bundles this entry.
export const handler = async (): Promise<void> => {};
