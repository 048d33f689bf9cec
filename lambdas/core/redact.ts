import { setOwn } from './own-property.ts';
import { parseTime } from './parse-time.ts';
import { fingerprint } from './token-ring.ts';

/**
 * Secret redaction: what a log line says is cleaned of credentials before anything is stored,
 * alerted or reported. A `Redactor` holds the built-in rules (AWS keys, bearer and API tokens,
 * passwords in URLs and on command lines, webhook URLs, Azure keys, private keys, labelled
 * secrets) and the config's own patterns
 * (`redact.patterns`). Every built-in pattern is anchored on a literal (a prefix such as `AKIA`,
 * `://`, `-----BEGIN`, a keyword) and has bounded or unambiguous quantifiers, so redaction is
 * linear in the text (test/core/redact.test.ts runs it on 256 KiB adversarial strings); a string
 * that holds none of the literals is returned after one scan. (A scheme-less `user:password@host`
 * has no literal but its `:` and `@`: a text holding both is read back from each `@` by character
 * codes, with one sticky host pattern after it (hasUserInfoShape); only one holding such a
 * `user:password@host` then has the trigger scan and url-password.)
 *
 * It runs on every line (lambdas/core/parse/index.ts). Measured with Node 20 on a shared 2-core
 * box: a short id 0.3 µs; 2 KiB of log output 3.5 µs without a trigger word, about 9 µs with
 * some (`passed`, `token`); parsing the run.end line that carries two such excerpts costs about 7 µs.
 */

/** What a secret is replaced with: `[REDACTED:<rule>]`. */
export function redactionMarker(rule: string): string {
  return `[REDACTED:${rule}]`;
}

const MARKER_START = '[REDACTED:';
const WHOLE_MARKER = /^\[REDACTED:[\w.-]+\]$/;

/** Whether a text holds a marker: something in it was redacted. */
export function holdsRedaction(text: string): boolean {
  return text.includes(MARKER_START);
}

/**
 * Where to cut `text` at `end` without cutting a marker in two: `end`, or, when a marker starts at it
 * or runs over it, the start of the marker's word, its label too (`--password=[REDACTED:…]`): a
 * shortened `--password=[REDA…` or a bare `--password=…` is a secret again to the next redaction,
 * which writes a marker out whole. In a word that is a URL or a list the marker's part starts after
 * the `&`, `?`, `;`, `,` or `/` before it (`…/nightly-rebuild?` of `…/nightly-rebuild?token=[REDACTED:…]`),
 * so a one-word name keeps its start.
 */
export function cutBeforeMarker(text: string, end: number): number {
  for (let start = text.indexOf(MARKER_START); start >= 0 && start <= end; start = text.indexOf(MARKER_START, start + 1)) {
    const close = text.indexOf(']', start);
    if (close < 0 || close >= end) return wordStart(text, start);
  }
  return end;
}

/** What ends the part of a word before a marker's label: whitespace, and a URL's or a list's `&`, `?`, `;`, `,`, `/`. */
const PART_END = /[\s&?;,/]/;

/** Where the part of a word holding `at` starts: after the whitespace or PART_END before it. */
function wordStart(text: string, at: number): number {
  let start = at;
  while (start > 0 && !PART_END.test(text[start - 1])) start--;
  return start;
}

/** Whether a value is a marker alone: the redactor replaced all of it (its type and content are unknown now). */
export function isWhollyRedacted(value: unknown): boolean {
  return typeof value === 'string' && value.startsWith(MARKER_START) && WHOLE_MARKER.test(value);
}

export interface RedactPattern {
  /** Names the marker: `[REDACTED:<name>]`. */
  readonly name: string;
  /** A JavaScript regular expression; the whole match is replaced, or only its `(?<secret>…)` group when it has one. */
  readonly regex: string;
}

export interface RedactConfig {
  readonly patterns?: readonly RedactPattern[];
  /** Built-in rules to leave out, by name (see BUILTIN_RULE_NAMES). */
  readonly disable_builtins?: readonly string[];
}

interface TextRule {
  readonly name: string;
  readonly description: string;
  /**
   * `asName`: the text is a name (a job's, an agent's), where `label:word` with nothing between
   * the colon and the word (`token:refresh`, a Rake task) is a part of the name rather than a
   * secret's label: such a match is left as it is.
   */
  apply(text: string, asName?: boolean): string;
}

/** A rule replacing each match of `pattern` (flag g) by what `replace` returns for it (given whether the text is a name). */
function regexRule(name: string, description: string, pattern: RegExp, replace: (match: string, ...groups: string[]) => string, replaceInName?: (match: string, ...groups: string[]) => string): TextRule {
  return {
    name,
    description,
    apply: (text, asName = false) => text.replace(pattern, (asName && replaceInName ? replaceInName : replace) as (substring: string, ...args: unknown[]) => string),
  };
}

/** A rule replacing each whole match of `pattern` by its marker, unless `keep` says the match is not a secret. */
function shapeRule(name: string, description: string, pattern: RegExp, keep?: (match: string) => boolean): TextRule {
  const marker = redactionMarker(name);
  return regexRule(name, description, pattern, (match) => (keep?.(match) ? match : marker));
}

const hasDigit = (s: string) => /\d/.test(s);
const hasMixedCase = (s: string) => /[a-z]/.test(s) && /[A-Z]/.test(s);

/** Whether `b64` decodes to `user:password` (printable text with a colon), as Basic credentials do. */
function isBasicCredential(b64: string): boolean {
  try {
    const decoded = atob(b64);
    return decoded.includes(':') && /^[\x20-\x7e]+$/.test(decoded);
  } catch {
    return false;
  }
}

/**
 * A quoted value, from just after its opening quote to just before its closing one, over the
 * escapes inside it, as JSON text writes them (`\u00e4`, `\"`, `\/`): after `'` (a `\'` closes
 * it, as in a shell), after `"`, and after `\"`, the quote of JSON text inside JSON text, whose
 * own escapes are doubled there (`\\u00e4`, `\\\"`) and whose value a lone `\"` closes.
 */
const QUOTED_VALUE = String.raw`(?<=')(?:[^'\\\r\n]|\\[^'\r\n])+|(?<=(?<!\\)")(?:[^"\\\r\n]|\\[^\r\n])+|(?<=\\")(?:[^"\\\r\n]|\\\\(?:\\[^\r\n]|[^"\\\r\n])|\\[^"\\\r\n])+`;
/**
 * An escape an unquoted value runs over (`\u00e4`, `\/`, `\$`; doubled inside JSON text within
 * JSON text), but not an escaped line break or tab (`\n`: JSON text's line ends there), quote or
 * backslash.
 */
const ESCAPE_IN_WORD = String.raw`\\{1,2}(?![nrt"'\\])`;
/** A `/`, also as JSON text escapes it (`\/`), and inside JSON text within JSON text (`\\\/`, `\\/`). */
const SLASH = String.raw`\\{0,3}\/`;

/** How many secrets cut short one line of a labelled value's rule reads again after (assignmentRule); the value after the last goes whole. */
const MAX_REREADS_PER_LINE = 32;

/** Where the line holding `offset` ends (its `\n`, or the text's end). */
function endOfLine(text: string, offset: number): number {
  const end = text.indexOf('\n', offset);
  return end < 0 ? text.length : end;
}

/**
 * `keyword = value`, `keyword: value`, `"keyword": "value"` (also inside JSON text whose quotes
 * are escaped), `"keyword" => "value"` (Ruby's Hash#inspect, PHP and Perl arrays), `keyword := value`,
 * and a label in brackets (PHP's print_r `[keyword] => value`, form fields `user[keyword]=value`,
 * also URL-encoded `user%5Bkeyword%5D=value`): the value is replaced, the label kept. A URL-encoded
 * `keyword%3Dvalue` needs a value right after it: `password%3D` in prose (before a space,
 * punctuation, the end, or a quote closing the prose's quotation) names the shape and stays;
 * a quoted value after it goes (`password%3D"hunter2"`). A quoted value runs to its closing quote
 * (QUOTED_VALUE). An unquoted one after `=` (logfmt, query strings, options) runs to the next
 * space, quote, backslash or one of `stops`; after `:` (YAML, headers, `password: a b c`) the
 * value may hold spaces, so it runs to the end of the line, a quote or a backslash, or up to an
 * earlier rule's marker (which stays). Either runs over an escape (`\u00e4`) but not over an
 * escaped line break (`\n`). A value that is already a marker is left alone.
 */
function assignmentRule(
  name: string,
  description: string,
  keywords: string,
  stops = '&',
  /**
   * Whether the value is left as it is (true), goes whole (false), or how long the secret at its start is (a number:
   * a login's password after `:` before more words, `pass: letmein host: db`), the rest read again as any text; a
   * negative number: how long the word at its start is that stays (`pass: ok token: …`), the rest read again so.
   */
  keep?: (keyword: string, closeQuote: string, separator: string, openQuote: string, value: string, text: string, offset: number, scheme: string) => boolean | number,
): TextRule {
  const pattern = new RegExp(
    `(${keywords})(\\\\?["']\\]?|\\]|%5D)?([ \\t]*(?:=>|:=|[:=])[ \\t]*|%3D(?![,.;:!?)\\]]*(?:\\s|$|\\\\[nrt]|\\\\{0,3}["'](?:[\\s,.;:!?)\\]}\\\\]|$))))(\\\\?["'])?((?:bearer|basic|token|digest)[ \\t]+)?(?![=>])` +
      `(${QUOTED_VALUE}|(?<=:[ \\t]*)(?:[^\\s"'\\\\[]|${ESCAPE_IN_WORD}\\S)(?:[^\\r\\n"'\\\\[]|\\[(?!REDACTED:)|${ESCAPE_IN_WORD}[^\\r\\n])*|(?:[^\\s"'\\\\${stops}]|${ESCAPE_IN_WORD}[^\\s${stops}])+)`,
    'gi',
  );
  const marker = redactionMarker(name);
  /** How long the secret at the value's start is (a value running to the end of the line keeps the spaces after it, before a marker, a line break); 0 to leave it; negative: how long its kept first word is (keep). */
  const secretLength = (asName: boolean, keyword: string, closeQuote = '', separator: string, openQuote = '', scheme = '', value: string, offset: number, text: string): number => {
    if (value.startsWith(MARKER_START)) return 0;
    if (asName && separator === ':' && closeQuote === '' && openQuote === '' && scheme === '') return 0;
    const verdict = keep?.(keyword, closeQuote, separator, openQuote, value, text, offset, scheme) ?? false;
    if (verdict === true) return 0;
    return verdict === false ? value.trimEnd().length : verdict;
  };
  return {
    name,
    description,
    apply(text, asName = false) {
      let out = '';
      let copied = 0;
      // How often the current line (up to lineEnd) was read again after a secret cut short.
      let rereads = 0;
      let lineEnd = -1;
      pattern.lastIndex = 0;
      for (let found = pattern.exec(text); found; found = pattern.exec(text)) {
        const value = found[6];
        let length = secretLength(asName, found[1], found[2], found[3], found[4], found[5], value, found.index, text);
        if (length === 0) continue;
        if (found.index > lineEnd) {
          lineEnd = endOfLine(text, found.index);
          rereads = 0;
        }
        const whole = value.trimEnd().length;
        const rereading = Math.abs(length) < whole;
        if (length < 0 && !rereading) continue;
        // Each reading again may cost the rest of the line (a value after `:` runs to its end): past MAX_REREADS_PER_LINE the value goes whole, so a long line stays linear.
        if (rereading && rereads === MAX_REREADS_PER_LINE) length = whole;
        else if (rereading) rereads++;
        const valueStart = found.index + found[0].length - value.length;
        // What follows a kept first word (`ok`, `12`, a path) or a secret cut short (`host: db`, `token: …`) is read again.
        if (length < 0) {
          pattern.lastIndex = valueStart - length;
          continue;
        }
        out += text.slice(copied, valueStart) + marker;
        copied = valueStart + length;
        pattern.lastIndex = copied;
      }
      return copied === 0 ? text : out + text.slice(copied);
    },
  };
}

/** A command-line option's value: quoted (QUOTED_VALUE), or a word (over an escape: `\u00e4`, `\$`). */
const OPTION_VALUE = `(${QUOTED_VALUE}|(?:[^\\s"'\\\\]|${ESCAPE_IN_WORD}\\S)+)`;
/**
 * A value given to a password option, by its option: `--password VALUE`, `--db-password VALUE`,
 * `--passphrase VALUE` (the `=` form is a labelled secret; `--no-password`, `--password-file`
 * and `--password-stdin` give none; a value starting with `-` is the next option).
 */
const PASSWORD_OPTION = new RegExp(String.raw`(?<![\w-])(--(?!no-)(?:[a-z0-9]+-){0,3}pass(?:word|wd|phrase)[ \t]+)(?!-)(\\?["'])?${OPTION_VALUE}`, 'gi');
/** `sshpass -p VALUE` (also glued: `-pVALUE`); only sshpass's own `-p`, not a port flag of the command it runs. */
const SSHPASS_OPTION = new RegExp(String.raw`\b(sshpass(?:[ \t]+-v)*[ \t]+-p[ \t]*)(\\?["'])?${OPTION_VALUE}`, 'g');
/**
 * A MySQL or MariaDB client (`mysql`, `mysqldump`, `mysqladmin`, `mariadb-dump`, …) and its arguments, up to the end of its step of a pipeline
 * or list: a `|`, `;` or `&` inside a password quoted after its `-p` (`-p"a&b"`) or with it (`'-pa;b'`) ends none.
 */
const MYSQL_COMMAND = new RegExp(
  String.raw`\b(?:mysql|mariadb)[\w-]*[ \t](?:[^|;&\r\n"']|(?<=[ \t]-p)(?:"[^"\r\n]{0,256}"|'[^'\r\n]{0,256}')|(?<=[ \t])(?:"-p[^"\r\n]{0,256}"|'-p[^'\r\n]{0,256}')|["'])*`,
  'g',
);
/** What parts two arguments of a command written as an argv list (JSON's `["sqlplus","-s"]`, Python's `['sqlplus', '-s']`): a quote, a comma, a quote. */
const ARGV_BREAK = String.raw`["'],[ \t]?["']`;
/** One argument of a command written as an argv list: a JSON or Python string, `"…"` or `'…'` (over its escapes: `"a\"b"`); the last may be cut off by the text's end. */
const ARGV_ARGUMENT = String.raw`(?:"(?:[^"\\\r\n]|\\[^\r\n]){0,1024}(?:"|\\?$)|'(?:[^'\\\r\n]|\\[^\r\n]){0,1024}(?:'|\\?$))`;
/** What may stand around an argv list's brackets and commas (JSON's `["a","b"]`, Python's `['a', 'b']`, pretty-printed JSON's line ends and indents). */
const ARGV_SPACE = String.raw`[ \t\r\n]{0,64}`;
/**
 * A MySQL or MariaDB client written as an argv list or a Python tuple (`["mysql","-u","root"]`, `['/usr/bin/mysqldump', '-pVALUE']`,
 * `("mysql.exe", …)`, `["C:\\Program Files\\MySQL\\bin\\mysql.exe", …]`), also after the plain string arguments of the same list that run it
 * (`["CMD","mysqladmin","ping",…]`, `["kubectl","exec","db-0","--","mysql",…]`, `["sudo","mysql",…]`), and its arguments up to the list's end:
 * an argument after it (`["mysql","db"],["ssh","-p2222"]`) is another command's. Groups: the list up to the client, the client's arguments.
 */
