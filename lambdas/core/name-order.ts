/**
 * The order names are listed in (jobs, agents, routes, hosts, subjects): English collation, the
 * same on every host. `localeCompare` without a locale takes the host's (LANG, LC_ALL): under
 * tr_TR `Ima` came before `ilk`, under C or en_US after it, so `init` wrote a config in another
 * order on another machine (a diff in git for nothing) and reports listed rows so too.
 */
const NAMES = new Intl.Collator('en');

/** Two names in their order (a negative number when `a` comes first): for `sort`. */
export function compareNames(a: string, b: string): number {
  return NAMES.compare(a, b);
}
