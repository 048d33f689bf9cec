/** A Lambda request id: a UUID. */
export const REQUEST_ID_PATTERN = '[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}';

/** A Lambda request id: a UUID. Nothing else is taken for one (an open run keeps it, so its size is bounded). */
const REQUEST_ID = new RegExp(`^${REQUEST_ID_PATTERN}$`);

/** Whether `id` is a Lambda request id (a UUID). */
export function isRequestId(id: string): boolean {
  return id.length === 36 && REQUEST_ID.test(id);
}