const MYSQL_ARGV_COMMAND = new RegExp(
  String.raw`([\[(]${ARGV_SPACE}(?:${ARGV_ARGUMENT}${ARGV_SPACE},${ARGV_SPACE}){0,16}(["'])(?:[^"'\r\n,\[\]]{0,256}[\/\\])?(?:mysql|mariadb)[\w-]*(?:\.exe)?\2)((?:${ARGV_SPACE},${ARGV_SPACE}${ARGV_ARGUMENT}){0,256})`,
  'g',
);
/** Each argument of an argv list (ARGV_ARGUMENT), as a scan from the list's start meets them: the separators hold no quote. */
const ARGV_ARGUMENTS = new RegExp(ARGV_ARGUMENT, 'g');
/** An argv list's argument that is mysql's password glued to its `-p` (`"-pVALUE"`; `"-p"` alone asks for it): the quote and option, the value, the closing quote. */
const ARGV_MYSQL_PASSWORD = /^((["'])-p)((?:\\.|(?!\2)[^\\])+\\?|\\)(\2?)$/s;
/** A MySQL client's arguments in an argv list (MYSQL_ARGV_COMMAND's last group) with each `"-pVALUE"` one's value replaced by `marker` (a marker already there stays). */
function redactArgvMysqlPasswords(args: string, marker: string): string {
  return args.replace(ARGV_ARGUMENTS, (argument) => {
    const password = ARGV_MYSQL_PASSWORD.exec(argument);
    if (!password || password[3].startsWith(MARKER_START)) return argument;
    return `${password[1]}${marker}${password[4]}`;
  });
}
/** A password glued to its option (`option`'s alternatives: `-pVALUE`, `-p"VALUE"`), which alone asks for it. */
function gluedPasswordOption(option: string): RegExp {
  return new RegExp(String.raw`((?<=[ \t])${option})(\\?["'])?${OPTION_VALUE}`, 'g');
}
/**
 * The same switch quoted whole, as `bash -x` prints one whose value it quoted (`'-pVALUE'`, `"-pVALUE"`, `\"-pVALUE\"` in JSON text): the value
 * up to the closing quote, or the step's end (a `;` inside a quote ends the command's match). Its groups: the quote and the option, the quote, the value.
 */
function quotedGluedPasswordOption(option: string): RegExp {
  return new RegExp(String.raw`((?<=[ \t])(\\?["'])${option})((?:(?!\2)[^\r\n]){1,256})(?=\2|$)`, 'g');
}
/**
 * Whether a command's switch quoted whole at `at` is an argument of its own: every quote after the program's word (which may end in
 * its path's closing quote) is closed before it. Not inside another quoted argument (`mysql -e "… opt = '-print'"`), nor past the end of
 * the string holding the command (`{"cmd": "mysql -u app db", "flags": "-pretty"}`: that string's closing quote is left open).
 * Asked at growing offsets, as a replace meets its matches: it counts each character once (linear however many switches).
 */
function argumentsOf(command: string): (at: number) => boolean {
  let i = 0;
  while (i < command.length && command[i] !== ' ' && command[i] !== '\t') i++;
  let doubles = 0;
  let singles = 0;
  return (at) => {
    for (; i < at; i++) {
      if (command[i] === '"') doubles++;
      else if (command[i] === "'") singles++;
    }
    return doubles % 2 === 0 && singles % 2 === 0;
  };
}
/** A command's passwords glued to their option (`glued`), bare or quoted with it (`quoted`, an argument of its own), by `replaceValue`. */
function redactGluedPasswords(
  command: string,
  glued: RegExp,
  quoted: RegExp,
  replaceValue: (match: string, option: string, quote: string | undefined, value: string) => string,
): string {
  const withGlued = command.replace(glued, replaceValue);
  const standsAsArgument = argumentsOf(withGlued);
  return withGlued.replace(quoted, (match: string, option: string, _quote: string, value: string, at: number) =>
    standsAsArgument(at) ? replaceValue(match, option, undefined, value) : match,
  );
}
/** Its `-pVALUE`: the password glued to `-p` (`-p` alone asks for it; `-P` is the port), also quoted whole: `'-pVALUE'`. */
const MYSQL_PASSWORD = gluedPasswordOption('-p');
const MYSQL_QUOTED_PASSWORD = quotedGluedPasswordOption('-p');

/** The last word of a token option (`--token`, `--api-key`, `--client-secret`, `--secret-key`, `--private-key`, Azure's `--account-key`), and the prefixes that name a credential (`--access-token`). */
const TOKEN_WORD = 'token|api[_-]?key|secret(?:[_-]?key)?|private[_-]?key|account[_-]?key';
const CREDENTIAL_PREFIX = 'access|auth|client|refresh|bot|api';

/**
 * A value given to a token, API key or secret option: `--token VALUE`, `--api-key VALUE`,
 * `--apikey VALUE`, `--secret VALUE`, `--secret-key VALUE`, `--private-key VALUE` (not a key file's path: KEY_FILE), and with any prefix of up to three words (`--access-token`,
 * `--github-token`, `--personal-access-token`, `--client-secret`; also glued: `--accesstoken`);
 * isTokenOptionValue leaves what other such options take (`--max-token 4096`, `--with-token < file`,
 * `--show-secret foo`) and options that name or page (`--page-token`, `--pull-secret`: NAMING_TOKEN_OPTION). The `=` form is a labelled secret;
 * `--token-file` gives none; a value starting with `-`, `<`, `>` or `[` is none (isTokenOptionValue
 * judges the rest).
 */
const TOKEN_OPTION = new RegExp(String.raw`(?<![\w-])(--(?!no-)(?:[a-z0-9]+[_-]){0,3}(?:${CREDENTIAL_PREFIX})?(?:${TOKEN_WORD})[ \t]+)(?![-<>[]|(?:id|src|source|type|env)=)(\\?["'])?${OPTION_VALUE}`, 'gi');
/** A token option with no prefix or one naming a credential (`--access-token`, `--auth-token`, …), as against `--max-token`. */
const CREDENTIAL_TOKEN_OPTION = new RegExp(String.raw`^--(?:(?:${CREDENTIAL_PREFIX})[_-]?)?(?:${TOKEN_WORD})\s`, 'i');
/** A token option whose prefix names or pages rather than carries a secret (`--page-token`, `--next-token`, `--starting-token`, `--continuation-token`, `--pull-secret`, `--existing-secret`, `--tls-secret`). */
const NAMING_TOKEN_OPTION = new RegExp(String.raw`^--(?:[a-z0-9]+[_-]){0,3}?(?:page|next|starting|continuation|pull|existing|tls)[_-]?(?:[a-z0-9]+[_-]){0,2}?(?:${TOKEN_WORD})\s`, 'i');
/**
 * A private key's (or a service account key's) file, not the key: a path (`/…`, `./…`, `../…`, `~…`; not a `/` inside, which
 * base64 holds), a variable (`$SSH_KEY_FILE`, `${KEY}`, `$HOME/.ssh/deploy`), a `.pem`/`.key`/`.json` file, ssh's names (`id_rsa`, `id_ed25519`, …), or a name
 * of lower-case words (`deploy-key-2024`), which no key's base64 or hex is. Not a key itself (BASE64_KEY: isKeyFile).
 */
const KEY_FILE = /^(?:~|\.{0,2}\/|\$\{?[A-Za-z_])|\.(?:pem|key|json)$|^id_(?:rsa|dsa|ecdsa|ed25519)|^[a-z]+(?:[-_][a-z]+)+(?:[-_.]\d{1,8})?$/;
/** A key written whole in base64 (an Azure storage key: 88 characters), which may start with `/` (1 key in 64) but holds no `.`, `_` or `-` as a path does. */
const BASE64_KEY = /^[A-Za-z0-9+/]{40,}={0,2}$/;

/** Whether a value names a key's file (KEY_FILE) rather than being the key (BASE64_KEY: `/0N52Gw/4MFX…+3w==` is no absolute path). */
function isKeyFile(value: string): boolean {
  return KEY_FILE.test(value) && !BASE64_KEY.test(value);
}
/** An option that may take a key's file (KEY_FILE): `--private-key`, `--account-key` (`--service-account-key sa-key.json`). */
const KEY_FILE_OPTION = /(?:private|account)[_-]?key\s/i;

/** A command whose `--secret NAME` names a secret rather than giving one (docker's, podman's, buildah's). */
const SECRET_NAMING_COMMAND = /\b(?:docker|podman|buildah|nerdctl)\b/;

/** The step of a pipeline or list that `text` ends in (from its last `|`, `;`, `&` or line break, at most 512 characters back). */
function stepBefore(text: string, offset: number): string {
  let start = offset;
  for (let code = text.charCodeAt(start - 1); start > 0 && offset - start < 512 && code !== 0x7c && code !== 0x3b && code !== 0x26 && code !== 0x0d && code !== 0x0a; code = text.charCodeAt(start - 1)) start--;
  return text.slice(start, offset);
}

/**
 * Whether the value after a token option is one: a quoted value is, unless a placeholder; an
 * unquoted word only when it looks like a credential (at least 6 characters with a digit, 8 in
 * mixed case, or 20 long), not a word of prose (`--token requires an argument`), a placeholder
 * (`TOKEN`, `<key>`, `TOKEN]`) or a number (`4096`); docker's `--secret NAME` names a secret, and
 * `--private-key PATH`, `--account-key PATH` a key file (KEY_FILE).
 */
function isTokenOptionValue(option: string, quote: string | undefined, value: string, text: string, offset: number, namesSecrets: boolean): boolean {
  if (/^[A-Z_]+$/.test(value) || value.endsWith(']') || value.startsWith('<')) return false;
  if (NAMING_TOKEN_OPTION.test(option)) return false;
  if (KEY_FILE_OPTION.test(option) && isKeyFile(value)) return false;
  if (namesSecrets && /^--secret\s/i.test(option) && SECRET_NAMING_COMMAND.test(stepBefore(text, offset))) return false;
  if (quote) return true;
  // A number is none; after another prefix (`--max-token 131072`) however long.
  if (/^\d{1,5}$/.test(value) || (/^\d+$/.test(value) && !CREDENTIAL_TOKEN_OPTION.test(option))) return false;
  return looksLikeCredential(value);
}

/** Whether a word looks like a credential rather than a word of prose: at least 6 characters with a digit, 8 in mixed case, or 20 long. */
function looksLikeCredential(word: string): boolean {
  return (word.length >= 6 && hasDigit(word)) || (word.length >= 8 && hasMixedCase(word)) || word.length >= 20;
}
/** A curl command and its arguments, up to the end of its step of a pipeline or list. */
const CURL_COMMAND = /\bcurl[ \t][^|;&\r\n]*/g;
/**
 * An option giving `user:password` (or `user%password`, by `separator`), by the option (`-u[ \t]*`, `--user(?:[ \t]+|=)`):
 * the option and the user (kept), and the password, quoted with the user (`"bob:two words"`) or a word.
 */
function userPasswordOption(option: string, separator = ':'): RegExp {
  return new RegExp(
    String.raw`((?<=[ \t])(?:${option})(\\?["'])?(?:[^\s${separator}"'\\]|${ESCAPE_IN_WORD}\S)*${separator})((?<=["'][^\s${separator}"'\\]*${separator})(?:[^"'\\\r\n]|\\[^\r\n])+|(?:[^\s"'\\]|${ESCAPE_IN_WORD}\S)+)`,
    'g',
  );
}
/** Its `-u user:password`, `--user user:password` (also `-uuser:password`, `--user=user:password`), and the proxy's `-U`, `--proxy-user`: the user stays. */
const CURL_USER = userPasswordOption(String.raw`-[uU][ \t]*|--(?:proxy-)?user(?:[ \t]+|=)`);
/** skopeo's, podman's and buildah's `--creds user:password`, `--src-creds`, `--dest-creds` (also with `=`): the user stays. */
const CREDS_OPTION = userPasswordOption(String.raw`--(?:src-|dest-)?creds(?:[ \t]+|=)`);
/** openssl's `-pass pass:VALUE`, `-passin pass:VALUE`, `-passout pass:VALUE` (`env:NAME`, `file:PATH` give none). */
const OPENSSL_PASS = new RegExp(String.raw`((?<=[ \t])-pass(?:in|out)?[ \t]+(\\?["'])?pass:)((?<=["']pass:)(?:[^"'\\\r\n]|\\[^\r\n])+|(?:[^\s"'\\]|${ESCAPE_IN_WORD}\S)+)`, 'g');
/** A registry login (`docker login`; podman's, nerdctl's, buildah's, skopeo's, oras's, `helm registry login`, `crane auth login`) and its arguments, up to the end of its step of a pipeline or list. */
const DOCKER_LOGIN_COMMAND = /\b(?:(?:docker|podman|nerdctl|buildah|skopeo|oras)[ \t]+|helm[ \t]+registry[ \t]+|crane[ \t]+auth[ \t]+)login[ \t][^|;&\r\n]*/g;
/** Its `-p VALUE`, also after `=` (`--password VALUE` is PASSWORD_OPTION's). */
const DOCKER_LOGIN_PASSWORD = new RegExp(String.raw`((?<=[ \t])-p(?:[ \t]+|=))(?!-)(\\?["'])?${OPTION_VALUE}`, 'g');
/**
 * A registry login's arguments as a command line gives them, from just after `login`: a word (the
 * registry: `ghcr.io`, `nexus`, `$CI_REGISTRY`; or a message's: `failed`), then options (`-u`,
 * `--tls-verify=false`), each maybe with its value (`-u me`, also quoted: `-u "John Smith"`,
 * `-u "$(cat user)"`) and a word after it (the registry), and registries (a host: `ghcr.io`,
 * `r.io:5000`, `https://index.docker.io/v1/`, `localhost`; or a variable).
 */
const LOGIN_ARGUMENTS =
  /(?:[ \t]+[^\s-]\S*)?(?:[ \t]+(?:-[^\s)]\S*(?:[ \t]+(?:\\?"[^"\\\r\n]*\\?"|'[^'\r\n]*'|[^\s-]\S*))?(?:[ \t]+[^\s-]\S*)?|["']?\$\S+|(?:[a-z][a-z0-9+.-]*:\/\/)?[A-Za-z0-9][\w-]*(?:[.:][\w-]+)+\S*|localhost\S*))*/y;
/**
 * Its glued `-pVALUE` (`-p` alone asks for the password), a whole argument: only among LOGIN_ARGUMENTS,
 * followed by a space, the end, a quote closing the command's (`{"cmd":"… -pVALUE","rc":1}`, Python's
 * `'… -pVALUE']'`), JSON text's `\n`, or `]`, `,`, `}`, `)`. Not a message's word (isMessageWord).
 */
const DOCKER_LOGIN_GLUED_PASSWORD = new RegExp(
  String.raw`((?<=[ \t])-p)(?![-)=\s])(\\?["'])?${OPTION_VALUE}(?=\\?["']|\\[nrt]|[ \t\],})]|$)`,
  'g',
);
/** `-p` glued to a lower-case word followed by another, which no registry is (it has a dot, a port or a `$`; or is `localhost`): `-please retry`, `-permission denied`. */
const MESSAGE_WORD_AFTER_P = /-p[a-z]{1,19}[ \t]+(?!localhost\b)[a-z]+[,.;:!?]*(?:[ \t]|$)/y;
/** An option among a login's arguments (`-u`, `--tls-verify=false`): its index is the blank before it. */
const OPTION_ARGUMENT = /[ \t]-/g;

/** Whether a login's arguments hold an option other than the `-p…` at `at` (before it or after it). */
function hasOtherOption(args: string, at: number): boolean {
  OPTION_ARGUMENT.lastIndex = 0;
  for (let option = OPTION_ARGUMENT.exec(args); option !== null; option = OPTION_ARGUMENT.exec(args)) {
    if (option.index + 1 !== at) return true;
  }
  return false;
}

/**
 * Whether the `-p…` at `at` in a login's arguments is a message's word (`docker login failed -please retry`,
 * `docker login ghcr.io -permission denied`): MESSAGE_WORD_AFTER_P, with no other option among the
 * arguments (beside `-u me`, before or after it, `-phunter nexus` is a password and a registry).
 */
function isMessageWord(args: string, at: number): boolean {
  MESSAGE_WORD_AFTER_P.lastIndex = at;
  return MESSAGE_WORD_AFTER_P.test(args) && !hasOtherOption(args, at);
}
/** A redis-cli command and its arguments, up to the end of its step of a pipeline or list. */
const REDIS_COMMAND = /\bredis-cli[ \t][^|;&\r\n]*/g;
/**
 * A command's password option (`option`'s alternatives) and its value after a space, quoted or a word; a value starting with `-` is the next option.
 * `glued`: also right after the option (`-sVALUE`, `-P"VALUE"`), for a command none of whose other options starts so.
 */
function spacedPasswordOption(option: string, glued = false): RegExp {
  return new RegExp(String.raw`((?<=[ \t])(?:${option})[ \t]${glued ? '*' : '+'})(?!-)(\\?["'])?${OPTION_VALUE}`, 'g');
}
/** Its `-a VALUE` and `--pass VALUE` (`--user` is a user name). */
const REDIS_PASSWORD = spacedPasswordOption('-a|--pass');
/**
 * A MongoDB shell or tool (`mongo`, `mongosh`, `mongodump`, `mongorestore`, …) and its arguments, up to the end of its
 * step of a pipeline or list: any word `mongo…`, as the client follows wrappers and words of every kind (`sudo`, `timeout 600`,
 * `docker exec -it mongo`, `kubectl exec … --`, a crontab's `* * *`, `bash -c "`, `Running: `). The word `mongo` naming a
 * container (`docker run --name mongo -p 27017:27017`) is read too: PORT_MAPPING keeps its `-p`; so is one that is a compose option's value
 * (`docker compose --profile mongo -p myproject up`): COMPOSE_OPTION_BEFORE and COMPOSE_OPTIONS_ONLY keep compose's own `-p`.
 */
const MONGO_COMMAND = /\bmongo(?:sh|dump|restore|export|import|stat|top|files)?[ \t][^|;&\r\n]*/g;
/** Its `-p VALUE` (`-p` alone asks for it; `--password VALUE` is PASSWORD_OPTION's). */
const MONGO_PASSWORD = spacedPasswordOption('-p');
/**
 * A port or port mapping as docker's, ssh's or nc's `-p` takes it: no password. A port (`27017`), or a mapping with a `:` of
 * ports, ranges (`27017-27019:27017-27019`), upper-case or braced variables (`$MONGO_PORT:27017`, `${MONGO_PORT}:27017`), an
 * IPv4 or bracketed IPv6 host (`127.0.0.1:27017:27017/tcp`, `[::1]:27017:27017`, `127.0.0.1::27017`). A numeric password of
 * 5 digits or fewer after a mongo `-p` is so kept too; `2024-1234` or `$uperSecret2024` alone is a password.
 */
const PORT_MAPPING = /^(?:\d{1,5}|(?:\[[\dA-Fa-f:.]{1,45}\]|\d{1,3}(?:\.\d{1,3}){3}|\d{1,5}(?:-\d{1,5})?|\$\{\w{1,64}\}|\$[A-Z_][A-Z\d_]{0,63})?(?::(?:\d{1,5}(?:-\d{1,5})?|\$\{\w{1,64}\}|\$[A-Z_][A-Z\d_]{0,63})?){1,2})(?:\/(?:tcp|udp|sctp))?$/;
/** Docker's or podman's compose and its global options up to one whose value follows (`docker compose --profile `, `--profile=`, `docker-compose -f x --project-directory `). */
const COMPOSE_OPTION_BEFORE = /\b(?:docker[ \t]+compose|docker-compose|podman[ \t]+compose|podman-compose)(?:[ \t]+-{1,2}[\w-]{1,32}(?:=\S{0,256})?(?:[ \t]+[^\s-]\S{0,256})?){0,16}?[ \t]+-{1,2}[\w-]{1,32}(?:[ \t]+|=)$/;
/** A compose option's value and more of its options (with their values) up to a `-p`: no subcommand yet, so the `-p` is compose's. */
const COMPOSE_OPTIONS_ONLY = /^\S+(?:[ \t]+-{1,2}[\w-]{1,32}(?:=\S*)?(?:[ \t]+[^\s-]\S*)?)*[ \t]+$/;
/** How far into a mongo word's command a compose option may still stand: a long line stays linear. */
const MAX_COMPOSE_OPTIONS = 512;
/** An OpenLDAP client (`ldapsearch`, `ldapmodify`, `ldapadd`, …) and its arguments, up to the end of its step of a pipeline or list. */
const LDAP_COMMAND = /\bldap(?:search|modify|add|delete|passwd|compare|modrdn|whoami|exop)[ \t][^|;&\r\n]*/g;
/** Its bind password `-w VALUE` (`-W` asks for it, `-y` reads it from a file). */
const LDAP_PASSWORD = spacedPasswordOption('-w');
/** ldappasswd's bind password `-w VALUE`, new password `-s VALUE` and old one `-a VALUE`, also glued (`-sVALUE`) (`-s` is another client's scope). */
const LDAPPASSWD_PASSWORD = spacedPasswordOption('-[wsa]', true);
/** net's own options before its subcommand (`net -S dc1 -U admin%… rpc …`, `--option=…`), each with its value if any: at most 8. */
const NET_OPTIONS = String.raw`(?:[ \t]+(?:-[A-Za-z]{1,8}|--[\w-]{1,32}(?:=[^\s|;&]{0,255})?)(?:[ \t]+[^\s|;&-][^\s|;&]{0,255})?){0,8}`;
/** Samba's `smbclient`, `smbcacls` and `net ads|rpc|rap|sam …` (also after net's own options) and their arguments, up to the end of their step of a pipeline or list. */
const SMB_COMMAND = new RegExp(String.raw`\b(?:smbc(?:lient|acls)|net${NET_OPTIONS}[ \t]+(?:ads|rpc|rap|sam))[ \t][^|;&\r\n]*`, 'g');
/** `net ads|rpc|rap password USER VALUE` and `net rpc user add|password USER VALUE` (also after net's own options): a user's new password as an argument, a word or quoted (the user and the quotes stay). */
const NET_NEW_PASSWORD = new RegExp(
  String.raw`^(net${NET_OPTIONS}[ \t]+(?:ads|rpc|rap)[ \t]+(?:password|user[ \t]+(?:add|password))[ \t]+[^\s-]\S{0,255}[ \t]+)(?!-)(?:(["'])([^"'\r\n]{1,256})\2|([^\s"'\\]{1,256}))`,
);
/** A result word or prose verb after `net rpc password USER` (not a new password): `changed`, `updated`, `reset`, `failed`, `was set`, … */
const NET_RESULT_WORD = /^(?:changed|updated|reset|set|was|is|has|had|been|not|will|could|cannot|failed|succeeded|ok|done|denied|refused|rejected|expired|error)[.!:,]*$/i;
/** What follows a new password on a command line: an option or the step's end. */
const NET_OPTION_OR_END = /^[ \t]*(?:-|$)/;
/** Its `-U user%password` (also `-Uuser%password`, `--user=user%password`): the user stays. */
const SMB_USER = userPasswordOption(String.raw`-U[ \t]*|--user(?:[ \t]+|=)`, '%');
/** `as sysdba` after a login, or Oracle's other administrative privileges (`as sysoper`, `as sysbackup`, `as sysdg`, `as syskm`, `as sysasm`, `as sysrac`), in any case. */
const ORACLE_ADMIN_PRIVILEGE = String.raw`[ \t]+as[ \t]+sys(?:dba|oper|backup|dg|km|asm|rac)(?![\w$#])`;
/**
 * After a login's closing quote escaped as a JSON string writes it (`\"`), that string's own closing quote
 * (`"cmd":"expdp \"sys/VALUE\""`): an escaped quote just before it (none after an unquoted login, whose value holds no quote).
 */
const ESCAPED_QUOTE_ENDING_STRING = String.raw`(?<=\\["'])"`;
/**
 * A JSON string's, a logfmt value's or a shell's quoted command's closing quote right after a login, unquoted or in single quotes (`{"cmd":"sqlplus sys/VALUE"}`,
 * `{"cmd":"expdp 'system/VALUE'"}`, `msg="sqlplus sys/VALUE" level=info`, `su - oracle -c 'sqlplus sys/VALUE'`, Python's `{'cmd': 'sqlplus sys/VALUE'}`):
 * a `"` or `'` before a space, a `,`, a `}`, a `]`, the end, a list's or pipeline's `;`, `&`, `|`, a subshell's `)` (`bash -c "sqlplus sys/VALUE"; echo`)
 * or the closing quote of a string around it (`{"cmd":"bash -c 'sqlplus sys/VALUE'"}`).
 */
const QUOTE_ENDING_STRING = String.raw`["'](?=[\s,;&|)}\]"']|$)`;
/** JSON text's escaped line end (`\n`, `\r`, `\t`) right after a login's closing quote (`{"cmd":"sqlplus \"sys/VALUE\"\n"}`). */
const ESCAPED_LINE_END_AFTER_QUOTE = String.raw`(?<=["'])\\[nrt]`;
/** Where ORACLE_LOGIN may match, in any case as it does (`SQLPLUS sys/VALUE`, `THIN:scott/VALUE@…`): one look before it. */
const ORACLE_LOGIN_WORD = /sqlplus|thin:/i;
/** ORACLE_LOGIN's thin URL (`thin:`, `THIN:`), rather than sqlplus. */
const THIN_URL_START = /^thin:/i;
/**
 * Oracle's `user/password` as sqlplus takes it (`sqlplus -s system/VALUE@//db:1521/XE`, `sqlplus scott/VALUE`, quoted before
 * `as sysdba` and the like: `sqlplus "sys/VALUE as sysdba"`, also in a JSON string's escaped quotes) and
 * a JDBC thin URL gives it (`jdbc:oracle:thin:scott/VALUE@//host…`, always with the `@`: oracleLoginPassword): the
 * user stays; `sqlplus / as sysdba` gives none, nor does an ellipsis where a name was shortened (`thin:scott/...`). In any case
 * (`SQLPLUS sys/VALUE`, `THIN:scott/VALUE@…`), as ORACLE_LOGIN_WORD and THIN_URL_START look.
 */
const ORACLE_LOGIN = new RegExp(
  String.raw`(\b(?:sqlplus(?:(?:[ \t]+|${ARGV_BREAK})-[A-Za-z]{1,8})*(?:[ \t]+|${ARGV_BREAK})|thin:)((?:\\?["'])?)[\w$#.-]{1,64}\/)(?!(?:\.{2,}|…)(?![^\s@/"']))([^\s@/"']{1,256})(?=@|${ORACLE_ADMIN_PRIVILEGE}|\2(?:[ \t]|$|${ESCAPED_QUOTE_ENDING_STRING}|${QUOTE_ENDING_STRING}|${ESCAPED_LINE_END_AFTER_QUOTE}))`,
  'gi',
);
/**
 * The same as Data Pump's and the old export's and import's tools take it (`expdp system/VALUE@orcl …`, `impdp`, `exp`, `imp`, also
 * `userid=user/VALUE`): the command a word of its own or after a path (`/u01/app/oracle/bin/exp`, not `tmp/imp`), the user an
 * Oracle name starting with a letter, the password before an `@`, the end of the step (also a numbered redirection `2>&1` or a comment
 * ` # …` after a space), `as sysdba` or another privilege (ORACLE_ADMIN_PRIVILEGE: `impdp system/VALUE as sysdba`, `expdp 'sys/VALUE as sysoper'`, also in a shell's escaped quotes:
 * `impdp \"sys/VALUE as sysdba\"`, which may end a JSON string: `"expdp \"sys/VALUE\""`; `/ as sysdba` has no user) or the next `NAME=` parameter, all these tools take (so `exp 3/10 done`, `exp max/min ratios` are none); a `)` ending
 * it closes a subshell (`(exp scott/VALUE)`) and stays.
 */
const ORACLE_TOOL_LOGIN = new RegExp(
  String.raw`((?:(?<![^\s|;&"'(])(?:[.~]{1,2}|\$\{?\w{1,64}\}?)?(?:\/[\w.+-]{1,64}){0,16}\/|(?<![^\s|;&"'(]))(?:expdp|impdp|exp|imp)(?:[ \t]+-[A-Za-z]{1,8})*[ \t]+(?:(?:\w{1,32}=[^\s=]{0,256}[ \t]+){0,16}userid=)?((?:\\?["'])?)[A-Za-z][\w$#.-]{0,63}\/)(?!(?:\.{2,}|…)(?![^\s@/"']))([^\s@/"']{0,255}[^\s@/"')])(?=@|${ORACLE_ADMIN_PRIVILEGE}|\2(?:[ \t]+(?:\w{1,32}=|\d{1,2}>|#)|[ \t]*(?:$|[\r\n|;&<>)]|,(?![^ \t\r\n]))|${ESCAPED_QUOTE_ENDING_STRING}|${QUOTE_ENDING_STRING}))`,
  'gi',
);
/** Where ORACLE_TOOL_LOGIN's command says it is a login by more than its shape: Data Pump's tool or `userid=`. */
const ORACLE_TOOL_SURE = /pdp|userid=/i;
/** A `NAME=` parameter after the password (`exp scott/VALUE file=x.dmp`). */
const ORACLE_TOOL_PARAMETER_AFTER = /[ \t]+\w{1,32}=/y;

/** What may stand before a command starting its step: nothing, a wrapper (`nohup`, `sudo`, `time`, `exec`, `nice`, set -x's `+`), an opening `(`, quote or backquote, or a label's colon (`running: `). */
const STEP_LEAD = /(?:^|[ \t])(?:nohup|sudo|time|exec|nice|\+)$|(?:^|[("'`:])$/;

/**
 * Whether ORACLE_TOOL_LOGIN's match is a login: Data Pump's, one with `userid=`, quoted, before `@` or a `NAME=` parameter; the old tools'
 * bare `exp user/VALUE` ending its step (or before a comma) when the command starts its step (STEP_LEAD: after a path, `nohup`, `&&`, `;`,
 * `|`, a label's `running: `), whatever the password's shape (`exp scott/tiger`), not in prose: an experiment's `Loaded exp runs/exp1`, `saving exp outputs/exp_001`,
 * nor ending a string: `{"name":"exp baseline/lr0.1"}` (Data Pump's and `userid=` do: `{"cmd":"expdp system/VALUE"}`).
 */
function isOracleToolLogin(head: string, quote: string, whole: string, start: number, end: number): boolean {
  // A plain quote around the login is sure; an escaped one (\") is a JSON or logfmt string's, around any quoted path: judged as a bare login.
  if (quote.length === 1 || whole[end] === '@' || ORACLE_TOOL_SURE.test(head)) return true;
  // A bare `exp`/`imp user/VALUE` ending a string (QUOTE_ENDING_STRING) is an experiment's path there: `{"name":"exp baseline/lr0.1"}`, `msg="imp cfg/base"`.
  if (quote === '' && (whole[end] === '"' || whole[end] === "'")) return false;
  if (STEP_LEAD.test(stepBefore(whole, start).trim())) return true;
  ORACLE_TOOL_PARAMETER_AFTER.lastIndex = end;
  return ORACLE_TOOL_PARAMETER_AFTER.test(whole);
}
/** Whether a text names one of those tools (in any case, before a space or a tab): one look before ORACLE_TOOL_LOGIN. */
const ORACLE_TOOL_WORD = /pdp|[xm]p[ \t]/i;
/**
 * A password echoed or printed into `sudo -S` (which reads it from stdin: `echo VALUE | sudo -S cmd`, `| sudo -k -S`, `| sudo -kS`,
 * `| sudo -u root -S`, `| sudo --stdin`; `printf 'VALUE\n' | sudo -S`, `printf '%s\n' VALUE | sudo -S`): a `\n` after it stays. Only sudo's
 * own options stand before its `-S`, a value only after one that takes it (`-u -g -h -p -C -D -R -T -U -r -t`, `--user …`): the `-S` of
 * the command sudo runs (`echo hello | sudo -n sort -S 50%`) and `--stdin-fd` are none.
 */
const SUDO_STDIN_ECHO =
  /(\b(?:echo(?:[ \t]{1,8}-[neE]{1,3})*|printf(?:[ \t]+(?:'[^'\r\n]{0,64}'|"[^"\r\n]{0,64}"))?)[ \t]+(["']?))([^\s"'|]{1,256}?)(?=(?:\\n)?\2[ \t]*\|[ \t]*sudo(?:[ \t]+(?:-[A-Za-z]{0,7}[ughpCDRTUrt][ \t]+[^\s|-][^\s|]{0,64}|-[A-Za-z]{1,8}|--(?:user|group|host|prompt|close-from|chdir|chroot|command-timeout|other-user|role|type)[ \t]+[^\s|-][^\s|]{0,64}|--[a-z-]{1,32}(?:=[^\s|]{0,64})?)){0,8}?[ \t]+(?:-[A-Za-z]{0,7}S|--stdin(?![\w-])))/g;
/** zip's and unzip's arguments, up to the end of their step of a pipeline or list. */
const ZIP_COMMAND = /\b(?:un)?zip[ \t][^|;&\r\n]*/g;
/** Their `-P VALUE`, also glued (`-PVALUE`, `-P"VALUE"`) and last in a group of short options (`-qPVALUE`, `-rP VALUE`) (`--password VALUE` is PASSWORD_OPTION's). */
const ZIP_PASSWORD = spacedPasswordOption('-[A-OQ-Za-z]{0,7}P', true);
/**
 * A 7-Zip switch, in one of the shapes its manual gives (any case): `-y`, `-r`, `-bb3`, `-bd`, `-bso0`, `-bt`, `-aoa`, `-an`, `-i!*.txt`, `-xr@list`,
 * `-t7z`, `-mx=9`, `-o/out`, `-pVALUE`, `-v100m`, `-w/tmp`, `-up0q3`, `-sdel`, `-sccUTF-8`, `-scsUTF-16LE`, `-scrc*`, `-ssc-`, `-sse`, `-ssp`, `-ssw`, `--` (the end of its
 * switches), …; a word that is none (`-v` alone, `-x`, `--help`) is prose.
 */
const SEVEN_ZIP_SWITCH = String.raw`-(?:y|r[-0]?|b(?:b[0-3]?|d|s[oep][0-2]|t)|a(?:o[asut]|n|[ix]r?[-0]?[!@][^\s|;&]{1,256})|[ix]r?[-0]?[!@][^\s|;&]{1,256}|[tmop][^\s|;&]{1,256}|v\d{1,12}[bkmg]?|w[^\s|;&]{0,256}|u[-pqrxyzw0-3]{1,32}|s(?:a[aes]|cc[\w-]{1,8}|cs[\w-]{1,8}|crc[\w*]{0,8}|del|eml\.?|fx[^\s|;&]{0,256}|i[^\s|;&]{0,256}|lp|lt|n[hli]|ns-?|o|p[de]|pf2?|s(?:c-?|[epw])|tl|tm\w{0,64}|tx\w{0,16})|-)`;
/**
 * 7-Zip (`7z`, `7za`, `7zr`, `7zz`, also `….exe`) and its arguments, up to the end of its step of a pipeline or list: a command word,
 * where one starts (the text's start, a space, `|`, `;`, `&`, `(`, a quote or backquote) or after a path's `/` or `\`; a file
 * name ending in `.7z` is none (`find /backups/*.7z -print`, `scp backup.7z host: -pq`: another tool's `-p…` after it stays).
 * Its path may be quoted, also escaped, as Windows' default must be (`"C:\Program Files\7-Zip\7z.exe" a -pVALUE`, `'/opt/7-Zip/7zz'`).
 * One of 7-Zip's commands follows (`a b d e h i l rn t u x`, in any case), maybe after switches (SEVEN_ZIP_SWITCH: `7z -y a -pVALUE …`; not prose's `7z -v a -patch`): a quoted value `"7z"` (`format="7z" cmd="mkdir -pv …"`) or a
 * directory named 7z (`find /srv/archives/7z -print`) starts none.
 */
const SEVEN_ZIP_COMMAND = new RegExp(
  String.raw`(?<![^\s|;&(\/\\"'\`])7z[arz]?(?:\.exe)?(?:\\?["'])?(?:[ \t]+${SEVEN_ZIP_SWITCH}){0,16}[ \t]+(?:[abdehiltux]|rn)[ \t][^|;&\r\n]*`,
  'gi',
);
/** Its `-pVALUE` anywhere among its arguments (`-p` alone asks for it; no other switch starts with `p`, and switches ignore case: `-PVALUE`). */
const SEVEN_ZIP_PASSWORD = gluedPasswordOption('-[pP]');
const SEVEN_ZIP_QUOTED_PASSWORD = quotedGluedPasswordOption('-[pP]');
/** Whether a text names 7-Zip: one look before SEVEN_ZIP_COMMAND. */
const SEVEN_ZIP_WORD = /7z/i;
/** An htpasswd option (`-b`, `-nbB`, `-C 10`: bcrypt's cost, `-r 5000`: rounds); its batch mode (`b`) takes the password as an argument. */
const HTPASSWD_OPTIONS = String.raw`((?:[ \t]+-[A-Za-z]{1,8}(?:[ \t]+\d{1,6})?){1,8})`;
/** An argument before htpasswd's password (a file, a user), not an option nor the end of its step. */
const HTPASSWD_ARGUMENT = String.raw`[ \t]+(?!-)[^\s|;&<>]{1,256}`;
/** `htpasswd -b FILE USER VALUE`: the file and the user stay. */
const HTPASSWD_BATCH = new RegExp(String.raw`(\bhtpasswd${HTPASSWD_OPTIONS}(?:${HTPASSWD_ARGUMENT}){2}[ \t]+)(\\?["'])?${OPTION_VALUE}`, 'g');
/** `htpasswd -nb USER VALUE` (to stdout, no file): the user stays. */
const HTPASSWD_STDOUT_BATCH = new RegExp(String.raw`(\bhtpasswd${HTPASSWD_OPTIONS}${HTPASSWD_ARGUMENT}[ \t]+)(\\?["'])?${OPTION_VALUE}`, 'g');

/**
 * A registry login command (DOCKER_LOGIN_COMMAND's match) with its `-p VALUE`, `-p=VALUE` and, among
 * its arguments (LOGIN_ARGUMENTS), its glued `-pVALUE` replaced by `replace`.
 */
function redactLoginPasswords(command: string, replace: (match: string, option: string, quote: string | undefined, value: string) => string): string {
  const out = command.replace(DOCKER_LOGIN_PASSWORD, replace);
  const start = out.indexOf('login') + 'login'.length;
  LOGIN_ARGUMENTS.lastIndex = start;
  const args = LOGIN_ARGUMENTS.exec(out)?.[0] ?? '';
  if (!args.includes('-p')) return out;
  const redacted = args.replace(DOCKER_LOGIN_GLUED_PASSWORD, (match: string, option: string, quote: string | undefined, value: string, at: number) =>
    isMessageWord(args, at) ? match : replace(match, option, quote, value),
  );
  return `${out.slice(0, start)}${redacted}${out.slice(start + args.length)}`;
}

/**
 * Oracle's (ORACLE_LOGIN), mongo's, LDAP's and Samba's clients' passwords, one echoed into `sudo -S`, zip's, 7-Zip's and htpasswd's, by
 * `replaceValue` (an option's value) and `replacePassword` (after a user): most text names none of them, and one
 * look rules each out.
 */
function redactClientPasswords(
  text: string,
  replaceValue: (match: string, option: string, quote: string | undefined, value: string) => string,
  replacePassword: (match: string, user: string, quote: string | undefined, value: string) => string,
): string {
  let out = text;
  if (ORACLE_LOGIN_WORD.test(out)) {
    // A thin URL's password is always followed by its `@`: without it the word is none (`thin:scott/Tiger2024 is the shape`, `Thin:rates/day`).
    out = out.replace(ORACLE_LOGIN, (match: string, user: string, quote: string, value: string, offset: number, whole: string) =>
      THIN_URL_START.test(user) && whole[offset + match.length] !== '@' ? match : replacePassword(match, user, quote, value),
    );
  }
  if (ORACLE_TOOL_WORD.test(out)) {
    out = out.replace(ORACLE_TOOL_LOGIN, (match: string, head: string, quote: string, value: string, offset: number, whole: string) =>
      isOracleToolLogin(head, quote, whole, offset, offset + match.length) ? replacePassword(match, head, quote, value) : match,
    );
  }
  if (out.includes('mongo')) {
    out = out.replace(MONGO_COMMAND, (command: string, offset: number, whole: string) => {
      // `docker compose --profile mongo -p myproject up`: the word is a compose option's value, and a `-p` among compose's options is its project's name.
      const composeValue = whole.includes('compose') && COMPOSE_OPTION_BEFORE.test(stepBefore(whole, offset));
      return command.replace(MONGO_PASSWORD, (match: string, option: string, quote: string | undefined, value: string, at: number) =>
        PORT_MAPPING.test(value) || (composeValue && at <= MAX_COMPOSE_OPTIONS && COMPOSE_OPTIONS_ONLY.test(command.slice(0, at))) ? match : replaceValue(match, option, quote, value),
      );
    });
  }
  if (out.includes('ldap')) out = out.replace(LDAP_COMMAND, (command) => command.replace(command.startsWith('ldappasswd') ? LDAPPASSWD_PASSWORD : LDAP_PASSWORD, replaceValue));
  if (out.includes('smbc') || out.includes('net')) {
    out = out.replace(SMB_COMMAND, (command: string, at: number, whole: string) =>
      command
        .replace(NET_NEW_PASSWORD, (match: string, head: string, quote: string | undefined, quoted: string | undefined, word: string | undefined) => {
          // A result word (`net rpc password bob changed`), or prose naming the command (`the net rpc password bob was …`): no option nor step's end after it.
          if (word !== undefined && (NET_RESULT_WORD.test(word) || (/\w$/.test(stepBefore(whole, at).trimEnd()) && !NET_OPTION_OR_END.test(command.slice(match.length))))) return match;
          const redacted = replacePassword(match, `${head}${quote ?? ''}`, quote, quoted ?? word ?? '');
          return redacted === match ? match : `${redacted}${quote ?? ''}`;
        })
        .replace(SMB_USER, replacePassword),
    );
  }
  if (out.includes('sudo')) out = out.replace(SUDO_STDIN_ECHO, replacePassword);
  if (out.includes('zip')) out = out.replace(ZIP_COMMAND, (command) => command.replace(ZIP_PASSWORD, replaceValue));
  if (SEVEN_ZIP_WORD.test(out)) out = out.replace(SEVEN_ZIP_COMMAND, (command) => redactGluedPasswords(command, SEVEN_ZIP_PASSWORD, SEVEN_ZIP_QUOTED_PASSWORD, replaceValue));
  if (out.includes('htpasswd')) {
    const batch = (stdout: boolean) => (match: string, head: string, options: string, quote: string | undefined, value: string) =>
      options.includes('b') && options.includes('n') === stdout ? replaceValue(match, head, quote, value) : match;
    out = out.replace(HTPASSWD_BATCH, batch(false)).replace(HTPASSWD_STDOUT_BATCH, batch(true));
  }
  return out;
}

/**
 * Passwords given on a command line, as cron commands (job names) and scripts' output show them:
 * `mysql -pVALUE` and its kin, `sshpass -p VALUE`, `--password VALUE`, `curl -u user:VALUE`,
 * `redis-cli -a VALUE`, `--token VALUE` and its kin, `docker login -p VALUE` and its kin, `--creds user:VALUE`. A `-p` of any other command (a port,
 * `mkdir -p`), a `-u` or `-a` of any other command, is left alone.
 */
const cliPasswordRule: TextRule = {
  name: 'cli-password',
  description:
    'passwords on a command line: Oracle\'s `sqlplus user/VALUE@…` (in any case; also quoted before `as sysdba`: `sqlplus "sys/VALUE as sysdba"`; also ending a JSON string, a logfmt value or a single-quoted command: `{"cmd":"sqlplus sys/VALUE"}`, `su - oracle -c \'sqlplus sys/VALUE\'`, also before `;` `&` `|` `)`, as for Data Pump\'s tools) and JDBC thin `thin:user/VALUE@…`, `mongo`/`mongosh`/`mongodump`/… `-p VALUE`, `ldapsearch`/`ldapmodify`/… `-w VALUE`, `smbclient -U user%VALUE` and `net ads|rpc|rap|sam … -U user%VALUE` (also after net\'s own options: `net -S dc1 rpc …`, `net -S dc1 sam …`), `net rpc password USER VALUE`, `net rpc user add USER VALUE` (also quoted; not a plain lower-case word: `… bob changed`), `ldappasswd -s VALUE` and `-a VALUE` (also glued: `-sVALUE`), `expdp`/`impdp`/`exp`/`imp user/VALUE` (in any case; also `userid=user/VALUE`, after other parameters too; an Oracle user, the password before `@`, the end (also `2>&1`, ` # …`), a comma, `as sysdba` or another administrative privilege (`as sysoper`, `as sysbackup`, `as sysdg`, `as syskm`, `as sysasm`, `as sysrac`; for `sqlplus` too) or a `NAME=` parameter, also quoted, also in a shell\'s escaped quotes: `impdp \\"sys/VALUE as sysdba\\"`, also where that escaped quote ends a JSON string: `"cmd":"expdp \\"sys/VALUE\\""`; ending its step, `exp`\'s and `imp`\'s whatever its shape when the command starts its step: `exp scott/tiger`, `nohup exp scott/tiger &`; not `exp 3/10 done`, `Loaded exp runs/exp1`, nor ending a string: `{"name":"exp runs/exp1"}`), `echo VALUE | sudo -S …` and `printf \'VALUE\\n\' | sudo -S …` (also `sudo -u root -S`, `--stdin`), `zip -P VALUE`, `unzip -P VALUE` (also glued: `-PVALUE`, and last in a group of short options: `-qPVALUE`), 7-Zip\'s `-pVALUE` (`7z`, `7za`, `7zr`, `7zz`, also after a path, quoted too, before one of its commands: `a`, `x`, …, maybe after its switches (only 7-Zip\'s switch shapes): `7z -y a -pVALUE`, `7z -sccUTF-8 -- a -pVALUE`, not prose\'s `7z -v a -patch`; not a file name `….7z`, a directory `…/7z` or a value `"7z"`; glued, also quoted, also quoted whole: `\'-pVALUE\'`, also `-PVALUE`), `htpasswd -b FILE USER VALUE` and `-nb USER VALUE`, `mysql`/`mysqldump`/`mysqladmin`/`mariadb…` `-pVALUE` (also quoted whole: `\'-pVALUE\'`; a quoted one may hold `&`, `|`, `;`; also in an argv list or tuple holding the client, also after the plain arguments before it, its own arguments up to the list\'s end: `["mysql","-pVALUE"]`, `["CMD","mysqladmin","ping","-pVALUE"]`, as is `["sqlplus","user/VALUE"]`), `sshpass -p VALUE`, `--password VALUE` (also `--db-password`, `--http-password`, `--passphrase`), `curl -u user:VALUE` and `--user user:VALUE` (also the proxy\'s `-U`, `--proxy-user`), `redis-cli -a VALUE` and `--pass VALUE`, `--token VALUE`, `--api-key VALUE`, `--apikey VALUE`, `--secret VALUE`, `--secret-key VALUE`, `--private-key VALUE` (not a key file: a path, a variable, `….pem`, `….key`, `….json`, `id_rsa`, a name of words; but a value all of base64, 40 characters or more, is a key, also starting with `/`), Azure\'s `--account-key VALUE` (not a key file either: `--service-account-key sa-key.json`) (also with a prefix: `--access-token`, `--github-token`, `--client-secret`, …, not `--page-token`, `--next-token`, `--pull-secret` and the like; a value that looks like a credential, not a word, a placeholder, a number or docker\'s secret name), openssl\'s `-pass pass:VALUE` (`-passin`, `-passout`), `docker login -p VALUE`, also glued (`-pVALUE`, among the login\'s options and registry, not a message\'s lower-case word followed by another) (also podman\'s, nerdctl\'s, buildah\'s, skopeo\'s, oras\'s, `helm registry login -p VALUE`, `crane auth login -p VALUE`), `--creds user:VALUE` (also `--src-creds`, `--dest-creds`: skopeo, podman, buildah)',
  apply(text) {
    const marker = redactionMarker('cli-password');
    const replaceValue = (match: string, option: string, quote: string | undefined, value: string) => (value.startsWith(MARKER_START) ? match : `${option}${quote ?? ''}${marker}`);
    // Whether any command here names secrets with `--secret NAME`: most text has none, and no option is looked behind.
    const namesSecrets = SECRET_NAMING_COMMAND.test(text);
    const out = text
      .replace(PASSWORD_OPTION, replaceValue)
      .replace(SSHPASS_OPTION, replaceValue)
      .replace(TOKEN_OPTION, (match: string, option: string, quote: string | undefined, value: string, offset: number, whole: string) =>
        isTokenOptionValue(option, quote, value, whole, offset, namesSecrets) ? replaceValue(match, option, quote, value) : match,
      );
    const replacePassword = (match: string, user: string, _quote: string | undefined, value: string) => (value.startsWith(MARKER_START) ? match : `${user}${marker}`);
    // A registry login's unquoted password keeps the `)` closing what the command was quoted in (`(docker login -u me -pS3cret)`).
    const replaceLoginPassword = (match: string, option: string, quote: string | undefined, value: string) => {
      const closing = quote ? '' : /\)*$/.exec(value)![0];
      return value.startsWith(MARKER_START) || closing.length === value.length ? match : `${option}${quote ?? ''}${marker}${closing}`;
    };
    // `--creds user:password` (most text has no `creds`: one look rules it out).
    const withCreds = out.includes('creds') ? out.replace(CREDS_OPTION, replacePassword) : out;
    return redactClientPasswords(withCreds, replaceValue, replacePassword)
      .replace(MYSQL_COMMAND, (command) => redactGluedPasswords(command, MYSQL_PASSWORD, MYSQL_QUOTED_PASSWORD, replaceValue))
      .replace(MYSQL_ARGV_COMMAND, (_list, client: string, _quote: string, args: string) => `${client}${redactArgvMysqlPasswords(args, marker)}`)
      .replace(CURL_COMMAND, (command) => command.replace(CURL_USER, replacePassword))
      .replace(REDIS_COMMAND, (command) => command.replace(REDIS_PASSWORD, replaceValue))
      .replace(OPENSSL_PASS, replacePassword)
      .replace(DOCKER_LOGIN_COMMAND, (command) => redactLoginPasswords(command, replaceLoginPassword));
  },
};

const SAS_SIGNATURE_PARAM = /([?&]sig=)([^&#;\s"'\\]{16,})/gi;
const sasConnectionString = assignmentRule('azure-sas', "a connection string's `SharedAccessSignature=…` (it holds `&`: to the next `;`)", 'sharedaccesssignature', ';');

/** Azure shared access signatures: a connection string's `SharedAccessSignature=…`, and the `sig=` of a SAS URL or token. */
const azureSasRule: TextRule = {
  name: 'azure-sas',
  description: 'Azure shared access signatures: `SharedAccessSignature=…` in a connection string, `sig=…` in a SAS URL or token',
  apply(text) {
    const marker = redactionMarker('azure-sas');
    return sasConnectionString.apply(text).replace(SAS_SIGNATURE_PARAM, (match, param: string, value: string) => (value.startsWith(MARKER_START) ? match : `${param}${marker}`));
  },
};

const PEM_BEGIN = /-----BEGIN ([A-Z0-9 ]{0,40})PRIVATE KEY( BLOCK)?-----/g;
const PEM_END = /-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/g;

/**
 * PEM private keys: a whole block; a block cut short by a head excerpt (BEGIN without END:
 * redacted to the end of the text, or to a quote, which no key holds); and the end of a block
 * whose start a tail excerpt cut off (the base64 lines just before an END).
 */
const privateKeyRule: TextRule = {
  name: 'private-key',
  description: 'PEM private key blocks (`-----BEGIN … PRIVATE KEY-----` … `-----END … PRIVATE KEY-----`), also when an excerpt cut off their start or end',
  apply(text) {
    const marker = redactionMarker('private-key');
    let out = '';
    let from = 0;
    // The next END and the next quote, each searched for again only once passed: linear however many BEGINs.
    let end: RegExpExecArray | null | undefined;
    let quote: number | undefined;
    PEM_BEGIN.lastIndex = 0;
    for (let m = PEM_BEGIN.exec(text); m; m = PEM_BEGIN.exec(text)) {
      const start = m.index;
      const after = start + m[0].length;
      if (end === undefined || (end !== null && end.index < after)) {
        PEM_END.lastIndex = after;
        end = PEM_END.exec(text);
      }
      if (quote === undefined || (quote >= 0 && quote < after)) quote = text.indexOf('"', after);
      let stop: number;
      if (end && (quote < 0 || end.index < quote)) stop = end.index + end[0].length;
      else stop = quote < 0 ? text.length : quote;
      out += `${text.slice(from, start)}${marker}`;
      from = stop;
      PEM_BEGIN.lastIndex = stop;
    }
    out += text.slice(from);
    return out.includes('PRIVATE KEY') ? redactOrphanEnds(out, marker) : out;
  },
};

/**
 * Where a line of output logged one line at a time (cronie's `CMDOUT` lines) leaves a PEM private
 * key's block, which redacting each line alone cannot see whole: `opens` when a BEGIN in it is not
 * ended in it, `closes` when it holds an END (or a BEGIN it ends too); undefined for a line with
 * neither. The lines between one that opens and one that closes are the key's body: its output,
 * redacted as a block (`privateKeyRule`), keeps none of them.
 */
export function keyBlockAfter(line: string): 'opens' | 'closes' | undefined {
  if (!line.includes('PRIVATE KEY')) return undefined;
  let begin = -1;
  PEM_BEGIN.lastIndex = 0;
  for (let m = PEM_BEGIN.exec(line); m; m = PEM_BEGIN.exec(line)) begin = m.index + m[0].length;
  PEM_END.lastIndex = Math.max(0, begin);
  if (begin >= 0 && !PEM_END.test(line)) return 'opens';
  PEM_END.lastIndex = 0;
  return begin >= 0 || PEM_END.test(line) ? 'closes' : undefined;
}

/** Characters of key material as it sits before an END line: base64, line breaks, and `\n` as JSON text escapes them. */
function isKeyMaterial(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39) || code === 0x2b || code === 0x2f || code === 0x3d || code === 0x0a || code === 0x0d || code === 0x5c;
}

/** An END line with no BEGIN before it (a tail excerpt cut the block's start off): the key material just before it goes too. */
function redactOrphanEnds(text: string, marker: string): string {
  let out = '';
  let from = 0;
  PEM_END.lastIndex = 0;
  for (let m = PEM_END.exec(text); m; m = PEM_END.exec(text)) {
    let start = m.index;
    while (start > from && isKeyMaterial(text.charCodeAt(start - 1))) start--;
    out += `${text.slice(from, start)}${marker}`;
    from = m.index + m[0].length;
  }
  return out + text.slice(from);
}

/** A key name in lower case, letters and digits only (`Next_Page-Token` → `nextpagetoken`). */
function normalisedKey(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/**
 * A paging cursor's name, in any case and with any separators: `NextContinuationToken`, `ContinuationToken` (S3),
 * `NextToken`, `next_page_token`. Not `page_token`, `PAGE_TOKEN`: a (Facebook) page's access token is named so.
 */
const PAGING_TOKEN_NAME = /^(?:next(?:continuation|page)?|continuation)token$/;

/** Whether a key names a paging cursor (a list call's position, not a credential): PAGING_TOKEN_NAME, and Google's `pageToken` (in this case only). */
function isPagingTokenName(name: string): boolean {
  return name === 'pageToken' || PAGING_TOKEN_NAME.test(normalisedKey(name));
}

/** The name an `_PASS`/`_PWD` keyword at `offset` ends: the letters, digits, `_` and `-` just before it (at most 64). */
function nameBefore(text: string, offset: number): string {
  let start = offset;
  while (start > 0 && offset - start < 64 && /[A-Za-z0-9_-]/.test(text[start - 1])) start--;
  return text.slice(start, offset);
}
/** Paths that cannot be anything else: `/srv`, `./build`, `../out`, `~/x`, `C:\Users\app`. */
const UNMISTAKABLE_PATHS = String.raw`\/.*|~\/.*|\.{1,2}[\\/].*|[a-z]:\\.*`;
/**
 * An unquoted value no password is: a number or a count (`48/50`), a boolean, a result (`ok`,
 * `passed`, `success`) or the like, a path that cannot be anything else (`/srv`, `./build`,
 * `../out`, `~/x`, `C:\Users\app`; not `ab12/cd34`, which may be a password), a variable
 * (`${HOME}`, or `$` and an upper-case name: `$HOME`; not `$3cr3tPw`) or a command's output (`$(pwd)`).
 */
const NOT_A_PASSWORD = new RegExp(
  String.raw`^(?:[+-]?\d+(?:\.\d+)?%?|\d+\/\d+|true|false|yes|no|on|off|ok|none|null|success|passed|pass|failed|fail|${UNMISTAKABLE_PATHS}|\$\{\w+\}|\$\(.*)$`,
  'i',
);
/** A path that cannot be anything else, alone (NOT_A_PASSWORD's): a working directory after a connection string's `;` (sudo's `; PWD=/home/alice ;`). */
const UNMISTAKABLE_PATH = new RegExp(`^(?:${UNMISTAKABLE_PATHS})$`, 'i');
/** A logfmt `pass=` value packing counts: a part before a `,`, `;` or `|` and the next `name=` after it (`12` in `pass=12;fail=3`). */
const LOGFMT_COUNTS = /^([^,;|]*)[,;|][A-Za-z_][\w.-]*=/;
/** What a test runner writes after `pass=` besides a count or a result: a state, a share, a duration (`skipped`, `pending`, `n/a`, `-`, `all`, `1.5s`). */
const PASS_STATE = /^(?:skipped|skip|pending|running|partial|all|unknown|n\/a|na|-|\d+(?:\.\d+)?(?:ms|s|m|h))$/i;
/** A plain lower-case word after `pass=` (`dce`, `done`, `first`, `loop-unroll`): a pass's name or a result unless it looks like a credential or the line is a login. */
const PLAIN_WORD = /^[a-z][a-z0-9_-]*$/;
/** A number of 6 digits or more (`123456`): a PIN-like password on a login's line. */
const LONG_NUMBER = /^\d{6,}$/;
/** What ends a label on a login's or a test run's line: `=`, `:=` or `: `, also with spaces before (`user = admin`, `user := admin`, `fail : 0`), as the labelled rule reads `pass = …`. */
const LINE_LABEL_END = String.raw`[ \t]*(?::?=|:[ \t])`;
/** A user's label (`user=admin`, `username=`, `login=`, also `user: admin`, `user = admin`): a `pass=` on its line is a login's password, unless the line counts (COUNT_LABEL). */
const USER_LABEL = new RegExp(String.raw`(?<![\w.-])(?:user(?:name)?|login|usr)${LINE_LABEL_END}`, 'i');
/**
 * A test runner's count (`fail=0`, `skip=1`, `total=0`, also `fail: 0`, `fail = 0`): its line reports a run
 * (`pass=3 fail=0 user=ci`), not a login. Only a number counts: `login failed: user=…`, `failed = true`,
 * `errors = none` do not make a login's line a test run.
 */
const COUNT_LABEL = new RegExp(String.raw`(?<![\w.-])(?:fail(?:ed|ures?)?|skip(?:ped)?|total|errors?)${LINE_LABEL_END}[ \t]*\d`, 'i');
/**
 * A logger's field (`level=`, `lvl=`, `msg=`, structlog's `event=`): its line is a logged event, no test run's summary, whatever
 * counts it carries; logrus' TextFormatter and structlog's `sort_keys` write counts and `pass=` before `user=`.
 */
const LOGGER_FIELD = /(?<![\w.-])(?:level|lvl|msg|event)=/i;
/** `$` and a name in upper or lower case (`$DB_PASS`, `$db_pass`): a variable; not a mixed-case `$ecretPw1`. */
const SINGLE_CASE_VARIABLE = /^\$(?:[A-Z_][A-Z0-9_]*|[a-z_][a-z0-9_]*)$/;

/** A value without the punctuation closing what holds it (`48,`, `ok)`, `x]`, `${HOME}` → `${HOME`); the value itself when that is all of it. */
function withoutClosers(value: string): string {
  return value.replace(/[,;})\]]+$/, '') || value;
}

/** The line `offset` is on, at most 256 characters either side (looked for no further: a long line of `pass=` stays linear), and where `offset` is in it. */
function lineAround(text: string, offset: number): { line: string; at: number } {
  let start = offset;
  while (start > 0 && offset - start < 256 && text.charCodeAt(start - 1) !== 0x0a) start--;
  let end = offset;
  while (end < text.length && end - offset < 256 && text.charCodeAt(end) !== 0x0a) end++;
  return { line: text.slice(start, end), at: offset - start };
}

/**
 * Whether the line around `offset` is a login's: a user's label (USER_LABEL), or with `orChpasswd` chpasswd
 * named, and no count (COUNT_LABEL), but for a user's label before the password: a login is written user
 * first, so its counts (`user=admin pass=letmein failures = 3`) do not make it a test run (`pass=dce fail=0 user=ci`);
 * nor do they on a logger's line (LOGGER_FIELD: `level=warning msg="login failed" failures=3 pass=letmein user=admin`).
 */
function isLoginLine(text: string, offset: number, orChpasswd = false): boolean {
  const { line, at } = lineAround(text, offset);
  if (!(USER_LABEL.test(line) || (orChpasswd && line.includes('chpasswd')))) return false;
  return !COUNT_LABEL.test(line) || USER_LABEL.test(line.slice(0, at)) || LOGGER_FIELD.test(line);
}

/**
 * Whether an unquoted bare `pass=VALUE` (logfmt, a query string) is no password. Counts packed with
 * separators are none (`pass=12;fail=3`: a count or result before the next `name=`), and nor is a
 * variable (`$PASS`, `$db_pass`, `${PASS}`). In a query string (`?pass=`, `&pass=`) any other value
 * is a password, a number too. Elsewhere what CI writes stays: a number, count, result or
 * unmistakable path (NOT_A_PASSWORD), a state or duration (PASS_STATE), whatever labels the line
 * has (`pass=ok user=bob`), but for a number of 6 digits or more on a login's line
 * (`user=admin pass=123456`: isLoginLine). A plain lower-case word (`pass=dce`, `pass=done`) goes
 * only when it looks like a credential (`pass=hunter2`) or the line is a login's (`user=admin
 * pass=letmein`); a bare `pass=letmein` stays. Any other value goes (`pass=Summer2024`); a `,`, `;`
 * or `|` in it is the password's (`pass=12|hunter2`).
 */
function keepLogfmtPass(value: string, text: string, offset: number): boolean {
  const counts = LOGFMT_COUNTS.exec(value);
  if ((counts && NOT_A_PASSWORD.test(counts[1])) || SINGLE_CASE_VARIABLE.test(value) || VARIABLE_EXPANSION.test(value)) return true;
  const before = text[offset - 1];
  if (before === '?' || before === '&') return false;
  const word = withoutClosers(value);
  if (PASS_STATE.test(word)) return true;
  if (NOT_A_PASSWORD.test(word)) return !LONG_NUMBER.test(word) || !isLoginLine(text, offset);
  return PLAIN_WORD.test(word) && !looksLikeCredential(word) && !isLoginLine(text, offset);
}
/** A value's first word (all of it when it holds no whitespace). */
function firstWord(value: string): string {
  return /^\S+/.exec(value)?.[0] ?? value;
}

/**
 * A login's `pass:`/`pwd:` value after `:`, which runs to the end of the line (`user: admin pass: letmein host: db`):
 * judged by its first word as `pass=` is (keepLogfmtPass); the length of that word without what closes it (`letmein`
 * of `letmein,`), which alone goes, or, kept, minus its length: either way the rest of the line stays, read again
 * (`user: admin pass: ok token: …`).
 */
function keepLoginPasswordAfterColon(value: string, text: string, offset: number): number {
  const word = firstWord(value);
  return keepLogfmtPass(word, text, offset) ? -word.length : withoutClosers(word).length;
}
/** A working directory's path (a `pwd` key's value): one holding `/`, or a Windows path (`C:\\Users\\ci`). */
function isWorkingDirectory(value: string): boolean {
  return value.includes('/') || UNMISTAKABLE_PATH.test(value);
}
/** `&name=` just after a value: the value is a form body's field (`pwd=hunter22&log=admin`). */
const FORM_FIELD_AFTER = /&[\w.%[\]-]{1,64}=/y;

/** Whether a form body's next field starts at `at` (FORM_FIELD_AFTER). */
function formFieldAt(text: string, at: number): boolean {
  FORM_FIELD_AFTER.lastIndex = at;
  return FORM_FIELD_AFTER.test(text);
}
/** `$` and an upper-case name (`$HOME`, `$CI_PROJECT_DIR`): a variable, in this case only. */
const UPPER_CASE_VARIABLE = /^\$[A-Z_][A-Z0-9_]*$/;
/** A quoted result (`{"smoke_pass": "ok"}`, `config['lint_pass'] = 'true'`): CI output, not a password (a quoted number is one). */
const QUOTED_RESULT = /^(?:ok|true|false|pass|passed|fail|failed|success)$/i;

/** Whether what starts at `start` begins its line (after indentation and a list's `- `; also after JSON text's `\n`), as a YAML key does. */
function beginsLine(text: string, start: number): boolean {
  let i = start;
  while (i > 0 && start - i < 64 && (text[i - 1] === ' ' || text[i - 1] === '\t' || (text[i - 1] === '-' && i < start))) i--;
  return i === 0 || text[i - 1] === '\n' || text[i - 1] === '\r' || (text[i - 1] === 'n' && text[i - 2] === '\\');
}

/** A name part saying what a `_pass`/`_pwd` key holds the password of (`db_pass`, `mysql_root_pass`, `smtp_pass`, `admin_pwd`): a password, not a result. */
const CREDENTIAL_HOLDER = /(?:^|[_-])(?:db|database|smtp|mail|email|imap|pop3?|redis|mysql|mariadb|postgres(?:ql)?|pg|mongo(?:db)?|ldap|admin|root|user|ftp|sftp|ssh|proxy|rabbitmq|amqp|vault|keystore|truststore|registry|wifi)(?=[_-]|$)/i;

/**
 * `_PASS`/`_PWD` as the end of a name, and `PGPASS`: only an upper-case env name (`DB_PASS=`, `REDIS_PWD=`,
 * `DB_PASS: …`, `PGPASS=`), a quoted key (`{"db_pass":"…"}`, `os.environ["DB_PASS"]`) or a YAML
 * key, starting its line (`  db_pass: …`),
 * not counts and flags such as `tests_pass=48`, `lint_pass=true`, nor an unquoted value no
 * password is (NOT_A_PASSWORD: `SAVED_PWD=/srv`, `TESTS_PASS=48`, `BUILD_PASS=success`); a quoted
 * value is one whatever it looks like (`DB_PASS="123456"`) but a result (`"ok"`, `"true"`). After `:`
 * an unquoted value is judged by its first word (`SMOKE_PASS: ok (3 checks)` stays) and, a
 * password, goes whole (`DB_PASS: correct horse battery staple`). The other keywords are kept whatever their case. And
 * what names or logs rather than gives a secret: a logger's name before its message
 * (`INFO botocore.credentials: Found credentials …`: isLoggedMessage), a paging cursor
 * (isPagingTokenName), a private or account key's file (`private_key: /etc/ssl/app.pem`, `--account-key=./keys/ci.json`: isKeyFile), and
 * docker's `--secret=id=…,src=…`, which names a file.
 */
function keepLabelledValue(keyword: string, closeQuote: string, separator: string, openQuote: string, value: string, text: string, offset: number, scheme: string): boolean | number {
  // `INFO botocore.credentials: Found credentials in environment variables.`: a logger and its message.
  if (closeQuote === '' && openQuote === '' && separator.trim() === ':' && isLoggedMessage(keyword, scheme, value, text, offset)) return true;
  // passwd(1)'s own message, starting its line (`passwd: all authentication tokens updated successfully.`).
  if (closeQuote === '' && openQuote === '' && separator.trim() === ':' && /^passwd$/i.test(keyword) && beginsLine(text, offset) && isPasswdMessage(value.trimEnd())) return true;
  // A paging cursor (`NextContinuationToken=…`, `"next_page_token": "…"`).
  if (/^token$/i.test(keyword)) return isPagingTokenName(nameBefore(text, offset) + keyword);
  // `--private-key=~/.ssh/id_rsa`, `private_key: /etc/ssl/app.pem`, `--account-key=./keys/ci.json` name the key's file.
  if (/^(?:private|account)[_-]?key$/i.test(keyword)) return isKeyFile(value.trimEnd());
  // docker's `--secret=id=npmrc,src=…` names a file.
  if (/^secret$/i.test(keyword)) return text.slice(Math.max(0, offset - 2), offset) === '--' && /^(?:id|src|source|type|env|target)=/i.test(value);
  const pgpass = /^pgpass$/i.test(keyword);
  // A bare `pass` (logfmt's `user=admin pass=hunter22`, `{"pass":"…"}` in JSON text), not a name's end.
  const barePass = /^pass$/i.test(keyword);
  if (/^pwd$/i.test(keyword)) {
    const word = withoutClosers(value.trimEnd());
    // After a `;` a connection string's password, but a working directory's path (sudo's `; PWD=/home/alice ;`).
    // So in a query string (`?user=bob&pwd=letmein`) and a form's body (`pwd=hunter22&log=admin`).
    const end = offset + keyword.length + closeQuote.length + separator.length + openQuote.length + scheme.length + value.length;
    if (/;[ \t]*$/.test(text.slice(Math.max(0, offset - 9), offset)) || text[offset - 1] === '?' || text[offset - 1] === '&' || formFieldAt(text, end)) return UNMISTAKABLE_PATH.test(word);
    // After `:` unquoted (`pwd: Secr3t!`) the value runs to the end of the line: only a lone word may be a password, but on a login's line its first word
    // (a working directory's path stays, the rest read again: `user: ci pwd: /home/ci password: …`).
    if (closeQuote === '' && separator.includes(':') && !separator.includes('=') && /\s/.test(word)) {
      if (openQuote !== '' || !isLoginLine(text, offset)) return true;
      const first = firstWord(word);
      return isWorkingDirectory(first) ? -first.length : keepLoginPasswordAfterColon(word, text, offset);
    }
    if (isWorkingDirectory(word)) return true;
    // A quoted key's value (`{"user":"bob","pwd":"letmein"}`) is a password but a path or a result, as a quoted `pass`'s is.
    if (openQuote !== '') return QUOTED_RESULT.test(word);
    // On a login's line (`login user=bob pwd=hunter22`) a value is judged as `pass=` is there.
    if (isLoginLine(text, offset)) return keepLogfmtPass(word, text, offset);
    // Elsewhere a bare `pwd=` is mostly a working directory: only a word that looks like a credential goes, not a path
    // (`pwd=src/app`, `PWD=D:\a\1\s`: NOT_A_PASSWORD) nor a lower-case directory's name (`pwd=release-2024`).
    return NOT_A_PASSWORD.test(word) || LOWER_CASE_WORD.test(word) || !looksLikeCredential(word);
  }
  if (!pgpass && !barePass && !/^[_-]p(?:ass|wd)$/i.test(keyword)) return false;
  const name = nameBefore(text, offset);
  // What names the env variable or key: `DB` before `_PASS`, `PGPASS` itself.
  const label = pgpass ? keyword : name;
  const start = offset - name.length;
  const envName = /[A-Z]/.test(label) && name === name.toUpperCase() && keyword === keyword.toUpperCase();
  // A quoted key (`{"db_pass":"…"}`) in any case.
  const quote = closeQuote.replace(/[\\\]]/g, '');
  const quotedKey = label !== '' && quote !== '' && text[start - 1] === quote;
  // After `:` (not `:=`) an unquoted value runs to the end of the line: its first word tells CI
  // output (`48,` in `48, "next": …`, `ok` in `ok (3 checks)`) from a password, which goes whole.
  const colon = separator.includes(':') && !separator.includes('=');
  // A YAML key (`db_pass: s3cret`) in any case, starting its line.
  const yamlKey = label !== '' && colon && closeQuote === '' && beginsLine(text, start);
  if (!(barePass || envName || quotedKey || yamlKey)) return true;
  // An unquoted bare `pass=` (logfmt, a query string): its own judgement.
  if (barePass && !colon && closeQuote === '' && openQuote === '') return keepLogfmtPass(value.trimEnd(), text, offset);
  // A bare `pass:` on a login's line (`user: admin pass: letmein`, also before more: `pass: letmein host: db`) is judged as `pass=` is there.
  if (barePass && colon && closeQuote === '' && isLoginLine(text, offset)) return openQuote === '' ? keepLoginPasswordAfterColon(value.trimEnd(), text, offset) : QUOTED_RESULT.test(value);
  // A lower-case YAML key has only its name to go by: CI writes results so (`first_pass: complete`,
  // `mypy_pass: Success: …`, `build_pwd: src/app`). Unless its name says what holds a password
  // (`db_pass`, `smtp_pass`: CREDENTIAL_HOLDER), only a lone word that looks like a credential may be
  // one (looksLikeCredential: `e2e_pass: Xk9pL2mq`), quoted or not, and then not a path or a count
  // (`build_pwd: /home/ci/build1`, `test_pass: 1234/1234`), as below. So is a bare `pass` before `:` but a
  // quoted key's: CI counts so (`pass: 12, fail: 0`, `Pass: 3/3 all checks`).
  if ((yamlKey && !envName && !quotedKey && !CREDENTIAL_HOLDER.test(name)) || (barePass && colon && closeQuote === '')) {
    const word = value.trimEnd();
    if (/\s/.test(word) || !looksLikeCredential(word)) return true;
  }
  if (openQuote !== '') return QUOTED_RESULT.test(value);
  const word = colon ? firstWord(value) : value;
  const bare = withoutClosers(word);
  // `${HOME}` keeps the brace the trimming takes.
  const notAPassword = (v: string) => NOT_A_PASSWORD.test(v) || UPPER_CASE_VARIABLE.test(v);
  return notAPassword(word) || (bare !== word && notAPassword(bare));
}

/**
 * A logger's name's last word that a secret's keyword may be: `credentials` (botocore's), `token`
 * (`vault.token`), `authorization`; `auth` and `identity` too. Not `password`, `passwd`, `secret`, nor
 * a compound key (`api_key`, `client_secret`, `db_password`): a config key is named so, no logger.
 */
const LOGGER_WORD = /^(?:credentials?|token|auth|authorization|identity)$/;
/** A logger's name before its last word, from its start: a dotted lower-case path (`botocore.`, `hvac.api.auth_methods.`, `i.q.oidc.`). */
const LOGGER_PATH_BEFORE = /(?<![^\s:[\]])[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*\.$/;
/**
 * A log level just before a logger's name: `INFO `, `[INFO] `, `INFO:` (Python's basic format), `WARN`, `WARNING`,
 * `ERROR`, `DEBUG`, `TRACE`, maybe with a thread's name after it (`INFO [main] `).
 */
const LEVEL_BEFORE = /(?:^|[^\w.-])(?:\[(?:INFO|WARN|WARNING|ERROR|DEBUG|TRACE)\]|(?:INFO|WARN|WARNING|ERROR|DEBUG|TRACE):?)(?:[ \t]+\[[\w.-]{1,32}\])?[ \t]*$/;
/** A word of prose opening a message: letters in lower case, maybe capitalised (`Found`, `not`), maybe ending in punctuation. */
const PROSE_WORD = /^[A-Za-z][a-z]{0,13}[.,;:!?]?$/;
/** A message of one word: a state, in lower case (`renewing`, `expired`, `verified`). */
const STATE_WORD = /^[a-z]{2,12}(?:ing|ed)[.!]?$/;

/**
 * Whether a logger's message is prose: several words, the first PROSE_WORD and none after it looking
 * like a credential (`credentials: admin s3cr3tP4ss` is a user and a password), or a lone STATE_WORD.
 */
function isProse(message: string): boolean {
  const space = message.search(/[ \t]/);
  if (space < 0) return STATE_WORD.test(message);
  return PROSE_WORD.test(message.slice(0, space)) && !message.slice(space + 1).split(/[ \t]+/).some(looksLikeCredential);
}

/** A word passwd(1) says of what it did (`tokens updated`, `Authentication token manipulation error`, `password expiry information changed`). */
const PASSWD_MESSAGE_WORD = /\b(?:tokens?|password|updated|changed|unchanged|error|failure|expir\w*|retries|user)\b/i;

/** Whether a value after `passwd:` is the command's message: prose (isProse) saying what passwd did (PASSWD_MESSAGE_WORD); `passwd: correct horse battery staple` is none. */
function isPasswdMessage(value: string): boolean {
  return isProse(value) && PASSWD_MESSAGE_WORD.test(value);
}

/**
 * Whether a keyword before `:` ends a logger's name rather than labels a secret: after a level, a
 * LOGGER_WORD standing alone (`[INFO] credentials: using instance profile`) or ending a dotted path
 * (`INFO botocore.credentials: Found credentials in environment variables.`, `INFO vault.token: renewed
 * lease for 3600s`), logging prose (isProse); after the scheme `Token` (`token: Token verified`) the
 * words after it are judged so, after any other (`token: Bearer …`) never. A config key
 * (`spring.datasource.password: …`, `INFO app.client_secret: …`), `INFO password: letmein`,
 * `[WARN] token: abcdefghijklmnopqrs`, `token: eyJ…` stay secrets.
 */
function isLoggedMessage(keyword: string, scheme: string, value: string, text: string, offset: number): boolean {
  if (!LOGGER_WORD.test(keyword) || (scheme !== '' && !/^token[ \t]/i.test(scheme)) || nameBefore(text, offset) !== '') return false;
  if (!isProse(value.trimEnd())) return false;
  const path = LOGGER_PATH_BEFORE.exec(text.slice(Math.max(0, offset - 128), offset));
  const start = offset - (path?.[0].length ?? 0);
  return LEVEL_BEFORE.test(text.slice(Math.max(0, start - 48), start));
}

const labelledSecret = assignmentRule(
  'secret-assignment',
  '',
  // `passwd` not as a command's name ends (`chpasswd: 3 users updated`, `gpasswd: user bob added`, htpasswd's, smbpasswd's); `DB_PASSWD=`, `rootpasswd=` are labels.
  // `_PASS=`, `_PWD=` as env names end (`DB_PASS=`, `REDIS_PWD=`, also quoted in brackets: `["DB_PASS"] =`: keepLabelledValue), not `bypass=`, `PWD=/home` or `test_pass: 12`; `Pwd=` after a connection string's `;`, and a bare `pwd=`, `pwd:`, `"pwd":` (keepLabelledValue: not a working directory).
  // `PGPASS=` (not `.pgpass`) as `_PASS=`; `REDISCLI_AUTH=` (redis-cli's password); a bare `pass=` (logfmt), judged as keepLabelledValue says.
  'passphrase|(?<!\\b(?:ch|g|ht|smb|yp|k|vi|lp))passwd|password|secret[_-]?key[_-]?base|secret[_-]?key|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|account[_-]?key|authorization|credentials?|sshpass|mysql[_-]?pwd|rediscli[_-]auth|(?<![\\w.-])pgpass(?=(?:\\\\?["\'])?\\]?[ \\t]*[:=])|(?<![\\w.-])pass(?=(?:\\\\?["\'])?\\]?[ \\t]*[:=])|[_-]pass(?=(?:\\\\?["\'])?\\]?[ \\t]*[:=])|[_-]pwd(?=(?:\\\\?["\'])?\\]?[ \\t]*[:=])|pwd(?<=;[ \\t]{0,8}pwd)|(?<![\\w.$(-])pwd(?=(?:\\\\?["\'])?[ \\t]*(?:=(?!>)|:))',
  '&',
  keepLabelledValue,
);
/** An XML element naming a secret (`<password>…</password>`, `<db_password>`, `<apiKey>`): its text. */
const SECRET_ELEMENT = /(<[\w.-]{0,40}?(?:passphrase|passwd|password|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)>)([^<\r\n]{1,4096})(?=<\/)/gi;

/**
 * What a build log writes before a step's instruction: a CI runner's timestamp
 * (`2026-12-07T01:00:00.1234567Z `, `2026-12-07 01:00:01,123 `; Jenkins' in brackets:
 * `[2026-12-07T01:00:00.123Z] `), GitLab's stream after it (`01O `, `00E `), kaniko's level and time
 * (`INFO[0004] `, in any case), then BuildKit's `#5 [2/3] ` or docker's, podman's and buildah's `Step 4/9 : `,
 * `STEP 2/3: ` (in any case; podman's and buildah's multi-stage `[1/2] STEP 2/5: `); each may be missing.
 */
const BUILD_STEP_TIME = String.raw`\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?`;
const BUILD_STEP_PREFIX = String.raw`(?:(?:${BUILD_STEP_TIME}|\[${BUILD_STEP_TIME}\])[ \t]+(?:\d\d[OE][ \t]+)?)?(?:[Ii][Nn][Ff][Oo]\[[^\]\r\n]{1,40}\][ \t]+)?(?:#\d{1,6}[ \t]+\[[^\]\r\n]{1,64}\][ \t]+|(?:\[\d{1,3}\/\d{1,3}\][ \t]+)?[Ss][Tt][Ee][Pp][ \t]+\d{1,6}\/\d{1,6}[ \t]*:[ \t]+)?`;
/**
 * A Dockerfile's `ENV NAME VALUE`, the form without `=` (`ENV NAME=VALUE` is a labelled secret),
 * starting its line (after indentation), as a build log shows it (after BUILD_STEP_PREFIX:
 * `#5 [2/3] `, `Step 4/9 : `, `STEP 2/3: `, `INFO[0004] `, a timestamp, or after `#(nop) `) and in
 * JSON text (after `\n`), not in prose (`Error: required ENV DB_PASSWORD is not set`): the name,
 * and the value, quoted or to the end of the line (or a quote, or an earlier rule's marker), as after `:`.
 */
const DOCKERFILE_ENV = new RegExp(
  String.raw`ENV(?<=(?:(?:^|[\r\n]|\\n)[ \t]{0,32}${BUILD_STEP_PREFIX}|#\(nop\)[ \t]{1,8})ENV)([ \t]+([A-Za-z_][A-Za-z0-9_]{0,63})[ \t]+)(\\?["'])?(${QUOTED_VALUE}|(?:[^\s"'\\=[]|${ESCAPE_IN_WORD}\S)(?:[^\r\n"'\\[]|\[(?!REDACTED:)|${ESCAPE_IN_WORD}[^\r\n])*)`,
  'g',
);
/** An env name ending in `_PASS`/`_PWD`, or `PGPASS`, whose value may be a count or a result (NOT_A_PASSWORD). */
const PASS_ENV_NAME = /(?:[_-]p(?:ass|wd)|^pgpass)$/i;

/**
 * Whether `ENV NAME VALUE` sets a secret: NAME names one, as a JSON key does (SECRET_KEY_SUFFIXES:
 * `DB_PASSWORD`, `NPM_TOKEN`, `AWS_SECRET_ACCESS_KEY`), or ends in `_PASS`/`_PWD`, or is `PGPASS` or
 * `REDISCLI_AUTH`, and no paging cursor (`ENV NEXT_PAGE_TOKEN …`); and VALUE is no variable (`${NPM_TOKEN}`,
 * `${NPM_TOKEN:-}`, `$NPM_TOKEN`), no message about NAME (`ENV API_KEY not found`) nor, for a `_PASS` name,
 * what no password is (NOT_A_PASSWORD: `ENV SMOKE_PASS ok`).
 */
function isDockerfileEnvSecret(name: string, quote: string | undefined, value: string): boolean {
  const key = normalisedKey(name);
  const passName = PASS_ENV_NAME.test(name);
  if (!(passName || SECRET_KEY_SUFFIXES.test(key) || key === 'rediscliauth') || isPagingTokenName(name)) return false;
  if (quote) return true;
  const word = /^\S+/.exec(value)?.[0] ?? value;
  return !(UPPER_CASE_VARIABLE.test(word) || VARIABLE_EXPANSION.test(word) || PROSE_AFTER_NAME.test(word) || (passName && NOT_A_PASSWORD.test(word)));
}
/** A variable's expansion, also with a default or a check (`${NPM_TOKEN}`, `${NPM_TOKEN:-}`, `${TOKEN:?unset}`). */
const VARIABLE_EXPANSION = /^\$\{\w+(?:\}|[:?+-])/;
/** A word of a message naming the variable rather than setting it (`ENV API_KEY not found; …`, `ENV DB_PASS is not set`). */
const PROSE_AFTER_NAME = /^(?:not|is|isn't|was|wasn't|missing|required|unset|undefined|empty|must|should|cannot|can't|has|have|will)$/i;

/**
 * The passwd command and a value after it (`passwd hunter22`), in any case as the labelled rule's keys
 * (`PASSWD hunter22`): a password only on a login's line or
 * chpasswd's (isLoginLine) and when it looks like a credential (quoted, or looksLikeCredential), not a
 * user's name (`passwd bob`), an option or prose (`passwd changed for user bob`). The command run
 * (after a path, `=` or a quote: sudo's `COMMAND=/usr/bin/passwd deploy01`, `cmd="passwd jenkins2"`)
 * is given a user's name, and so is a plain lower-case word before prose (`passwd expired2024 policy`: PROSE_AFTER_VALUE);
 * one in mixed case is a password before a status word too (`passwd Hunter2Pass rejected`).
 */
const PASSWD_VALUE = new RegExp(String.raw`(?<![\w.\/="'-])(passwd[ \t]+)(?!-)(\\?["'])?${OPTION_VALUE}`, 'gi');
/** The word PASSWD_VALUE starts with, in any case: a text without it needs no look for the command. */
const PASSWD_WORD = /passwd/i;
/** A plain word after a value, not a `name=` or `name:` (`passwd expired2024 policy`): a plain lower-case value (PLAIN_WORD) is prose's, a user's name. */
const PROSE_AFTER_VALUE = /[ \t]+[A-Za-z][\w-]*(?![\w=:-])/y;

/** Whether prose follows the value ending at `end` (PROSE_AFTER_VALUE). */
function proseAfter(text: string, end: number): boolean {
  PROSE_AFTER_VALUE.lastIndex = end;
  return PROSE_AFTER_VALUE.test(text);
}

/**
 * A `user:password` echoed or printed into chpasswd (`echo 'bob:Hunter2Pass' | chpasswd`, `echo bob:pw | sudo chpasswd`,
 * `printf '%s\\n' 'bob:pw' | sudo -n chpasswd`, `… | /usr/sbin/chpasswd`): the user stays.
 */
const CHPASSWD_ECHO =
  /(\b(?:echo(?:[ \t]{1,8}-[neE]{1,3})*|printf(?:[ \t]+(?:'[^'\r\n]{0,64}'|"[^"\r\n]{0,64}"))?)[ \t]+(["']?)[\w.-]{1,64}:)([^\s"':]{1,256})(?=\2[ \t]*\|[ \t]*(?:sudo(?:[ \t]{1,8}-[A-Za-z]{1,8})*[ \t]+)?(?:\/[\w.-]{1,64}){0,4}\/?chpasswd\b)/g;
/** A `user:password` given to chpasswd as a here-string (`chpasswd <<< "bob:Hunter2Pass"`): the user stays. */
const CHPASSWD_HERE_STRING = /(\bchpasswd[ \t]*<<<[ \t]*(["']?)[\w.-]{1,64}:)([^\s"':]{1,256})(?=\2)/g;

/**
 * A password set in SQL, as MySQL's general log and Postgres' `log_statement` show the statement: MySQL's
 * `IDENTIFIED BY '…'` (also `IDENTIFIED WITH plugin BY '…'`) and `SET PASSWORD FOR … = '…'` or `= PASSWORD('…')`,
 * and `PASSWORD '…'` or `PASSWORD('…')` in a statement on a role or user (SQL_ROLE_OR_USER: Postgres' `ALTER ROLE bob
 * WITH PASSWORD '…'`, `CREATE USER app ENCRYPTED PASSWORD '…'`, also Postgres' escape string `PASSWORD E'it\'s'`). The string,
 * quoted in `'` or `"` (a doubled quote or a `\` escape inside it), goes; its quotes (and an `E`) stay. Anchored on
 * `IDENTIFIED`, `SET PASSWORD` and `PASSWORD`.
 */
const SQL_PASSWORD =
  /\b(IDENTIFIED(?:[ \t]+WITH[ \t]+[^\s;]{1,64})?[ \t]+BY(?:[ \t]+PASSWORD)?[ \t]+|SET[ \t]+PASSWORD\b[^=;\r\n]{0,256}=[ \t]*(?:PASSWORD[ \t]*\([ \t]*)?|PASSWORD(?:[ \t]*\([ \t]*|[ \t]+)(?:E(?='))?)(['"])((?:(?!\2)[^\\\r\n]|\2\2|\\[^\r\n]){1,256})\2/gi;
/**
 * Oracle's unquoted password after `IDENTIFIED BY` (`ALTER USER scott IDENTIFIED BY tiger;`, `alter user system identified
 * by Manager123 account unlock`), as sqlplus spools echo it: a word up to a space, `;` or quote, not `PASSWORD` or `VALUES`
 * (MySQL's hashes); only right after a user's or role's statement's grammar (SQL_USER_STATEMENT: `the password was identified by its hash` is prose).
 */
const SQL_IDENTIFIED_UNQUOTED = /\b(IDENTIFIED[ \t]+BY[ \t]+)(?!(?:PASSWORD|VALUES)\b)((?:[^\s;'",]|,(?=[^\s;'",])(?!"?[\w$#.@-]{1,128}"?[ \t]+identified[ \t]+by\b)){1,128})/gi;
/**
 * The next item of a list of roles or users after a password (`SET ROLE r1 IDENTIFIED BY p1, r2 IDENTIFIED BY p2`, Oracle's
 * `GRANT CONNECT TO u1 IDENTIFIED BY p1, u2 IDENTIFIED BY p2`): from just after the password to the next `IDENTIFIED BY`.
 */
const SQL_LIST_NEXT = /^,[ \t]*"?[\w$#.@-]{1,128}"?[ \t]+$/;
/** The same after a quoted password SQL_PASSWORD has redacted already, as the step before the next `IDENTIFIED BY` ends. */
const SQL_LIST_AFTER_QUOTED = /\bidentified[ \t]+by[ \t]+(["'])\[REDACTED:secret-assignment\]\1,[ \t]*"?[\w$#.@-]{1,128}"?[ \t]+$/i;
/** How far (characters) a list's next item may run from the password before it (SQL_LIST_NEXT): a long line stays linear. */
const SQL_LIST_GAP = 160;
/**
 * Oracle's old password after a new one redacted (`ALTER USER u IDENTIFIED BY new REPLACE old`): quoted (in `'` or `"`, a doubled
 * quote or a `\` escape inside it) or a word.
 */
const SQL_REPLACE_OLD =
  /\b(IDENTIFIED[ \t]+BY[ \t]+(["']?)\[REDACTED:secret-assignment\]\2[ \t]+REPLACE[ \t]+)(?:(["'])((?:(?!\3)[^\\\r\n]|\3\3|\\[^\r\n]){1,256})\3|([^\s;'",]{1,128}))/gi;
/** A log's time before a statement: ISO's, with a space, a `T` or a tab between date and time (`2026-12-07\t01:00:00`), a fraction after `.` or `,`. */
const SQL_LOG_TIME = String.raw`\d{4}-\d\d-\d\d[T \t]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?`;
/** syslog's prefix: its time (BSD's or RFC 3339's), host and program (`Dec  7 01:00:00 host oracle:`, `… db1 sqlplus[4242]:`, `2026-12-07T01:00:00+00:00 host oracle:`). */
const SYSLOG_PREFIX = String.raw`(?:[A-Z][a-z]{2}[ \t]+\d{1,2}[ \t]+\d\d:\d\d:\d\d|${SQL_LOG_TIME})[ \t]+[\w.-]{1,253}[ \t]+[\w./-]{1,64}(?:\[\d{1,10}\])?:`;
/** A log's level word. */
const SQL_LOG_LEVEL = 'INFO|NOTICE|WARN(?:ING)?|ERROR|DEBUG|TRACE|FATAL|CRITICAL|SEVERE|LOG';
/** RFC 5424's header: PRI and version, time (or `-`), host, app, process id, message id and structured data (`-` or `[id k="v"]…`): `<134>1 2026-12-07T01:00:00.000Z host app 4242 - - `. */
const RFC5424_PREFIX = String.raw`<\d{1,3}>\d{1,2}[ \t]+(?:${SQL_LOG_TIME}|-)[ \t]+\S{1,255}[ \t]+\S{1,48}[ \t]+\S{1,128}[ \t]+\S{1,32}[ \t]+(?:-|(?:\[[^\]\r\n]{0,512}\]){1,16})`;
/** glog's prefix: level and date, time, thread and source line (`I1207 01:00:00.123456 4242 db.go:42]`). */
const GLOG_PREFIX = String.raw`[IWEF]\d{4}[ \t]+\d\d:\d\d:\d\d(?:\.\d{1,9})?[ \t]+\d{1,10}[ \t]+[\w.-]{1,64}:\d{1,6}\]`;
/**
 * What a log writes before a statement on its line: RFC 5424's header (RFC5424_PREFIX), a syslog PRI (`<134>`), timestamps (`2026-12-07 01:00:00`, `[2026-12-07T01:00:00Z]`,
 * `2026-12-07 01:00:00,123`, a time alone: `01:00:00`), syslog's prefix (SYSLOG_PREFIX, tried before a time alone), glog's (GLOG_PREFIX), a level or thread in brackets (`[INFO]`, `[123]`),
 * a bare level (`INFO`, `WARNING`), Laravel's channel and level (`local.INFO:`), Python's separator ` - ` and a logger's name between two (` - root - `, ` - my-app - `), Python's basicConfig
 * `INFO:root:` (no space after it), an upper-case label or an error's code (`ERROR:`, `ORA-01917:`; not prose's `policy:`); up to six of them.
 */
const SQL_LINE_PREFIX = new RegExp(
  String.raw`^[ \t]*(?:<\d{1,3}>)?(?:(?:${RFC5424_PREFIX}|${SYSLOG_PREFIX}|${GLOG_PREFIX}|\[?${SQL_LOG_TIME}\]?|\d\d:\d\d:\d\d(?:[.,]\d{1,9})?|\[[\w.:-]{1,32}\]|[A-Z][A-Z0-9]{1,15}(?:-\d{1,6})?:|(?:${SQL_LOG_LEVEL})|[\w-]{1,32}\.(?:${SQL_LOG_LEVEL}|ALERT|EMERGENCY):|-(?:[ \t]+[\w.-]{1,64}[ \t]+-)?)[ \t]+|(?:${SQL_LOG_LEVEL}):[\w.]{1,64}:[ \t]*){1,6}`,
);

/** Whether a step ends in a user's or role's statement's grammar (SQL_USER_STATEMENT), also after a log's prefix on its line (SQL_LINE_PREFIX). */
function isUserStatement(step: string): boolean {
  if (SQL_USER_STATEMENT.test(step)) return true;
  const prefix = SQL_LINE_PREFIX.exec(step);
  return prefix !== null && SQL_USER_STATEMENT.test(step.slice(prefix[0].length));
}
/**
 * The text of a step just before `IDENTIFIED BY` that makes it a user's or role's statement, by the statement's own
 * grammar ending there: `CREATE|ALTER USER|ROLE name`, `SET ROLE name`, Oracle's `GRANT … TO name`, a database link's
 * `… DATABASE LINK … CONNECT TO name`, wherever the statement starts (after sqlplus' `SQL> `, a log's prefix, Flyway's
 * `Statement  : `, Liquibase's `[Failed SQL: (922) `, `EXECUTE IMMEDIATE '`, a command quoting it; a `GRANT … TO name` or
 * sqlplus' `CONNECT name` only starting its step, as `grant read to service identified by …` is also prose); or a sqlplus
 * continuation line, a line number alone (`  2  IDENTIFIED BY …;`). Prose has no such grammar right before the words:
 * `failed to connect to peer identified by …`, `grant issued to the user identified by …`, `set role to admin identified by …`.
 * A `CREATE|ALTER USER|ROLE` starting its step may also put its clauses first, in any order Oracle takes them
 * (`ALTER USER app ACCOUNT UNLOCK IDENTIFIED BY …`, `… PASSWORD EXPIRE IDENTIFIED BY …`); `IF NOT EXISTS` (23ai) too.
 */
const SQL_USER_STATEMENT =
  /(?:(?:\b(?:(?:create|alter)[ \t]+(?:user|role)(?:[ \t]+if[ \t]+not[ \t]+exists)?|set[ \t]+role|database[ \t]+link\b.{0,256}?\bconnect[ \t]+to)|^[ \t]*(?:SQL>[ \t]*|\d{1,4}[ \t]+|[\w./-]{1,64}(?:[ \t]+-[\w-]{1,16})*[ \t]+["'])?(?:grant\b.{0,256}?\bto|connect))[ \t]+"?[\w$#.@-]{1,128}"?[ \t]+|^[ \t]*(?:SQL>[ \t]*)?\d{1,4}[ \t]+)$|^[ \t]*(?:SQL>[ \t]*|\d{1,4}[ \t]+|[\w./-]{1,64}(?:[ \t]+-[\w-]{1,16})*[ \t]+["'])?(?:create|alter)[ \t]+(?:user|role)\b/i;
/** The words SQL_PASSWORD starts with (its triggers: `entified`, `pass`): a text triggered by another needs no look. */
const SQL_PASSWORD_WORD = /identified|password/i;
/** A role's or user's statement (`ALTER ROLE`, `CREATE USER`): a `PASSWORD '…'` in it sets the password. */
const SQL_ROLE_OR_USER = /\b(?:role|user)\b/i;

/** Whether SQL_PASSWORD's match at `offset`, labelled `label`, sets a password: always after `IDENTIFIED` or `SET PASSWORD`, after a bare `PASSWORD` only in a role's or user's statement. */
function isSqlPassword(label: string, text: string, offset: number): boolean {
  return !/^password/i.test(label) || SQL_ROLE_OR_USER.test(stepBefore(text, offset));
}

/**
 * Oracle's unquoted passwords after `IDENTIFIED BY` (SQL_IDENTIFIED_UNQUOTED) in a user's statement (SQL_USER_STATEMENT) or
 * the next item of its list (SQL_LIST_NEXT, SQL_LIST_AFTER_QUOTED), then an old password after `REPLACE` (SQL_REPLACE_OLD).
 */
function redactOracleIdentifiedBy(text: string, marker: string): string {
  // Where the last password redacted ended: a list's next item follows it (-1: none yet).
  let listFrom = -1;
  const out = text.replace(SQL_IDENTIFIED_UNQUOTED, (match, label: string, value: string, offset: number, whole: string) => {
    if (value.startsWith(MARKER_START)) return match;
    const step = stepBefore(whole, offset);
    const nextItem = listFrom >= 0 && offset - listFrom <= SQL_LIST_GAP && SQL_LIST_NEXT.test(whole.slice(listFrom, offset));
    if (!(nextItem || isUserStatement(step) || SQL_LIST_AFTER_QUOTED.test(step))) return match;
    listFrom = offset + match.length;
    return `${label}${marker}`;
  });
  return out.includes(marker) ? out.replace(SQL_REPLACE_OLD, (_match, label: string, _newQuote: string, quote = '') => `${label}${quote}${marker}${quote}`) : out;
}

/**
 * Redis' `AUTH VALUE` and `AUTH user VALUE` (ACL), where the command starts: a line or a step of a pipeline or list (also a quoted
 * text's start: `{"cmd":"AUTH VALUE"}`), redis-cli's prompt (`127.0.0.1:6379> `, `redis> `), after `redis-cli` and its options, or
 * MONITOR's quoted form (`"AUTH" "user" "VALUE"`); lower-case `auth` after a prompt or redis-cli as redis-cli takes it, never in prose
 * (`smtp relay: AUTH FATAL`, `Starting AUTH service`). One or two arguments and nothing after them on the line (or in the quoted text);
 * the user stays.
 */
const REDIS_AUTH =
  /((?:(?<![^\r\n|;&"])[ \t]*AUTH|(?:(?<![\w.-])[\w.-]{1,253}:\d{1,5}(?:\[\d{1,2}\])?|\bredis)>[ \t]*(?:AUTH|auth)|\bredis-cli(?:[ \t]+-[\w-]{1,32}(?:[ \t]+[^\s|;&-]\S{0,255})?){0,16}?[ \t]+(?:AUTH|auth)|(?<![\w-])"(?:AUTH|auth)")[ \t]+)((?:"[^\s"]{1,256}"|[^\s"'\\]{1,256})[ \t]+)?("?)([^\s"'\\]{1,256})\3(?=[ \t]*(?:$|[\r\n'"]|\\[nr"]))/g;
/**
 * A lone word after `AUTH` that is no password: SMTP's and IMAP's mechanisms (`AUTH LOGIN`, `AUTH PLAIN`), a result, a log's status or
 * level word, an error keyword (`FATAL:`, `panic:`, `Exception:`; trailing `:`, `.` or `!` aside), an HTTP status (`AUTH 401`).
 */
const AUTH_NON_SECRET =
  /^(?:LOGIN|PLAIN|CRAM-MD5|DIGEST-MD5|SCRAM-SHA-\d{1,3}|XOAUTH2?|OAUTHBEARER|GSSAPI|NTLM|EXTERNAL|ANONYMOUS|OK|failed|failure|error|err|required|FATAL|panic|exception|SUCCESS|succeeded|denied|rejected|disabled|enabled|complete|done|service|timeout|timed-out|expired|invalid|unauthorized|forbidden|warn(?:ing)?|info|debug|trace|notice|critical|\d{3})[:.!]*$/i;
/** Whether a character code may stand just before REDIS_AUTH's upper-case `AUTH`: a line's or step's start, a space, a prompt's `>`, MONITOR's quote. */
function mayStandBeforeAuth(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x22 || code === 0x3e || code === 0x7c || code === 0x3b || code === 0x26 || code === 0x0a || code === 0x0d;
}
/** What REDIS_AUTH takes after `AUTH` (or more): MONITOR's closing quote, one or two words, then the end of the line or of a quoted text. */
const AUTH_ARGUMENTS = /"?[ \t]+(?:\S{1,258}[ \t]+)?\S{1,258}?[ \t]*(?:$|[\r\n'"]|\\[nr"])/y;
/**
 * Whether a text may hold redis' AUTH (REDIS_AUTH): an upper-case `AUTH` standing as a word (found by indexOf, only the character
 * before it and its arguments looked at: not `OAUTH`, `NOAUTH`, `AUTHOR`, nor `AUTH request 42 from …`), or MONITOR's `"auth"`, a prompt's `> auth`, `redis-cli`. Most text that holds
 * `AUTH` at all holds it inside a word; one look at each rules the whole line's scan out.
 */
function mayHoldRedisAuth(text: string): boolean {
  for (let at = text.indexOf('AUTH'); at >= 0; at = text.indexOf('AUTH', at + 4)) {
    if (at > 0 && !mayStandBeforeAuth(text.charCodeAt(at - 1))) continue;
    AUTH_ARGUMENTS.lastIndex = at + 4;
    if (AUTH_ARGUMENTS.test(text)) return true;
  }
  return text.includes('"auth"') || text.includes('> auth') || text.includes('redis-cli');
}
/** redis' `AUTH` starting a line or step (REDIS_AUTH's first form), where a service's status line (`AUTH timeout`, `AUTH Exception: boom`) starts too. */
const BARE_AUTH = /^[ \t]*AUTH/;

/**
 * A word after a bare `AUTH` that is plainly no password (a deny rule, never a credential's shape: redis' passwords are often plain lower-case
 * words, `foobared`, `changeme`): a label (`KeyError:`), a value holding `=` (`loss=0.123`), an error's or a state's name (`ValueError`,
 * `IOException`, `OOMKilled`, `CrashLoopBackOff`, `DeadlineExceeded`, `ERR_CONNECTION_RESET`), or a status word of a failure or a success (`Traceback`,
 * `refused`, `fault`, `down`, `unreachable`, `throttled`, `5xx`, `granted`, `ready`, `up`).
 */
const AUTH_STATUS =
  /:$|=|(?:Error|Exception|Killed|BackOff|Exceeded|Denied)[.!]*$|^ERR_\w+$|^(?:Traceback|refused|reset|fault|segfault|retry(?:ing)?|start(?:ed|ing)|stopp(?:ed|ing)|unavailable|pending|healthy|unhealthy|degraded|killed|crashed|crashing|aborted|down|offline|unreachable|locked|blocked|broken|restarting|throttled|overloaded|misconfigured|outage|skipped|passed|accepted|granted|ready|up|running|[45]xx)[.!]*$/i;
/**
 * The same in upper case only (a password may be a capitalised word: `Eagle1`): an errno's name (`ECONNREFUSED`, `ETIMEDOUT`, `EAI_AGAIN`),
 * redis' error codes (`WRONGPASS`, `NOAUTH`, `NOPERM`, …), a signal's name (`SIGKILL`, `SIGSEGV`), `OOM`.
 */
const AUTH_STATUS_CODE = /^(?:E[A-Z_]{3,}|WRONGPASS|NOAUTH|NOPERM|LOADING|BUSY|READONLY|MASTERDOWN|CLUSTERDOWN|MISCONF|SIG[A-Z]{2,8}|OOM)[.!]*$/;
/** Whether a word after a bare `AUTH` is no password: AUTH_NON_SECRET's, AUTH_STATUS' or AUTH_STATUS_CODE's. */
function isAuthStatusWord(word: string): boolean {
  return AUTH_NON_SECRET.test(word) || AUTH_STATUS.test(word) || AUTH_STATUS_CODE.test(word);
}

/**
 * Whether REDIS_AUTH's match is redis' password: not a lone status word (AUTH_NON_SECRET); after a bare `AUTH` starting a line, a step or a
 * quoted text (where a service's status line starts too) any word but one plainly no password (isAuthStatusWord), after a user that is none either.
 */
function isRedisAuthPassword(command: string, user: string | undefined, value: string): boolean {
  if (value.startsWith(MARKER_START)) return false;
  if (!BARE_AUTH.test(command)) return user !== undefined || !AUTH_NON_SECRET.test(value);
  const name = user?.trim();
  return !isAuthStatusWord(value) && (name === undefined || !isAuthStatusWord(name));
}

/** Labelled secrets: `label=value` and its kin (assignmentRule), a Dockerfile's `ENV NAME VALUE`, `passwd VALUE` on a login's line, and the text of an XML element naming a secret (not a paging cursor's). */
const secretAssignmentRule: TextRule = {
  name: 'secret-assignment',
  description:
    'labelled secrets: `password=…`, `token: …`, `api_key=…`, `--account-key=…` (not a key file, as for `--private-key=…`), `"client_secret": "…"`, `Authorization: …`, `SSHPASS=…`, `MYSQL_PWD=…`, `DB_PASS=…`, redis\' `AUTH VALUE` and `AUTH user VALUE` ending the line or quoted text where the command starts (a line or step, redis-cli\'s prompt `host:port> `, after `redis-cli` and its options, also lower-case `auth` there; also MONITOR\'s `"AUTH" "user" "VALUE"`; not SMTP\'s `AUTH LOGIN`, not prose: `Starting AUTH service`, `smtp relay: AUTH FATAL`, nor a status word, a level or an error keyword: `AUTH ERROR:`, `AUTH 401`; after a bare `AUTH` starting a line, a step or a quoted text any word (`AUTH foobared`) but one plainly no password: a label ending in `:`, a value holding `=`, an error\'s or a state\'s name, an errno\'s, redis\' error code, a signal\'s name, a status word of a failure or a success: `AUTH timeout`, `AUTH Exception: boom`, `AUTH KeyError:`, `AUTH OOMKilled`, `AUTH ECONNREFUSED`, `AUTH WRONGPASS`, `AUTH SIGKILL`, `AUTH provider unreachable`, `AUTH granted`, `AUTH loss=0.123` stay), a bare `pass=…` (logfmt, query strings; unquoted, not counts packed before another `name=` (`pass=12;fail=3`) nor a variable; in a query string anything else; elsewhere not a number, a result, a state, a duration (`pass=48`, `pass=ok`, `pass=n/a`, `pass=1.5s`) but a 6+ digit number beside `user=`/`login=` with no count label (`fail=`, `skip=`, …), nor a plain lower-case word (`pass=dce`, `pass=done`) unless it looks like a credential or is beside such a `user=`/`login=`; before `:` a lone word that looks like a credential (on a login\'s line, its first word judged as after `=`, that word alone going: `user: admin pass: [REDACTED] host: db`), or a quoted key\'s value), `;Pwd=…` in a connection string (not a path: sudo\'s `; PWD=/home/alice ;`), a bare `pwd=…` that looks like a credential, holds no `/`, is no path (`D:\\a\\1\\s`) and no lower-case word (`release-2024`), but on a login\'s line one judged as `pass=` is there (`user=bob pwd=hunter22`) (also `pwd: …` as a lone word, on a login\'s line its first word; a quoted key\'s value but a path or a result: `{"user":"bob","pwd":"letmein"}`; and any but a path in a query string or a form\'s body: `pwd=hunter22&log=admin`), `secret_key_base=…`, `passwd VALUE` (in any case: `PASSWD VALUE`; looking like a credential, not a plain lower-case word before prose (a user\'s name; `Hunter2Pass rejected` goes), not the command run after a path, `=` or a quote: `COMMAND=/usr/bin/passwd deploy01`) on a login\'s or chpasswd\'s line, not passwd\'s own message (`passwd: all authentication tokens updated successfully.`) nor `chpasswd:`, the password echoed or printed into chpasswd (`echo \'bob:[REDACTED]\' | chpasswd`, `printf \'%s\\n\' \'bob:…\' | sudo -n chpasswd`, `… | /usr/sbin/chpasswd`) or given it as a here-string (`chpasswd <<< "bob:…"`), `password%3D…`, `ENV DB_PASSWORD …` (a Dockerfile\'s form without `=`, starting its line or a build log\'s step), a password set in SQL (MySQL\'s `IDENTIFIED BY \'…\'`, Oracle\'s unquoted `ALTER USER scott IDENTIFIED BY …;` in a user\'s statement, `IDENTIFIED WITH plugin BY \'…\'`, `SET PASSWORD FOR … = PASSWORD(\'…\')` or `= \'…\'`; `PASSWORD \'…\'` or `PASSWORD(\'…\')` in a role\'s or user\'s statement: `ALTER ROLE bob WITH PASSWORD \'…\'`, `CREATE USER app PASSWORD \'…\'`; the quotes stay), `<password>…</password>` and the like, also after `=>` or `:=`, also with the label in brackets (`[password] => …`, `user[password]=…`) (the label is kept; after `:` the value runs to the end of the line; a lower-case logger\'s name ending in such a word, dotted or after a level, logging prose is none: `INFO botocore.credentials: Found credentials …`)',
  apply(text, asName) {
    const marker = redactionMarker('secret-assignment');
    const assigned = labelledSecret.apply(text, asName);
    // Most text holds no `ENV`: one look rules the instruction out.
    const withEnv = assigned.includes('ENV')
      ? assigned.replace(DOCKERFILE_ENV, (match, instruction: string, name: string, quote: string | undefined, value: string) =>
          value.startsWith(MARKER_START) || !isDockerfileEnvSecret(name, quote, value) ? match : `ENV${instruction}${quote ?? ''}${marker}${value.slice(value.trimEnd().length)}`,
        )
      : assigned;
    // Most text holds no `passwd` (in any case): one look rules the command out.
    const withPasswd = PASSWD_WORD.test(withEnv)
      ? withEnv.replace(PASSWD_VALUE, (match, command: string, quote: string | undefined, value: string, offset: number, whole: string) =>
          value.startsWith(MARKER_START) || !(quote || (looksLikeCredential(value) && !(PLAIN_WORD.test(value) && proseAfter(whole, offset + match.length)))) || !isLoginLine(whole, offset, true)
            ? match
            : `${command}${quote ?? ''}${marker}`,
        )
      : withEnv;
    const replaceChpasswd = (match: string, user: string, _quote: string, value: string) => (value.startsWith(MARKER_START) ? match : `${user}${marker}`);
    const withChpasswd = withPasswd.includes('chpasswd') ? withPasswd.replace(CHPASSWD_ECHO, replaceChpasswd).replace(CHPASSWD_HERE_STRING, replaceChpasswd) : withPasswd;
    // Most text holds neither word: one look rules SQL out.
    const withSql = SQL_PASSWORD_WORD.test(withChpasswd)
      ? redactOracleIdentifiedBy(
          withChpasswd.replace(SQL_PASSWORD, (match, label: string, quote: string, value: string, offset: number, whole: string) =>
            value.startsWith(MARKER_START) || !isSqlPassword(label, whole, offset) ? match : `${label}${quote}${marker}${quote}`,
          ),
          marker,
        )
      : withChpasswd;
    // Most text holds no upper-case `AUTH` word (nor MONITOR's `"auth"`, a prompt's or redis-cli's `auth`): a look at each `AUTH` rules redis' command out.
    const withAuth = mayHoldRedisAuth(withSql)
      ? withSql.replace(REDIS_AUTH, (match, command: string, user: string | undefined, quote: string, value: string) =>
          isRedisAuthPassword(command, user, value) ? `${command}${user ?? ''}${quote}${marker}${quote}` : match,
        )
      : withSql;
    return withAuth.replace(SECRET_ELEMENT, (match, open: string, value: string) => (value.startsWith(MARKER_START) || isPagingTokenName(open.slice(1, -1)) ? match : `${open}${marker}`));
  },
};

const labelledAwsSecretKey = assignmentRule('aws-secret-key', '', 'secret[_-]?access[_-]?key');
/**
 * `aws_secret_access_key VALUE` and `aws_session_token VALUE`: the label, a space and the value, as
 * `aws configure set` takes them (also a profile's: `profile.ci.aws_secret_access_key`) and csh's
 * `setenv AWS_SECRET_ACCESS_KEY …` sets them; rclone's `config create|update … secret_access_key VALUE`
 * (`session_token VALUE`) and its flag `--s3-secret-access-key VALUE`, and PowerShell's `Set-AWSCredential -SecretKey VALUE -SessionToken VALUE` too. The value is quoted
 * (not a placeholder: `"<your key>"`), or a word starting with 20 characters of a key's alphabet
 * (AWS_KEY_WORD), not a variable (`$AWS_SESSION_TOKEN`) nor a word (`is not set`, `Required`).
 */
const AWS_CREDENTIAL_AFTER_SPACE = new RegExp(String.raw`(?<![\w-])((?:(?:aws_)?secret_access_key|(?:aws_)?session_token|--(?:s3-)?secret-access-key|-secretkey|-sessiontoken)[ \t]+)(\\?["'])?${OPTION_VALUE}`, 'gi');
/** A secret access key (40 characters) or session token (hundreds): base64, at least 20 characters (a `)` closing a cron command may follow). */
const AWS_KEY_WORD = /^[A-Za-z0-9+/=]{20}/;

/** Whether the value after an AWS label is a key: quoted and no placeholder (`<…>`, words), or AWS_KEY_WORD; never a variable. */
function isAwsKeyAfterSpace(quote: string | undefined, value: string): boolean {
  if (value.startsWith(MARKER_START) || value.startsWith('$')) return false;
  return quote ? !/[<>\s]/.test(value) : AWS_KEY_WORD.test(value);
}

/** AWS secret access keys (and session tokens) where labelled: `label=value` and its kin (assignmentRule), and `label value` (AWS_CREDENTIAL_AFTER_SPACE). */
const awsSecretKeyRule: TextRule = {
  name: 'aws-secret-key',
  description:
    'AWS secret access keys where labelled (`aws_secret_access_key=…`, `"SecretAccessKey": "…"`), also after a space as `aws configure set aws_secret_access_key …` and `aws configure set aws_session_token …` take them (a profile\'s too: `profile.ci.aws_secret_access_key …`), rclone\'s `config create … secret_access_key …`, `… session_token …` and `--s3-secret-access-key …` and PowerShell\'s `-SecretKey …`, `-SessionToken …` (quoted, not a placeholder, or 20 characters of base64; not a variable or a word)',
  apply(text, asName) {
    const marker = redactionMarker('aws-secret-key');
    return labelledAwsSecretKey.apply(text, asName).replace(AWS_CREDENTIAL_AFTER_SPACE, (match: string, label: string, quote: string | undefined, value: string) =>
      isAwsKeyAfterSpace(quote, value) ? `${label}${quote ?? ''}${marker}` : match,
    );
  },
};

const urlPassword = regexRule(
  'url-password',
  'the password in a URL (`scheme://user:password@host` → `scheme://user:[REDACTED:url-password]@host`), also one holding `/` or `@` (it runs to the last `@` before a space, a quote, `?` or `#`: a URL\'s user info holds those two only %-encoded, so `host:PORT?to=a@b` is a query), also in JSON text that escapes `/` (`mysql:\\/\\/user:password@host`); without a scheme, `user:password@host` when the password looks like a credential (not an e-mail address after a label: `mailto:`, `email:`, `from:`, `user:`, …; not an image\'s `name:tag@sha256:…`; not a Java object\'s `name:Class@ab12cd9`, whose hex hash is no host)',
  // The password runs to the last `@` (nothing of one holding `@` or `/` is left); `host:8443/…@…` is a port and a path; a marker (sentry-dsn's) is no user.
  // A raw `?` or `#` ends the password (RFC 3986 has them %-encoded in userinfo): `host:PORT?email=a@b`, `intranet:wiki?page=U@H` are a query.
  new RegExp(String.raw`:(${SLASH}${SLASH})(?!\[REDACTED:)([^\s:/@"'\\]{0,256}):(?!\d{0,5}${SLASH})(?:[^\s?#"'\\]|${ESCAPE_IN_WORD}[^\s?#]){1,256}@`, 'g'),
  (_m, slashes: string, user: string) => `:${slashes}${user}:${redactionMarker('url-password')}@`,
);
/** Not a space or control character, `:`, `@`, `/`, `"`, `'`, `\\`, `[` or `]`. */
const isPasswordCode = (code: number) =>
  code > 0x20 && code !== 0x7f && code !== 0x3a && code !== 0x40 && code !== 0x2f && code !== 0x22 && code !== 0x27 && code !== 0x5c && code !== 0x5b && code !== 0x5d;
const isUserCode = (code: number) => (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x5f || code === 0x2e || code === 0x2d;
/** What may not stand just before a scheme-less user: `+`, `%`, `:`, `/`, `@`, `[`, `\`. */
const isBeforeUserCode = (code: number) => code === 0x2b || code === 0x25 || code === 0x3a || code === 0x2f || code === 0x40 || code === 0x5b || code === 0x5c;
/**
 * A host after the `@`: a name starting with a letter, not a digest's algorithm (`@sha256:`, `@SHA256:`, `@md5:`) nor
 * 4 to 16 hex digits alone (Java's Object.toString: `OrderListener@ab12cd9`), or an IPv4 address; not a version or
 * date (`@1.3.0`, `@2024-12-07`).
 */
const HOST_AFTER_AT = /(?!sha\d{1,3}:|md5:|[0-9a-f]{4,16}(?![\w.-]))[a-z]|\d{1,3}(?:\.\d{1,3}){3}(?![\w.-])/iy;

/** The `:` before a scheme-less password ending at the `@` at `at` (1 to 128 password characters, not before `floor`), or -1. */
function passwordColonBefore(text: string, at: number, floor: number): number {
  let p = at;
  while (p > floor && at - p <= 128 && isPasswordCode(text.charCodeAt(p - 1))) p--;
  const colon = p - 1;
  return p === at || at - p > 128 || colon <= floor || text.charCodeAt(colon) !== 0x3a ? -1 : colon;
}

/**
 * Whether some `@` of the text ends a scheme-less `user:password@host` that url-password redacts (bareUserInfoBefore,
 * isBareUserInfo): its trigger, by character codes back from each `@` and one sticky host pattern, not the trigger scan
 * (`"@timestamp":`, `to=<ops@example.com>, relay=mx:25`, an image's `nginx:1.25.3@sha256:…`, SMTP's `RCPT TO:<ops@example.com>` have none).
 */
function hasUserInfoShape(text: string): boolean {
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    const info = bareUserInfoBefore(text, at, -1);
    if (info && isBareUserInfo(text.slice(info[0], info[1]), text.slice(info[1] + 1, at))) return true;
  }
  return false;
}

/**
 * The scheme-less `user:password` just before the `@` at `at` (not before `floor`), as [user start, colon]; undefined for none.
 * That is `user:password@host` without a scheme (`admin:Hunter2Pass@db`, `HTTPS_PROXY=proxy:…@proxy.corp:3128`), read
 * back from the `@`: a password of 1 to 128 characters without a space, `:`, `/`, `@`, a
 * quote, a backslash or a bracket (a marker's); a user of 1 to 64 letters, digits, `_`, `.`, `-` starting a word
 * (not after `+`, `%`, `:`, `/`, `@`, `[`, `\`: a URL's, a marker's, an address's); and a host after the `@`
 * (a name starting with a letter or an IPv4 address; not a digest: `nginx:1.25.3@sha256:…`, nor a version or date).
 */
function bareUserInfoBefore(text: string, at: number, floor: number): readonly [number, number] | undefined {
  const colon = passwordColonBefore(text, at, floor);
  if (colon < 0) return undefined;
  let u = colon;
  while (u > floor && colon - u <= 64 && isUserCode(text.charCodeAt(u - 1))) u--;
  if (u === colon || colon - u > 64 || text[u] === '.' || text[u] === '-' || (u > 0 && (isUserCode(text.charCodeAt(u - 1)) || isBeforeUserCode(text.charCodeAt(u - 1))))) return undefined;
  HOST_AFTER_AT.lastIndex = at + 1;
  return HOST_AFTER_AT.test(text) ? [u, colon] : undefined;
}
/** A label before an e-mail address (`mailto:ops@…`, `email:…`, `From:…`, `user:bob2024@…`): no user of a host. */
const MAIL_LABEL = /^(?:mailto|e-?mail|mail|from|to|cc|bcc|reply-to|sender|recipients?|contact|user(?:name)?|login|owner|author)$/i;

/** A lower-case word of letters, digits, `-` and `_` (`nightly-backup-2024`, `a1b2c3d4e5`, `daily_sales_v2`): an identifier's, not a password without a scheme. */
const LOWER_CASE_WORD = /^[a-z0-9_-]+$/;

/**
 * Whether a scheme-less `user:password@` is one: a password that looks like a credential (not `status:ok@db`,
 * `npm:lodash@4`) and is no lower-case word (`task:etl-load-2024@airflow`, `chown backup:backup2024@host`), after no mail label.
 */
function isBareUserInfo(user: string, password: string): boolean {
  return looksLikeCredential(password) && !LOWER_CASE_WORD.test(password) && !MAIL_LABEL.test(user);
}

/** Passwords in URLs (urlPassword) and in a scheme-less `user:password@host` (bareUserInfoBefore, from each `@`; not in a name's own reading: redactName). */
const urlPasswordRule: TextRule = {
  ...urlPassword,
  apply(text, asName) {
    // Triggered by `:` and `@` alone (USER_INFO_TRIGGER), a text with no `://` (nor `:\/\/`) needs no look for a URL.
    const out = text.includes(URL_TRIGGER) || text.includes(ESCAPED_URL_TRIGGER) ? urlPassword.apply(text, asName) : text;
    // A name (`job:nightly-backup-2024@web1`) keeps it, as `label:word` is kept (redactName): names it changes get a fingerprint and stay apart.
    if (asName) return out;
    let clean = '';
    let from = 0;
    for (let at = out.indexOf('@'); at >= 0; at = out.indexOf('@', at + 1)) {
      const info = bareUserInfoBefore(out, at, from);
      if (info && isBareUserInfo(out.slice(info[0], info[1]), out.slice(info[1] + 1, at))) {
        clean += `${out.slice(from, info[1] + 1)}${redactionMarker('url-password')}`;
        from = at;
      }
    }
    return from === 0 ? out : clean + out.slice(from);
  },
};

const sentryDsn = regexRule(
  'sentry-dsn',
  "a Sentry DSN's key (`https://<key>@o123.ingest.sentry.io/42`: 32 hex digits before any host, or hex digits before a host naming `sentry`)",
  new RegExp(String.raw`:(${SLASH}${SLASH})([0-9a-f]{8,64})@([\w.-]{0,253})`, 'g'),
  (match, slashes: string, key: string, host: string) => (key.length === 32 || /sentry/i.test(host) ? `:${slashes}${redactionMarker('sentry-dsn')}@${host}` : match),
);
/** Sentry DSNs: its trigger is any URL, but a DSN's key sits before an `@`, which most URLs lack (one look rules the pattern out). */
const sentryDsnRule: TextRule = { ...sentryDsn, apply: (text, asName) => (text.includes('@') ? sentryDsn.apply(text, asName) : text) };

// A service token (`hvs.CAES…`) is about 95 characters and a batch token more, longer than a host
// name's label (at most 63); a root or recovery token is 24 letters and digits, in mixed case, where a
// host's label (`hvs.internalservicesprod2024.corp`) has one case, a hyphen or a dot after it.
const vaultTokenShape = shapeRule(
  'vault-token',
  'HashiCorp Vault tokens (`hvs.`, `hvb.`, `hvr.` + at least 90 characters, as service and batch tokens are, or + 24 letters and digits in mixed case, as root and recovery tokens are; and, on a text naming Vault, a token of before Vault 1.10: `s.` + 24 letters and digits in mixed case)',
  /\bhv[sbr]\.(?:[A-Za-z0-9_-]{90,255}(?![A-Za-z0-9_-])|[A-Za-z0-9]{24}(?![A-Za-z0-9_-]|\.[A-Za-z0-9]))/g,
  (m) => m.length < 94 && !hasMixedCase(m.slice(4)),
);
/** A service token of before Vault 1.10: `s.` + 24 letters and digits (in mixed case, as for a root token), not a host's label. */
const LEGACY_VAULT_TOKEN = /\bs\.[A-Za-z0-9]{24}(?![A-Za-z0-9_-]|\.[A-Za-z0-9])/g;
/** A text naming Vault (`vault login`, `VAULT_TOKEN`, `X-Vault-Token`), where alone `s.` + 24 is taken for a token: elsewhere `s.` is in too much text. */
const VAULT_WORD = /vault/i;
/** Vault tokens: the `hv[sbr].` shapes, and legacy `s.` tokens on a text naming Vault (its triggers: `hv.`, and `toke`, `ault login` for `VAULT_TOKEN=`, `vault token …`, `vault login`). */
const vaultTokenRule: TextRule = {
  ...vaultTokenShape,
  apply(text, asName) {
    const out = text.includes('hv') ? vaultTokenShape.apply(text, asName) : text;
    if (!out.includes('s.') || !VAULT_WORD.test(out)) return out;
    const marker = redactionMarker('vault-token');
    return out.replace(LEGACY_VAULT_TOKEN, (m) => (hasMixedCase(m.slice(2)) ? marker : m));
  },
};

/**
 * The built-in rules, in the order they run: whole blocks and shapes first, labelled values last
 * (a label's value that an earlier rule replaced is left as it is).
 */
const BUILTIN_TEXT_RULES: readonly TextRule[] = [
  privateKeyRule,
  urlPasswordRule,
  sentryDsnRule,
  regexRule(
    'slack-webhook',
    'Slack webhook URLs (`https://hooks.slack.com/services/…`, also `/workflows/`, `/triggers/`; also with `/` escaped as `\\/`)',
    new RegExp(String.raw`\b(hooks\.slack(?:-gov)?\.com${SLASH}(?:services|workflows|triggers)${SLASH})(?:[A-Za-z0-9_/-]|${SLASH}){8,}`, 'gi'),
    (_m, path: string) => `${path}${redactionMarker('slack-webhook')}`,
  ),
  regexRule(
    'discord-webhook',
    'Discord webhook URLs (`https://discord.com/api/webhooks/<id>/<token>`, also `discordapp.com`, `/api/v10/webhooks/`, and with `/` escaped as `\\/`)',
    new RegExp(String.raw`\b(discord(?:app)?\.com${SLASH}api${SLASH}(?:v\d{1,2}${SLASH})?webhooks${SLASH})(?:[A-Za-z0-9_-]|${SLASH}){8,}`, 'gi'),
    (_m, path: string) => `${path}${redactionMarker('discord-webhook')}`,
  ),
  regexRule(
    'teams-webhook',
    'Microsoft Teams incoming webhook URLs (`https://<tenant>.webhook.office.com/webhookb2/…`, `https://outlook.office.com/webhook/…`, also with `/` escaped as `\\/`)',
    new RegExp(String.raw`\b((?:webhook|outlook)\.office(?:365)?\.com${SLASH}webhook(?:b2)?${SLASH})(?:[A-Za-z0-9_@.-]|${SLASH}){8,}`, 'gi'),
    (_m, path: string) => `${path}${redactionMarker('teams-webhook')}`,
  ),
  assignmentRule('azure-key', 'Azure storage account and Service Bus keys (`AccountKey=…`, `SharedAccessKey=…` in connection strings, `AZURE_STORAGE_ACCOUNT_KEY=…`)', 'accountkey|storage[_-]account[_-]key|sharedaccesskey', ';&'),
  azureSasRule,
  cliPasswordRule,
  regexRule('bearer-token', '`Bearer <token>` (as in an `Authorization` header)', /\b(bearer[ \t]+)([A-Za-z0-9._~+/=-]{8,})/gi, (match, scheme: string, token: string) =>
    token.startsWith(MARKER_START) || (!hasDigit(token) && token.length < 20) ? match : `${scheme}${redactionMarker('bearer-token')}`,
  ),
  regexRule('basic-auth', '`Basic <base64 of user:password>`', /\b(basic[ \t]+)([A-Za-z0-9+/]{6,}={0,2})(?![A-Za-z0-9+/=])/gi, (match, scheme: string, b64: string) =>
    isBasicCredential(b64) ? `${scheme}${redactionMarker('basic-auth')}` : match,
  ),
  shapeRule('github-token', 'GitHub tokens (`ghp_`, `gho_`, `ghs_`, `ghu_`, `ghr_`, `github_pat_`)', /\b(?:gh[pousr]_[A-Za-z0-9]{20,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g),
  shapeRule('slack-token', 'Slack tokens (`xoxb-`, `xoxa-`, `xoxp-`, `xoxr-`, `xoxs-`, `xoxo-`)', /\bxox[abposr]-[A-Za-z0-9-]{10,255}/g),
  shapeRule('stripe-key', 'Stripe secret and restricted keys (`sk_live_`, `rk_live_`, `sk_test_`, `rk_test_`)', /\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,255}\b/g),
  shapeRule('anthropic-key', 'Anthropic API keys (`sk-ant-…`)', /\bsk-ant-[A-Za-z0-9_-]{20,255}/g),
  shapeRule('openai-key', 'OpenAI-style API keys (`sk-…`, `sk-proj-…`: at least 20 characters, with a digit)', /\bsk-[A-Za-z0-9_-]{20,255}/g, (m) => !hasDigit(m)),
  shapeRule('google-api-key', 'Google API keys (`AIza` + 35 characters)', /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g),
  shapeRule('npm-token', 'npm access tokens (`npm_` + 36 letters and digits)', /\bnpm_[A-Za-z0-9]{36}(?![A-Za-z0-9_])/g),
  shapeRule(
    'gitlab-token',
    'GitLab tokens (`glpat-`, `gldt-`, `glrt-`, `glptt-`, `glcbt-`, `glft-`, `glsoat-`, `gloas-` + at least 20 characters, also with a routable token\'s `.01.…` suffix)',
    /\bgl(?:pat|dt|rt|ptt|cbt|ft|soat|oas)-[A-Za-z0-9_-]{20,255}(?:\.[A-Za-z0-9_-]{1,64}){0,2}/g,
  ),
  // A name (`hf_hub_download`, `hf_model`) has an `_` or one case: a token is 34 letters (and digits) in mixed case.
  shapeRule('huggingface-token', 'Hugging Face tokens (`hf_` + 34 letters and digits, in mixed case)', /\bhf_[A-Za-z0-9]{34}(?![A-Za-z0-9_])/g, (m) => !hasMixedCase(m)),
  vaultTokenRule,
  shapeRule('jwt', 'JSON Web Tokens (`eyJ….eyJ….…`)', /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g),
  shapeRule('aws-access-key', 'AWS access key ids (`AKIA…`, `ASIA…`: 20 characters)', /(?<![0-9A-Z])(?:AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Z])/g),
  awsSecretKeyRule,
  regexRule(
    'cookie',
    'the value of a `Cookie:` or `Set-Cookie:` header',
    /\b((?:set-)?cookie[ \t]*:[ \t]*)([^\r\n"\\]+)/gi,
    (match, label: string, value: string) => (value.startsWith(MARKER_START) ? match : `${label}${redactionMarker('cookie')}`),
    (match, label: string, value: string) => (label.endsWith(':') || value.startsWith(MARKER_START) ? match : `${label}${redactionMarker('cookie')}`),
  ),
  secretAssignmentRule,
];

/**
 * The words (in lower case) without which a rule cannot match: one scan of a text finds which of
 * them it holds, and only the rules they trigger run. Most text (timestamps, counts, paths) holds
 * none and is left after that one scan. `://` (and `:\`, for `:\/\/`) is looked for on its own: as an
 * alternative in the scan it would double the cost on text full of `hh:mm:ss` times. (`basic`, not `basi`: a match
 * must not swallow the start of another word, here `asia`. `sql` and `adb` for `mysql…` and
 * `mariadb…`, `an login`, `tl login`, `ah login`, `eo login` and `egistry login` for `podman login`,
 * `nerdctl login`, `buildah login`, `skopeo login` and `helm registry login`, `as login` for `oras login`:
 * a word starting with `m`, `n`, `o` or `r`, a new first letter, would slow the scan of every text.
 * `auth login` (`crane auth login`) comes before `auth`, which would take its place, and triggers what `auth` does;
 * `ault login` (`vault login s.…`, a legacy Vault token) joins the `a` group. `et ads`, `et rpc`, `et rap`, `et sam` (Samba's `net ads …`,
 * also after a tab, and after net's own options: `et -S dc1 rpc `, one pattern: the scan's words hold no `|`) join the `e` group, `pdp` (`expdp`, `impdp`) and `p -p` (zip's and unzip's `-P` after their name and options:
 * `zip -r -P`; `gzip -9` is none) the `p` group, and the old export's and import's login (`exp user/`, `imp userid=user/`) the `x`
 * and `m` groups: no new first letter (`i` and `z` cost 20–60% of the scan of text without a trigger), and none of `timestamp `,
 * `temp `, `dump `, `exp 3 of 10`, `gzip -9` runs cli-password, about 50 µs on 2 KiB, on text naming no password (triggerOf
 * names each family's one trigger).
 * `creds` (`--creds`, `--src-creds`) comes before `cred`, so that only it runs cli-password: a line merely
 * naming credentials (botocore's `Found credentials in environment variables.`, every Python AWS job's) does not;
 * it also triggers what `cred` and `secr` do, whose start it may swallow (`credsecret`). `session_toke` and `sessiontoke`
 * (`aws_session_token`, PowerShell's `-SessionToken`, in the `s` group) come before `toke`, so that only they run
 * aws-secret-key's label rules, not every line saying `token`; they trigger what `toke` does, which they swallow. Likewise `pm_` for `npm_`
 * and `ebhook` for Discord's and Teams' webhook URLs, `entified` for SQL's `IDENTIFIED BY '…'` (both in the `e` group, adding no letter); GitLab's prefixes join the `g` group; `hf_` and `hv[sbr].`
 * (Hugging Face, Vault) add the letter `h`, which measured within noise on text without a trigger.)
 */
const TRIGGER_SCAN = /pass|pwd|secr|session_toke|sessiontoke|toke|curl|s-cli|bear|basic|auth login|auth|ault login|creds|cred|cook|priv|key|ker login|an login|tl login|ah login|eo login|egistry login|as login|xox|gh[pousr]_|github_pat_|glpat-|gldt-|glrt-|glptt-|glcbt-|glft-|glsoat-|gloas-|pm_|hf_|hv[sbr]\.|ebhook|entified|mongo|ldap|smbc|et[ \t]ads|et[ \t]rpc|et[ \t]rap|et[ \t]sam|et(?:[ \t]+-{1,2}[\w-]{1,32}(?:=\S{0,255})?(?:[ \t]+[^\s-]\S{0,255})?){1,8}[ \t]+[ars][adp][cmps][ \t]|pdp|xp[ \t]+(?:userid=)?\\?["']?[a-z][\w$#.-]{0,63}\/|mp[ \t]+(?:userid=)?\\?["']?[a-z][\w$#.-]{0,63}\/|p[ \t]+(?:-\w{1,16}[ \t]+){0,8}-[a-z]{0,7}p|sudo -|thin:|k_live_|k_test_|sk-|aiza|eyj|akia|asia|sql|adb|sig=|signature=|slack/gi;
/** Samba's `net ads|rpc|rap|sam` (`et ads`, `et\trpc`, `et sam`, …), the old export's and import's login (`xp scott/`, `mp userid=scott/`), and zip's `-P` (`p -r -p`, also in a group: `p -qp`): one trigger each; 7-Zip's glued `-p` is no word of the scan (triggersIn). */
const NET_TRIGGER = 'et ads';
const ORACLE_TOOL_TRIGGER = 'xp user/';
const ZIP_PASSWORD_TRIGGER = 'p -p';
const SEVEN_ZIP_TRIGGER = '7z -p';
/** A glued `-p…` (`-pVALUE`, `-PVALUE`), looked for only in a text naming `7z` (SEVEN_ZIP, SEVEN_ZIP_UPPER: triggersIn's two string searches, not SEVEN_ZIP_WORD's regex). */
const GLUED_P_OPTION = /[ \t](?:\\?["'])?-p[^\s-]/i;
/** `7z` in either case (`7Z.EXE`), looked for on every text before the trigger scan: two searches for a string cost about half of one /7z/i. */
const SEVEN_ZIP = '7z';
const SEVEN_ZIP_UPPER = '7Z';

const URL_TRIGGER = '://';
/** `:\/\/`, as JSON text that escapes `/` writes `://` (PHP's json_encode): looked for as `:\`. */
const ESCAPED_URL_TRIGGER = ':\\';
/** A text holding a scheme-less `user:password@host` (hasUserInfoShape: url-password's bareUserInfoBefore and isBareUserInfo). */
const USER_INFO_TRIGGER = ':@';

const RULE_TRIGGERS: Readonly<Record<string, readonly string[]>> = {
  'private-key': ['priv'],
  'url-password': [URL_TRIGGER, USER_INFO_TRIGGER],
  'slack-webhook': ['slack'],
  'discord-webhook': ['ebhook'],
  'teams-webhook': ['ebhook'],
  'sentry-dsn': [URL_TRIGGER],
  'azure-key': ['key'],
  'azure-sas': ['sig=', 'signature='],
  'cli-password': ['mongo', 'ldap', 'smbc', NET_TRIGGER, 'pdp', ORACLE_TOOL_TRIGGER, ZIP_PASSWORD_TRIGGER, SEVEN_ZIP_TRIGGER, 'sudo -', 'thin:', 'pass', 'sql', 'adb', 'toke', 'session_toke', 'sessiontoke', 'key', 'secr', 'curl', 's-cli', 'ker login', 'an login', 'tl login', 'ah login', 'eo login', 'egistry login', 'auth login', 'as login', 'creds'],
  'bearer-token': ['bear'],
  'basic-auth': ['basic'],
  'github-token': ['gh_'],
  'slack-token': ['xox'],
  'stripe-key': ['k_live_', 'k_test_'],
  'anthropic-key': ['sk-'],
  'openai-key': ['sk-'],
  'google-api-key': ['aiza'],
  'npm-token': ['pm_'],
  'gitlab-token': ['gl-'],
  'huggingface-token': ['hf_'],
  'vault-token': ['hv.', 'toke', 'session_toke', 'sessiontoke', 'ault login'],
  jwt: ['eyj'],
  'aws-access-key': ['akia', 'asia'],
  'aws-secret-key': ['secr', 'creds', 'session_toke', 'sessiontoke'],
  cookie: ['cook'],
  'secret-assignment': ['pass', 'pwd', 'secr', 'toke', 'session_toke', 'sessiontoke', 'key', 'auth', 'auth login', 'creds', 'cred', 'sql', 'entified'],
};

/**
 * TRIGGER_SCAN's words grouped by their first letter (`p(?:ass|wd|riv)|s(?:ecr|-cli|…)|…`), as the
 * scan runs: V8 rules a whole group out at a position by its one letter, which makes the scan of
 * text without a trigger about a third cheaper than the flat list (whose every new word slows it).
 * It finds the very same words at the same places: words with different first letters never
 * match at one position, and a group keeps its words in the list's order. (Every word starts with a letter.)
 */
function groupedByFirstLetter(scan: RegExp): RegExp {
  const groups = new Map<string, string[]>();
  for (const word of scan.source.split('|')) {
    const rests = groups.get(word[0]) ?? [];
    rests.push(word.slice(1));
    groups.set(word[0], rests);
  }
  const alternatives = [...groups].map(([first, rests]) => (rests.length === 1 ? `${first}${rests[0]}` : `${first}(?:${rests.join('|')})`));
  return new RegExp(alternatives.join('|'), scan.flags);
}
const GROUPED_TRIGGER_SCAN = groupedByFirstLetter(TRIGGER_SCAN);
const ANY_TRIGGER = new RegExp(GROUPED_TRIGGER_SCAN.source, 'i');

/** The trigger a scan's word stands for: one for GitHub's prefixes (`gh_`), GitLab's (`gl-`), Vault's (`hv.`), Samba's `net`, the old export's and import's login and zip's `-P` each (7-Zip's glued `-p` is no word of the scan: `triggersIn` adds its trigger). */
function triggerOf(word: string): string {
  if (word.startsWith('g')) return word.startsWith('gl') ? 'gl-' : 'gh_';
  if (word.startsWith('hv')) return 'hv.';
  if (word.startsWith('et')) return NET_TRIGGER;
  if (word.startsWith('xp') || word.startsWith('mp')) return ORACLE_TOOL_TRIGGER;
  return word[0] === 'p' && (word[1] === ' ' || word[1] === '\t') ? ZIP_PASSWORD_TRIGGER : word;
}

/** Whether any of a rule's triggers is among those a text holds (a loop, not `some`: no closure per rule and text). */
function anyPresent(triggers: readonly string[], present: ReadonlySet<string>): boolean {
  for (const trigger of triggers) if (present.has(trigger)) return true;
  return false;
}

/**
 * The triggers a text holds (in lower case); undefined for none (most text: one scan, nothing
 * allocated). The scan ignores case as the rules' own patterns do (`/i`, not Unicode), rather than
 * lower-casing a copy of every string: the two differ only where a non-ASCII letter lower-cases to
 * an ASCII one (the Kelvin sign to `k`), which no rule's pattern matches either.
 */
function triggersIn(text: string): Set<string> | undefined {
  // Both URL triggers begin with `:`, which most values (ids, names, types) lack: one scan rules both out.
  const colon = text.includes(':');
  const url = colon && (text.includes(URL_TRIGGER) || text.includes(ESCAPED_URL_TRIGGER));
  // `@` too (a scheme-less `user:password@host`): only text with a colon, and only one holding such a `user:password@host` (hasUserInfoShape).
  const userInfo = colon && hasUserInfoShape(text);
  // 7-Zip's glued `-p…`: only a text naming `7z` (two searches for a string, which most text fails) is looked at for one (`find -print`
  // holds one too). Not a word of the scan: a `7` or `z` group would slow the scan of every text holding a digit or a `.gz`, and a glued
  // `-p…` in the `p` group, tried at every `p`, cost 20-40% of it on plain text and 12 times on `find … -print` lines.
  const sevenZip = (text.includes(SEVEN_ZIP) || text.includes(SEVEN_ZIP_UPPER)) && GLUED_P_OPTION.test(text);
  if (!url && !userInfo && !sevenZip && !ANY_TRIGGER.test(text)) return undefined;
  const found = new Set<string>();
  if (url) found.add(URL_TRIGGER);
  if (userInfo) found.add(USER_INFO_TRIGGER);
  if (sevenZip) found.add(SEVEN_ZIP_TRIGGER);
  for (const [match] of text.matchAll(GROUPED_TRIGGER_SCAN)) found.add(triggerOf(match.toLowerCase()));
  return found;
}

/** The normalised key names (lower case, letters and digits only) whose values are secret whatever they look like (but a paging cursor's: isPagingTokenName). */
const SECRET_KEY_SUFFIXES = /(?:password|passwd|passphrase|secret|secretkey|secretkeybase|token|apikey|accesskey|privatekey|authorization|credentials?|cookie)$/;
const SECRET_KEY_NAMES = new Set(['auth', 'pass', 'pwd']);
/** A `pwd` key (normalised): its value is a password but a working directory's path (isWorkingDirectory). */
const PWD_KEY = 'pwd';

/** The rule that replaces a value whole because its key names a secret. */
export const SECRET_FIELD_RULE = 'secret-field';

export const BUILTIN_RULES: ReadonlyArray<{ readonly name: string; readonly description: string }> = [
  ...BUILTIN_TEXT_RULES.map(({ name, description }) => ({ name, description })),
  {
    name: SECRET_FIELD_RULE,
    description: 'a value (string, number, object) whose key names a secret: password, passwd, pass, pwd (not a working directory\'s path), secret, token, api_key, authorization, access_key, private_key, client_secret, cookie, credentials, … (any case, any separator)',
  },
];

export const BUILTIN_RULE_NAMES: readonly string[] = BUILTIN_RULES.map((r) => r.name);

/** Objects nested deeper than this are replaced whole: they cannot be checked without risking the stack. */
const MAX_DEPTH = 64;
/**
 * An event's fields that tell one run (or request, call or action) from another: redacted like any
 * text, but one that a rule changed keeps a fingerprint of what it was (`…#Xy3_9aB-`), so that two
 * runs of a job named like a secret's label (`password:reset_expired`) stay two runs, and two
 * actions whose span ids a pattern for hex keys matches are not taken for one delivered twice.
 */
const IDENTITY_FIELDS: ReadonlySet<string> = new Set(['run_id', 'parent_run_id', 'request_id', 'call_id', 'span_id', 'action_id']);
/**
 * An event's fields that name what is judged (`redactName`): a job named like a secret's label
 * (`token:refresh`, `token:purge`) must not become one job with another.
 */
const NAME_FIELDS: ReadonlySet<string> = new Set(['job', 'agent', 'tool', 'route', 'guard']);
const KEY_CACHE_LIMIT = 4096;
/**
 * Texts at least this long are remembered (the last one), and shorter ones that hold a trigger:
 * for a short text without one, comparing costs about what redacting does.
 */
const LAST_TEXT_MIN = 256;

interface KeyVerdict {
  /** The key itself, redacted (a key may hold a secret too). */
  readonly key: string;
  readonly secret: boolean;
  /** The key is `pwd`: a working directory's path stays. */
  readonly pwd: boolean;
}

/** Compiles a config pattern: global, with indices when it names a `secret` group. */
export function compilePattern(regex: string): RegExp {
  const probe = new RegExp(regex);
  const named = /\(\?<secret>/.test(regex);
  return new RegExp(probe.source, named ? 'gd' : 'g');
}

/** Why a config pattern cannot be used, or undefined when it can. */
export function patternProblem(regex: string): string | undefined {
  let compiled: RegExp;
  try {
    compiled = new RegExp(regex);
  } catch (error) {
    return `invalid regular expression: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`;
  }
  if (new RegExp(`^(?:${compiled.source})$`).test('')) return 'matches the empty string: it would redact nothing and run at every position';
  return undefined;
}

function customRule(pattern: RedactPattern): TextRule {
  const regex = compilePattern(pattern.regex);
  const marker = redactionMarker(pattern.name);
  const byGroup = regex.flags.includes('d');
  return {
    name: pattern.name,
    description: `config pattern ${pattern.name}`,
    apply(text) {
      regex.lastIndex = 0;
      let out = '';
      let from = 0;
      for (let m = regex.exec(text); m; m = regex.exec(text)) {
        if (m[0].length === 0) {
          regex.lastIndex++;
          continue;
        }
        const span = byGroup ? m.indices?.groups?.secret : undefined;
        const [start, end] = span ?? [m.index, m.index + m[0].length];
        if (end > start) {
          out += `${text.slice(from, start)}${marker}`;
          from = end;
        }
      }
      return from === 0 ? text : out + text.slice(from);
    },
  };
}

/**
 * Redacts secrets from text and from parsed values. Build it once per config (`redactorFor`):
 * it compiles the config's patterns and caches what it learned about key names.
 */
export class Redactor {
  private readonly builtins: ReadonlyArray<{ readonly rule: TextRule; readonly triggers: readonly string[] }>;
  private readonly custom: readonly TextRule[];
  private readonly secretFields: boolean;
  private readonly keyCache = new Map<string, KeyVerdict>();
  private lastText = '';
  private lastClean = '';

  constructor(config: RedactConfig = {}) {
    const disabled = new Set(config.disable_builtins ?? []);
    this.builtins = BUILTIN_TEXT_RULES.filter((r) => !disabled.has(r.name)).map((rule) => ({ rule, triggers: RULE_TRIGGERS[rule.name] }));
    this.custom = (config.patterns ?? []).map(customRule);
    this.secretFields = !disabled.has(SECRET_FIELD_RULE);
  }

  /** The text with every secret replaced by its marker; the very same string when there was none. */
  redactText(text: string): string {
    // A run's head and tail are the same text when its output was short: redact it once.
    if (text === this.lastText) return this.lastClean;
    const present = this.triggersIn(text);
    const out = this.apply(text, false, present);
    if (present !== undefined || text.length >= LAST_TEXT_MIN) {
      this.lastText = text;
      this.lastClean = out;
    }
    return out;
  }

  /**
   * A name (a job's, an agent's, a route's: what findings, config keys and snoozes name), redacted
   * as text. `label:word` with nothing after the colon (`token:refresh`, `password:reset_expired`,
   * `credentials:rotate`: Rake, Artisan, Thor task names) reads as a secret's label, so names that
   * differ only there would all become `token:[REDACTED:secret-assignment]`, one job. A name that
   * only such a match changed keeps a fingerprint of itself with every other secret redacted
   * (`token:[REDACTED:secret-assignment]#Xy3_9aB-`): two names stay two, the same name gets the
   * same fingerprint on every run, and a secret redacted elsewhere (`mysqldump -pS3cret`) keeps
   * the name whatever its value, also after it changes. A config key goes through this too.
   * `clean`: the name as text redaction gives it, when the caller has it already.
   */
  redactName(name: string, clean = this.redactText(name)): string {
    if (clean === name) return name;
    const asName = this.apply(name, true, this.triggersIn(name));
    return asName === clean ? clean : `${clean}#${fingerprint(asName)}`;
  }

  /**
   * An identifier (a run's, a request's: an event's identity field), redacted as text; one that a
   * rule changed keeps a fingerprint of what it was (`…#Xy3_9aB-`). `clean`: the id as text
   * redaction gives it, when the caller has it already.
   */
  redactId(id: string, clean = this.redactText(id)): string {
    return clean === id ? id : `${clean}#${fingerprint(id)}`;
  }

  /** The built-in rules' triggers in the text (`triggersIn`); none when every built-in rule is disabled. */
  private triggersIn(text: string): ReadonlySet<string> | undefined {
    return this.builtins.length > 0 ? triggersIn(text) : undefined;
  }

  /**
   * The text with the built-in rules whose triggers are `present` applied, then the config's. No
   * object or closure per text: every string of every event comes through here.
   */
  private apply(text: string, asName: boolean, present: ReadonlySet<string> | undefined): string {
    let out = text;
    if (present) {
      for (const { rule, triggers } of this.builtins) if (anyPresent(triggers, present)) out = rule.apply(out, asName);
    }
    for (const rule of this.custom) out = rule.apply(out);
    return out;
  }

  /**
   * A parsed value with every string redacted (keys too) and every value whose key names a
   * secret replaced whole. Objects and arrays are copied only where something changed: a value
   * without secrets comes back as the very same object.
   */
  redactValue<T>(value: T): T {
    return this.walk(value, 0) as T;
  }

  private walk(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return this.redactText(value);
    if (typeof value !== 'object' || value === null) return value;
    if (depth >= MAX_DEPTH) return redactionMarker('too-deep');
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const item = value[i] as unknown;
        const clean = this.walk(item, depth + 1);
        if (clean !== item) (copy ??= value.slice())[i] = clean;
      }
      return copy ?? value;
    }
    const source = value as Record<string, unknown>;
    let entries: Array<[string, unknown]> | undefined;
    let index = 0;
    // for…in, not Object.keys: no array of keys per object walked (an own-key check keeps inherited ones out).
    for (const key in source) {
      if (!Object.hasOwn(source, key)) continue;
      const item = source[key];
      const verdict = this.keyVerdict(key);
      let clean = verdict.secret && isReplaceable(item) && !(verdict.pwd && typeof item === 'string' && isWorkingDirectory(item)) ? redactionMarker(SECRET_FIELD_RULE) : depth === 0 && key === 'ts' && typeof item === 'string' ? this.redactTime(item) : this.walk(item, depth + 1);
      if (depth === 0 && clean !== item && typeof item === 'string') {
        if (IDENTITY_FIELDS.has(key)) clean = this.redactId(item, clean as string);
        // A name field is not a secret's key, so `clean` is the name redacted as text.
        else if (NAME_FIELDS.has(key)) clean = this.redactName(item, clean as string);
      }
      if (entries === undefined && (clean !== item || verdict.key !== key)) entries = Object.entries(source).slice(0, index);
      entries?.push([verdict.key, clean]);
      index++;
    }
    if (!entries) return value;
    // A `__proto__` key (JSON.parse makes it an own property) stays a plain key.
    const copy: Record<string, unknown> = {};
    for (const [k, v] of entries) setOwn(copy, k, v);
    return copy;
  }

  /**
   * An event's `ts`, redacted as text. A time (`parseTime`: ISO-8601, written with digits and
   * `-:.,+ ` `T` `Z` only) holds no built-in rule's trigger word, so only the config's patterns are
   * run on it. The check is cheap on the parse path: the line's `ts` was the last time read.
   */
  private redactTime(text: string): string {
    if (Number.isNaN(parseTime(text))) return this.redactText(text);
    let out = text;
    for (const rule of this.custom) out = rule.apply(out);
    return out;
  }

  private keyVerdict(key: string): KeyVerdict {
    let verdict = this.keyCache.get(key);
    if (verdict) return verdict;
    const normalised = normalisedKey(key);
    const secret = this.secretFields && (SECRET_KEY_SUFFIXES.test(normalised) || SECRET_KEY_NAMES.has(normalised)) && !isPagingTokenName(key);
    verdict = { key: this.redactText(key), secret, pwd: normalised === PWD_KEY };
    if (this.keyCache.size >= KEY_CACHE_LIMIT) this.keyCache.clear();
    this.keyCache.set(key, verdict);
    return verdict;
  }
}

/** A value a secret key's content may be: anything but nothing (null, undefined, empty text) and true/false. */
function isReplaceable(value: unknown): boolean {
  if (value === null || value === undefined || typeof value === 'boolean') return false;
  return !(typeof value === 'string' && value.length === 0);
}

/** The redactor with the built-in rules only. */
export const BUILTIN_REDACTOR = new Redactor();

const byConfig = new WeakMap<object, Redactor>();

/** The redactor for a config's `redact` section, built once per config object. */
export function redactorFor(config: { readonly redact?: RedactConfig }): Redactor {
  const section = config.redact;
  if (!section || ((section.patterns?.length ?? 0) === 0 && (section.disable_builtins?.length ?? 0) === 0)) return BUILTIN_REDACTOR;
  let redactor = byConfig.get(section);
  if (!redactor) byConfig.set(section, (redactor = new Redactor(section)));
  return redactor;
}
