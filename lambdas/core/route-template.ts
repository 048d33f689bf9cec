/**
 * A route logged as a request path (`/users/123/orders/456`, `GET /users/123`) read as its template
 * (`/users/{id}/orders/{id}`), the way APM tools group URLs: else every URL is its own route, each
 * with a request or two, and none is ever judged. Named routes (`checkout-api`, `s3-bucket-notifications`)
 * and templated ones (`/users/{id}`, `/users/:id`) are left as they are.
 */

/** What a path segment that names one thing, not a kind of thing, becomes. */
const ID_SEGMENT = '{id}';

/** The HTTP methods a route may begin with, in any case, before spaces and its path (`GET /users/123`). */
const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE']);
/** The longest of `METHODS` and of a URL's scheme (`https`): a space or `:` further in is neither's. */
const LONGEST_WORD = 7;
const SLASH = 0x2f;
const SPACE = 0x20;
const TAB = 0x09;
const COLON = 0x3a;

/** Where a path's route ends: a query string, a fragment or matrix parameters (`;jsessionid=…`). */
const PATH_END = /[?#;]/;
/** Where a URL's authority ends: its path, query or fragment. */
const PATH_OR_QUERY = /[/?#]/;
const PORT = /^\d{1,5}$/;
/** A path that may hold an id: a digit, or a segment as long as a UUID (one may have no digit). Any other is kept. */
const MAY_HOLD_ID = /\d|[^/]{36}/;
const DIGITS = /^\d+$/;
/** A UUID in its 8-4-4-4-12 hex form, any case (a path's id here, a tool argument's `uuid` type in `tool-args.ts`). */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A hex string of 8 or more characters (a hash, an object id); holding a digit, so `deadbeef` or `accepted` stay words. */
const HEX = /^[0-9a-f]{8,}$/i;
/** A long token (a base64url, Nano ID or random id): 16 or more of these characters. */
const TOKEN = /^[\w-]{16,}$/;
/** An id with a type prefix (`ord_8f3k2j9x`, `cus_NffrFeUfNV2Hib`): its opaque part after the prefix. */
const PREFIXED = /^[a-z]{2,5}_([A-Za-z\d]{8,})$/;
/**
 * A part of a readable name between `-` and `_`: a word in lower case, capitalised or in capitals,
 * with a short number after it (`s3`, `http2`, `sha256`, `V2`) or a digit before (`2fa`).
 */
const WORD = /^(?:\d?[a-z]+|[A-Z]?[a-z]+|[A-Z]+)\d{0,3}$/;
const NAME_SEPARATOR = /[-_]/;
const DIGIT = /\d/;
const LETTER = /[a-z]/i;

/**
 * The route's template: for a path, alone or after a method (in any case, after spaces or a tab:
 * written `GET `), or a URL (its scheme dropped, its host kept: `api.example.com/users/{id}`; one
 * that may hold user info, `user:pw@host` (`mayHoldUserInfo`), is left as it is; an `@` in its path or query is none), each segment that is an id (`isIdSegment`) is `{id}`,
 * and what follows `?`, `#` or `;` and trailing `/`s are dropped. Any other route is returned as it is, after a few character checks.
 */
export function routeTemplate(route: string): string {
  const first = route.charCodeAt(0);
  if (first === SLASH) return pathTemplate(route);
  if (!isLetter(first)) return route;
  const end = wordEnd(route);
  const next = route.charCodeAt(end);
  if (next === COLON) return urlTemplate(route, end) ?? route;
  if (next !== SPACE && next !== TAB) return route;
  const method = route.slice(0, end).toUpperCase();
  if (!METHODS.has(method)) return route;
  let start = end + 1;
  while (route.charCodeAt(start) === SPACE || route.charCodeAt(start) === TAB) start++;
  const target = route.slice(start);
  const template = target.charCodeAt(0) === SLASH ? pathTemplate(target) : urlTemplate(target, schemeEnd(target));
  return template === undefined ? route : `${method} ${template}`;
}

function isLetter(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

/** Where the letters a text begins with end, looking no further than one past `LONGEST_WORD`. */
function wordEnd(text: string): number {
  let end = 0;
  while (end < text.length && end <= LONGEST_WORD && isLetter(text.charCodeAt(end))) end++;
  return end;
}

/** Where a URL's scheme (letters before `:`) ends, or -1. */
function schemeEnd(target: string): number {
  const end = wordEnd(target);
  return end > 0 && target.charCodeAt(end) === COLON ? end : -1;
}

/**
 * A URL (`https://api.example.com/users/1`) as its host and path template, its scheme dropped;
 * undefined for no URL, and for one that may hold user info (`mayHoldUserInfo`): it is left as
 * logged, whole, for the url-password redactor, which runs after.
 */
function urlTemplate(url: string, colon: number): string | undefined {
  if (colon < 0 || url.charCodeAt(colon + 1) !== SLASH || url.charCodeAt(colon + 2) !== SLASH) return undefined;
  if (mayHoldUserInfo(url, colon + 3)) return undefined;
  const bare = untilPathEnd(url.slice(colon + 3));
  const slash = bare.indexOf('/');
  return slash < 0 ? bare : bare.slice(0, slash) + pathTemplate(bare.slice(slash));
}

/**
 * Whether a URL's authority (from `from`, after `://`) may hold user info: an `@` before its path,
 * query or fragment (`user:pw@host`), or, with an `@` later on, a `:` there followed by something
 * other than a port (`user:S3c/ret@host`, `user:S3c#ret@host`, `admin:20240101/Pw@host`: a password
 * may hold `/`, `?` or `#`).
 * An `@` in a path or query after a plain host (`host/users/@me`, `host:8443/x?email=a@b.co`) is none.
 */
function mayHoldUserInfo(url: string, from: number): boolean {
  const at = url.indexOf('@', from);
  if (at < 0) return false;
  const authorityEnd = url.slice(from).search(PATH_OR_QUERY);
  if (authorityEnd < 0 || from + authorityEnd > at) return true;
  const authority = url.slice(from, from + authorityEnd);
  // A bracketed IPv6 host's own colons are none; a port is 1 to 5 digits, as the url-password redactor reads one.
  const colon = authority.indexOf(':', authority.startsWith('[') ? authority.indexOf(']') + 1 : 0);
  return colon >= 0 && !PORT.test(authority.slice(colon + 1));
}

function untilPathEnd(path: string): string {
  const end = path.search(PATH_END);
  return end < 0 ? path : path.slice(0, end);
}

function pathTemplate(path: string): string {
  const bare = withoutTrailingSlashes(untilPathEnd(path));
  return MAY_HOLD_ID.test(bare) ? bare.split('/').map(segmentTemplate).join('/') : bare;
}

function withoutTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 1 && path.charCodeAt(end - 1) === SLASH) end--;
  return end === path.length ? path : path.slice(0, end);
}

function segmentTemplate(segment: string): string {
  return isIdSegment(segment) ? ID_SEGMENT : segment;
}

/**
 * A segment naming one thing: all digits, a UUID, a hex string of at least 8 characters holding a
 * digit, a type-prefixed id (`ord_8f3k2j9x`), or an opaque token of at least 16 letters, digits, `_`
 * and `-` (`isOpaque`). A readable name (`s3-bucket-notifications`) is none.
 */
function isIdSegment(segment: string): boolean {
  if (segment.length === 0) return false;
  if (DIGITS.test(segment)) return true;
  if (segment.length < 8) return false;
  if (UUID.test(segment)) return true;
  if (DIGIT.test(segment) && HEX.test(segment)) return true;
  const prefixed = PREFIXED.exec(segment);
  if (prefixed) return isOpaque(prefixed[1]);
  return segment.length >= 16 && TOKEN.test(segment) && isOpaque(segment);
}

/**
 * Letters mixed with digits without a name's structure (parts between `-` and `_` that are each a
 * word, `WORD`). A token with no digit is never opaque: a Nano ID without one (about 1 in 40) is not
 * told from a camelCased name (`listAllOrdersByCustomer`), so it stays its own route.
 */
function isOpaque(token: string): boolean {
  return DIGIT.test(token) && LETTER.test(token) && !isNamelike(token);
}

function isNamelike(token: string): boolean {
  return token.split(NAME_SEPARATOR).every((part) => part === '' || WORD.test(part));
}
