/**
 * A route logged as a request path (`/users/123/orders/456`, `GET /users/123`) read as its template
 * (`/users/{id}/orders/{id}`), the way APM tools group URLs: else every URL is its own route, each
 * with a request or two, and none is ever judged. Named routes (`checkout-api`) and templated ones
 * (`/users/{id}`, `/users/:id`) are left as they are.
 */

/** What a path segment that names one thing, not a kind of thing, becomes. */
export const ID_SEGMENT = '{id}';

/** The HTTP methods a route may begin with, before a space and its path (`GET /users/123`). */
const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE']);
/** The longest of `METHODS`: a space further in is no method's. */
const LONGEST_METHOD = 7;
const SLASH = 0x2f;

const DIGITS = /^\d+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A hex string of 8 or more characters (a hash, an object id); holding a digit, so `deadbeef` or `accepted` stay words. */
const HEX = /^[0-9a-f]{8,}$/i;
/** A long opaque token (a base64url or random id): 16 or more of these characters, mixing letters and digits. */
const TOKEN = /^[\w-]{16,}$/;
const DIGIT = /\d/;
const LETTER = /[a-z]/i;

/**
 * The route's template: for a path, alone or after a method, each segment that is an id (all
 * digits, a UUID, a hex string of at least 8 characters holding a digit, or a token of at least 16
 * letters, digits, `_` and `-` mixing letters and digits) is `{id}`, and a query string and a
 * trailing `/` are dropped. Any other route is returned as it is, after one character check (two
 * when it begins with a capital letter).
 */
export function routeTemplate(route: string): string {
  const pathStart = pathStartOf(route);
  return pathStart === undefined ? route : route.slice(0, pathStart) + pathTemplate(route.slice(pathStart));
}

/** Where the path of a route that is one begins: 0, or after its method and space; undefined for a named route. */
function pathStartOf(route: string): number | undefined {
  const first = route.charCodeAt(0);
  if (first === SLASH) return 0;
  // A method is capital letters: a named route in lower case costs no search.
  if (first < 0x41 || first > 0x5a) return undefined;
  const space = route.indexOf(' ');
  if (space < 0 || space > LONGEST_METHOD || route.charCodeAt(space + 1) !== SLASH || !METHODS.has(route.slice(0, space))) return undefined;
  return space + 1;
}

function pathTemplate(path: string): string {
  const query = path.indexOf('?');
  const bare = query < 0 ? path : path.slice(0, query);
  const template = bare.split('/').map(segmentTemplate).join('/');
  return template.length > 1 && template.charCodeAt(template.length - 1) === SLASH ? template.slice(0, -1) : template;
}

function segmentTemplate(segment: string): string {
  return isIdSegment(segment) ? ID_SEGMENT : segment;
}

function isIdSegment(segment: string): boolean {
  if (segment.length === 0) return false;
  if (DIGITS.test(segment)) return true;
  if (segment.length < 8) return false;
  if (UUID.test(segment)) return true;
  if (!DIGIT.test(segment)) return false;
  return HEX.test(segment) || (segment.length >= 16 && TOKEN.test(segment) && LETTER.test(segment));
}
