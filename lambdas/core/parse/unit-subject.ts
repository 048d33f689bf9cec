/**
 * The unit a systemd line speaks of, shared by the systemd parser (its job) and the syslog header's
 * wall clock (its run's key), which systemd.ts imports and so cannot import back.
 */

const UNIT_NAME = /^[\w:.@\\-]+\.(?:service|socket|device|mount|automount|swap|target|path|timer|slice|scope)$/;

/** Whether a name is a systemd unit's (`backup.service`, `backup@home.service`), not a description. */
export function isUnitName(name: string): boolean {
  return UNIT_NAME.test(name);
}

/**
 * `backup.service - Nightly backup` → `backup.service`; `backup.service` → itself; else the
 * description, whole (`Sync - orders`: a dash after words that name no unit is the description's own).
 */
export function unitOfSubject(subject: string): string {
  const dash = subject.indexOf(' - ');
  if (dash > 0 && isUnitName(subject.slice(0, dash))) return subject.slice(0, dash);
  return subject;
}
