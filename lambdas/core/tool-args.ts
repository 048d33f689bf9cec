import type { ArgType } from '../config.ts';
import { unitPrefix } from './output-capture.ts';
import { isoTime } from './findings.ts';
import { noSuchDay, parseTime, utcDay } from './parse-time.ts';
import { isWhollyRedacted } from './redact.ts';
import { UUID } from './route-template.ts';

/**
 * Semantic checks of tool arguments (contract §2 `tools.<name>.args`): the one definition behind
 * both the `tool-arg-invalid` detector (after the fact, against the call's time) and the agent
 * kit's `validateToolArgs` (before dispatch, against now). JSON schema says "a string"; this says
 * "a UUID, and not the words 'the user mentioned in the conversation'".
 *
 * Pure: no clock, no I/O; the reference time for relative date bounds is passed in.
 */

export type { ArgType };

/** One argument that failed its type, worded so that an LLM can correct the call. */
export interface ArgError {
  /** The argument's path: `user_id`, `customer.email`, `items[2].price`. */
  readonly arg: string;
  /** What was expected, in words: `a UUID`, `a date between 2026-09-05 and 2027-10-05`. */
  readonly expected: string;
  /** The value passed, as JSON, cut to 80 characters. */
  readonly got: string;
  readonly message: string;
  /** Whether the type came from the config or was inferred from the argument's name. */
  readonly source: 'config' | 'name';
  /** The value reads as a placeholder or a description ("his email", "TBD", `{{user_id}}`) rather than a value. */
  readonly placeholder: boolean;
}

export interface ArgCheckOptions {
  /** Epoch ms that relative date bounds (`-30d`) count from: the call's time, or now. */
  readonly now: number;
  /** Infer types of unconfigured arguments from their names (default true). */
  readonly inferFromNames?: boolean;
}

/** Argument names that hold free text: never given a type by inference, whatever they contain. */
export const FREE_TEXT_ARGS: ReadonlySet<string> = new Set([
  'reason',
  'message',
  'query',
  'text',
  'summary',
  'note',
  'notes',
  'description',
  'content',
  'prompt',
  'body',
  'title',
  'comment',
  'comments',
  'subject',
  'instructions',
  'question',
  'answer',
  'input',
  'output',
  'reply',
  'response',
  'feedback',
  'details',
  'caption',
  'headline',
  'heading',
  'label',
  'header',
  'hint',
  'display',
  'agenda',
  'location',
  'venue',
]);

const DAY_MS = 86_400_000;
/** How deep name inference looks; a configured path is followed as deep as it leads (see `reach`). */
const MAX_DEPTH = 4;
const MAX_ID_LENGTH = 256;

/** `userId` → `user_id`, `Customer-Email` → `customer_email`. */
function snakeName(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toLowerCase();
}

/**
 * The type each argument name seen implies (`inferArgType`): the calls of a tool name the same few
 * arguments, and every argument of every call asked again (two regular expressions and a copy of
 * the name). Emptied when full, and only names of up to `MAX_INFERRED_NAME_CHARS`: names are whatever calls say.
 */
const inferredTypes = new Map<string, ArgType | undefined>();
const MAX_INFERRED_NAMES = 1024;
const MAX_INFERRED_NAME_CHARS = 64;

/**
 * Contract §2: the type an unconfigured argument gets from its name, or undefined (no check).
 * `id`/`*_id` an identifier, `email`/`*_email` an email, `amount`/`price`/`count`/`*_count`
 * a number, `date`/`*_date`/`*_at` a date. camelCase names count as their snake_case form.
 */
export function inferArgType(name: string): ArgType | undefined {
  if (name.length > MAX_INFERRED_NAME_CHARS) return typeFromName(name);
  const known = inferredTypes.get(name);
  if (known !== undefined || inferredTypes.has(name)) return known;
  if (inferredTypes.size >= MAX_INFERRED_NAMES) inferredTypes.clear();
  const type = typeFromName(name);
  inferredTypes.set(name, type);
  return type;
}

/** Whether a snake_case name, or its last word (`error_message`), names free text. */
function isFreeTextName(n: string): boolean {
  return FREE_TEXT_ARGS.has(n) || FREE_TEXT_ARGS.has(n.split('_').at(-1) ?? '');
}

function typeFromName(name: string): ArgType | undefined {
  const n = snakeName(name);
  if (isFreeTextName(n)) return undefined;
  if (n === 'uuid' || n.endsWith('_uuid')) return 'uuid';
  if (n === 'id' || n.endsWith('_id')) return 'id';
  if (n === 'email' || n.endsWith('_email')) return 'email';
  if (n === 'amount' || n === 'price' || n === 'count' || n.endsWith('_count') || n.endsWith('_amount') || n.endsWith('_price')) return 'number';
  if (n === 'date' || n.endsWith('_date') || n.endsWith('_at')) return 'date';
  return undefined;
}

/**
 * The type each item of a list argument gets from the list's plural name: `ids`/`*_ids` (`userIds`)
 * an identifier, `uuids`/`*_uuids` a UUID, `emails`/`*_emails` an email. Only a list's items: a
 * string under such a name (`"u1,u2"`) is given no type.
 */
export function inferItemType(name: string): ArgType | undefined {
  const n = snakeName(name);
  if (isFreeTextName(n)) return undefined;
  if (n === 'uuids' || n.endsWith('_uuids')) return 'uuid';
  if (n === 'ids' || n.endsWith('_ids')) return 'id';
  if (n === 'emails' || n.endsWith('_emails')) return 'email';
  return undefined;
}

/**
 * Template slots. An angle-bracket slot holds a name (letters, digits, `_`, `-`, spaces: `<user_id>`,
 * `<USER ID>`), not an address: `<CAF7k2x9Q@mail.gmail.com>` is an RFC 5322 Message-ID, a value.
 * A name, starting with a letter or `_`, also makes a slot in single braces (Python's `{user_id}`;
 * not a braced GUID `{3F2504E0-4F89-…}` nor JSON), square brackets (`[customer-id]`), or between `%`.
 * After a `$` only an all-caps env-var name is a slot (`$USER_ID`; not a bcrypt hash `$2a$…`, a Matrix
 * event id `$Rqnc_Fdvn…`, a Cash App `$JaneDoe42`). Between double underscores, and after `YOUR_`, in
 * caps (`__USER_ID__`, `YOUR_API_KEY`; not Pinecone's `__default__` namespace nor a `your_move_chess`
 * workspace); in any other case (`YOUR-API-KEY`, not a `YOUR-TURN` coupon), when the last word names
 * a kind of value (`VALUE_SLOT`).
 */
const TEMPLATE =
  /^\s*(<[A-Za-z0-9_ -]{1,64}>|\{\{[^{}]{0,64}\}\}|\$\{[^{}]{0,64}\}|\{[A-Za-z_][A-Za-z0-9_]{0,63}\}|\[[A-Za-z_][A-Za-z0-9_ -]{1,39}\]|\$[A-Z_][A-Z0-9_]{1,63}|%[A-Za-z_]{2,40}%|__[A-Z][A-Z0-9_]{0,60}__|YOUR_[A-Z0-9_]{1,60})\s*$/;
/**
 * The docs' `your-…` slot in any case (`your-bucket-name`, `Your-API-Key`, `YOUR-API-KEY`,
 * `your_username`, `your-account-number`), and a dunder slot (`__user_id__`, `__username__`), whose
 * last word names a kind of value; not a `your-style-boutique` shop, a `your_move_chess` workspace, a
 * `YOUR-TURN` coupon, nor a dunder name of no kind (`__default__`) or Python's `__name__`.
 */
const VALUE_KIND =
  'id|key|token|here|name|username|user|secret|password|passphrase|email|bucket|project|org|organization|organisation|account|number|customer|tenant|workspace|team|company|channel|client|database|db|table|cluster|instance|region|domain|host|url|endpoint|value';
const VALUE_SLOT = new RegExp(String.raw`^\s*(?:your(?:[_-][a-z0-9]+){0,8}?[_-](?:${VALUE_KIND})|__(?:(?:[a-z0-9]+_){1,9}|(?!name__))(?:${VALUE_KIND})__)\s*$`, 'i');
/**
 * Filler words, also with a trailing `.`, `!`, `。` or Hindi's danda `।` (`TBD.`, `कोई नहीं।`), and "unknown", "none",
 * "N/A", "pending", "TBD" in the languages agents most often answer in (`FOREIGN_FILLERS`): agents write in the user's language.
 */
const FOREIGN_FILLERS = [
  'unbekannt|k\\. ?a\\.?|keine(?: angaben?)?|ausstehend', // German: "k.A." is "keine Angabe", N/A
  'desconocid[oa]|ningun[oa]|pendiente|n\\/d', // Spanish
  'inconnue?|aucune?|non disponible|n\\/d', // French
  'desconhecid[oa]|nenhum|pendente', // Portuguese
  'sconosciut[oa]|nessuno|non disponibile', // Italian
  'onbekend|n\\.v\\.t\\.', // Dutch
  'nieznan[ya]', // Polish
  'bilinmiyor', // Turkish
  'неизвест\\p{L}*|нет(?: данных)?|н\\/д', // Russian: неизвестно, неизвестен, неизвестный, …
  '未知|待定|暂无|暫無|无|無|[没沒]有|同上|不明|未定|(?:該当|特に)?なし|無し|미정|(?:해당 ?)?없음|알 ?수 ?없음|위와 ?같음', // Chinese (Simplified, Traditional), Japanese, Korean; 同上, 위와 같음: "same as above" (not 상동: also Sang-dong, a place)
  'غير معروفة?|مجهول|لا ?يوجد|لا ?شيء|غير متوفرة?|غير متاحة?|لا ينطبق|يحدد لاحق\\p{M}?ا\\p{M}?', // Arabic: unknown, none (لا يوجد, لايوجد), N/A, TBD (لاحقا, لاحقاً, لاحقًا)
  'अज्ञात|कोई नहीं|कुछ नहीं|लागू नहीं|उपलब्ध नहीं|तय होना बाकी(?: है)?|लंबित', // Hindi: unknown, none, N/A, TBD, pending
].join('|');
const PLACEHOLDER_WORDS = new RegExp(
  String.raw`^\s*(tbd|tba|tbc|todo|unknown|n\/a|none|null|nil|undefined|placeholder|pending|same|same as (before|above|last time)|\?+|x{3,}|-+|\.{3}|…|${FOREIGN_FILLERS})[.!。।]*\s*$`,
  'iu',
);
/** `NA` without the slash (also `N.A.`): "N/A" in most arguments, but a code in some (`CODE_WORDS`). */
const BARE_NA = /^\s*n\.?a\.?\s*$/i;
/**
 * Words of argument names that hold codes, where `NA` is a value: Namibia (ISO 3166), North America
 * (a region), the Nauru language (ISO 639, a locale). `country`, `country_code`, `regionCode`, `iso`,
 * also in the plural (`countries`, `regions`, `languages`: `singular`) and after an acronym (`ISOCode`).
 */
const CODE_WORDS: ReadonlySet<string> = new Set(['code', 'country', 'region', 'iso', 'locale', 'state', 'lang', 'language', 'continent', 'currency']);

/** A word of a name in the singular: `countries` → `country`, `regions` → `region`. */
function singular(word: string): string {
  if (word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  return word.endsWith('s') ? word.slice(0, -1) : word;
}

function isCodeArg(name: string | undefined): boolean {
  if (name === undefined) return false;
  // An acronym before a capitalised word is a word of its own: `ISOCode` → `ISO_Code`.
  const words = snakeName(name.replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')).split('_');
  return words.some((word) => CODE_WORDS.has(word) || CODE_WORDS.has(singular(word)));
}

/**
 * Words that refer to something instead of being it: "the user mentioned …", "his email", "same … as last time";
 * in other languages only "mentioned", "same", "previous(ly)" (an article or a possessive there is also a name's word:
 * Jean de la Fontaine, Son Heung-min). Bounded by letters (and their marks: Hindi's vowel signs) in any script, not
 * by `\b`'s ASCII words. Arabic: المذكور, المشار إليه, نفس(ه), السابق in any form with its article (السابقون, السابقات, السابقُ, السابقه;
 * وقت سابق is "an earlier time"), أعلاه; Hindi: उल्लिखित, उपरोक्त, वही, उसी, पिछले, पहले वाला, पहले का/की/के but not after से
 * ("before": 5 दिसंबर से पहले की तारीख is a date, as a bare पहले), ऊपर; German: derselbe, desselben, die selbe.
 */
const REFERENTIAL = new RegExp(
  String.raw`(?<![\p{L}\p{M}\p{N}_])(the|his|her|their|its|our|my|your|this|that|these|those|same|previous|earlier|above|below|last|mentioned|current|aforementioned|said|given|provided|customer'?s|user'?s` +
    String.raw`|mencionad[oa]s?|mism[oa]s?|anterior(?:es|mente)?|mentionnée?s?|même|précédente?s?|précédemment|erwähnte[nrms]?|genannte[nrms]?|gleiche[nrms]?|vorherige[nrms]?|(?:der|die|das|dem|den|des)selben?|(?:der|die|das|dem|den|des) selbe[nrms]?` +
    String.raw`|mesm[oa]s?|menzionat[oaie]|stess[oaie]|precedente|упомянут\p{L}*|тот же` +
    String.raw`|(?:ال)?مذكور\p{L}*|(?:ال)?مشار إلي(?:ه|ها|هم)|[بو]?نفس(?:ه|ها|هم)?|السابق[\p{L}\p{M}]*|أعلاه|उल्लिखित|उल्लेखित|उपर्युक्त|उपरोक्त|वही|उसी|पिछल[ाीे]|पहले वाल[ाीे]|(?<!(?:^|[^\p{L}\p{M}])से\s+)पहले क[ाीे]|ऊपर|이전)(?![\p{L}\p{M}\p{N}_])`,
  'iu',
);
/**
 * A description in Chinese, Japanese or Korean, which write it without spaces (对话中提到的用户, 会話で言及されたユーザー,
 * 대화에서 언급된 사용자): the value ENDS (but for spaces and punctuation) with a noun for a person or an account
 * (`CJK_PERSON`) right after a referential frame (`CJK_FRAME`: "mentioned", "previous", "above", "same", "this", "that"),
 * with an optional verb ending (された, 된, 过) and linking particle (的, の, 의); anything may come before the frame.
 * Anything else is a value: titles and names that hold the frame's words (以前的我, 之前的约定, 前回のあらすじ, 同じ空の下,
 * 꿈같은하루, 上次会议纪要, 李刚才) and nouns that start with a person's (客户端, 고객센터, 계정과목). Whole-value fillers (同上,
 * 위와 같음) are `FOREIGN_FILLERS`. `CJK_SCRIPT`, one character test, spares other text the regex.
 */
const CJK_SCRIPT = /[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]/;
/** 该/該 is "that" except inside 应该/應該 ("should") and 活该; 此 except in 因此, 如此; 그, 이 ("that", "this") only as a word. */
const CJK_FRAME =
  '提到|提及|所述|上述|前述|上記|言及|前回|先(?:ほど|程)|さきほど|さっき|以前|之前|先前|上次|相同|同[样樣]|上面|前面|[刚剛]才|同じ|同一|当該|該当|' +
  '(?<![应應活])[该該]|[这這][个個位]|(?<![因如])此|この|その|언급|이전|지난번|해당|동일|(?:(?<![가-힣])|(?<=[와과] ?))같은|(?<![가-힣])[그이](?= )';
const CJK_PERSON =
  '用[户戶]|客[户戶]|[顾顧]客|[会會][员員]|会員|[账帳][户戶号號]|ユーザー?|お?客様|利用者|アカウント|사용자|이용자|고객|회원|유저|계정';
const CJK_DESCRIPTION = new RegExp(
  `(?:${CJK_FRAME})(?:された|した|[过過]|된|한|했던|되었던)?(?:[的の의])? ?(?:${CJK_PERSON})[\\s\\p{P}]*$`,
  'u',
);

/**
 * Whether a string reads as a stand-in for a value rather than the value: a template slot
 * (`<user_id>`, `{{user_id}}`, `${ID}`), a filler word (`TBD`, `unknown`, `N/A`), or words that
 * describe where the value is ("the user mentioned in the conversation", "his email"). `name`, the
 * argument's name: a bare `NA` is "N/A" except in an argument that holds a code (`country`, `locale`).
 */
export function looksLikePlaceholder(value: string, name?: string): boolean {
  if (isSlotOrFiller(value, name)) return true;
  if (CJK_SCRIPT.test(value) && CJK_DESCRIPTION.test(value)) return true;
  return /\S\s+\S/.test(value.trim()) && REFERENTIAL.test(value);
}

/**
 * Words of argument names whose values may be templates, code, configuration or patterns in their own
 * right (`{{user_id}}` is the value of a `template`, of a `jinja` text, of a mail's `greeting` or
 * `signature`; `{{base_url}}` of a `url`): an untyped argument with one among the words of its name is
 * never judged a placeholder. Also in the plural (`variables`, `vars`, `headers`, `params`: `singular`).
 */
const TEMPLATE_TEXT_WORDS: ReadonlySet<string> = new Set([
  'template', 'placeholder', 'format', 'pattern', 'regex', 'expression', 'expr', 'variable', 'var', 'env', 'environment',
  'greeting', 'salutation', 'signature', 'merge', 'substitution', 'personalization', 'personalisation', 'mapping', 'interpolation',
  'code', 'snippet', 'script', 'shell', 'command', 'cmd', 'html', 'markdown', 'sql', 'jinja', 'liquid', 'mustache', 'handlebars',
  'selector', 'example', 'sample', 'default', 'syntax', 'macro', 'separator', 'delimiter', 'prefix', 'suffix',
  'header', 'path', 'url', 'uri', 'route', 'endpoint', 'key', 'field', 'param', 'parameter', 'config', 'setting', 'option',
  'tag', 'element', 'usage', 'doc', 'filter', 'sort',
]);
/** Words for a person a `{{…}}` slot may stand in for: `{{recipient}}`, `{{customer_name}}`, `{{user.phone}}`. */
const PERSON_KINDS: ReadonlySet<string> = new Set([
  'user', 'username', 'recipient', 'customer', 'client', 'contact', 'sender', 'caller', 'member', 'buyer', 'requester', 'employee', 'patient', 'person', 'phone',
]);
/**
 * A whole value that is one double-brace slot around a name (`{{user_id}}`, `{{ customer.email }}`), or
 * a triple-brace one (Handlebars' unescaped `{{{ user_id }}}`); group 1 or 2, the name.
 */
const DOUBLE_BRACE_SLOT = /^\s*(?:\{\{\{\s*([A-Za-z_][\w.-]{0,63})\s*\}\}\}|\{\{\s*([A-Za-z_][\w.-]{0,63})\s*\}\})\s*$/;
/**
 * A whole English description of a person or an entity by where it was said, as `looksLikePlaceholder`'s
 * `REFERENTIAL` reads it, narrowed to its unmistakable shape: "the", an optional "same", the person or
 * entity (`the user's email address` too), and a frame ("mentioned", "from earlier", "as before", "in the
 * conversation"): "the user mentioned in the conversation", "the same customer as before". Not a label
 * ("the user's email address"), "see above", "as discussed", nor "value above".
 */
const ENTITY = String.raw`(?:user|customer|client|caller|sender|recipient|contact|person|member|buyer|requester|employee|patient|account|order|ticket|amount|e-?mail(?: address)?|address|phone(?: number)?)(?:(?:'s|’s) (?:e-?mail(?: address)?|address|id|name|phone(?: number)?|account(?: number)?))?`;
const WHERE = String.raw`(?:above|below|earlier|before|previously|last time|(?:in|from) (?:the|this|our|my) (?:conversation|chat|thread|discussion|(?:previous|last|earlier) (?:message|response|result|turn)s?|request|prompt)|from (?:earlier|before|last time)|as (?:before|above|earlier|last time|previously))`;
const FRAME = String.raw`(?:(?:mentioned|referred to|referenced)(?: ${WHERE})?|(?:(?:given|provided|specified|stated|shown|listed|quoted|noted|named|used|returned|found|discussed) )?${WHERE})`;
const ENTITY_DESCRIPTION = new RegExp(String.raw`^\s*the (?:same )?${ENTITY} ${FRAME}[.!]?\s*$`, 'i');
/**
 * The first test of an untyped value, before any name is looked at: only a value that starts with `{{`
 * or "the "/"The " can be an unmistakable stand-in.
 */
const UNTYPED_CANDIDATE = /^\s*(?:\{\{|[Tt]he )/;
const MAX_UNTYPED_CHARS = 120;

/**
 * Whether the value of a top-level argument with no type (configured or by its name), `name`, is
 * unmistakably a stand-in, whole, in one of two shapes: (a) one `{{…}}` (or `{{{…}}}`) slot whose name
 * implies a type (`inferArgType`: `{{user_id}}`, `{{customer.email}}`) or names a person (`PERSON_KINDS`:
 * `{{recipient}}`); (b) an English description `looksLikePlaceholder` would find under a type that names
 * a person or an entity by "the" and a frame (`ENTITY_DESCRIPTION`: "the user mentioned in the
 * conversation", "the user mentioned"). Nothing else: no other slot (`${…}`, `{x}`, `<x>`, `$X`), no
 * `TBD`, no label nor "see above", no description in another script. Never when a word of `name` holds
 * free text (`FREE_TEXT_ARGS`: `subject_line`) or templates, code or configuration (`TEMPLATE_TEXT_WORDS`).
 * The caller asks only at the top level: what objects and lists hold (Postman's auth, a workflow's
 * steps, merge data) is theirs to template.
 */
export function isUntypedPlaceholder(value: unknown, name: string): boolean {
  if (typeof value !== 'string' || value.length > MAX_UNTYPED_CHARS || !UNTYPED_CANDIDATE.test(value)) return false;
  if (holdsTextOrCode(name)) return false;
  const slot = DOUBLE_BRACE_SLOT.exec(value);
  if (slot) return slotNamesAPersonOrType(slot[1] ?? slot[2]);
  return looksLikePlaceholder(value) && ENTITY_DESCRIPTION.test(value.replace(/\s+/g, ' '));
}

/** Whether an argument name holds free text, or a template, code or configuration, in any of its words. */
function holdsTextOrCode(name: string): boolean {
  return snakeName(name)
    .split('_')
    .some((word) => [word, singular(word)].some((w) => FREE_TEXT_ARGS.has(w) || TEMPLATE_TEXT_WORDS.has(w)));
}

/** Whether a `{{…}}` slot's name implies a type (`user_id`, `email`) or names a person (`recipient`, `customer_name`). */
function slotNamesAPersonOrType(name: string): boolean {
  if (inferArgType(name) !== undefined) return true;
  return snakeName(name).split('_').some((word) => PERSON_KINDS.has(word) || PERSON_KINDS.has(singular(word)));
}

/** A template slot or a filler word: never a value, whatever the format allows. */
function isSlotOrFiller(value: string, name: string | undefined): boolean {
  return TEMPLATE.test(value) || VALUE_SLOT.test(value) || PLACEHOLDER_WORDS.test(value) || (BARE_NA.test(value) && !isCodeArg(name));
}

/**
 * Whether a value a configured pattern matches is still a placeholder: a template slot or filler
 * word (`TBD`, `none`, `{{user_id}}`), unless the pattern spells the word out (`^(none|\d+)$`
 * allows `none`, `^(N\/A|\d+)$` `N/A`, `^(same\s+as before)$` "same as before"; `none_required`
 * does not spell `none`), or asks for the slot's delimiter (`asksForDelimiter`: `^\$[A-Z]{1,5}$` takes
 * `$AAPL`, as it rejects `AAPL`), or the value is a `$` name that does not say it is a slot
 * (`CASHTAG_LIKE`: `^\$?[A-Z]{1,5}$` takes `$AAPL` too). Descriptions are left to the pattern: one that admits spaces admits "The Hague".
 */
function placeholderUnderPattern(value: string, pattern: string, name: string): boolean {
  if (!isSlotOrFiller(value, name) || asksForDelimiter(pattern, value) || CASHTAG_LIKE.test(value)) return false;
  const word = value.trim().toLowerCase().replace(/\s+/g, ' ');
  return !(/[\p{L}\p{N}]/u.test(word) && spellsOut(pattern, word));
}

/**
 * A `$` name a pattern may take as a value (a cashtag `$AAPL`): all caps with no underscore, and not
 * a kind of value; `$CUSTOMER_ID` and `$TOKEN` are slots whatever the pattern, unless it asks for the `$`.
 */
const CASHTAG_LIKE = new RegExp(String.raw`^\s*\$(?!(?:${VALUE_KIND.toUpperCase()})\s*$)[A-Z][A-Z0-9]*\s*$`);

/**
 * Whether a pattern asks for the delimiter a slot-like value is written in: it rejects the value
 * without it (`withoutDelimiter`). `^\$[A-Z]{1,5}$`, `^[$][A-Z]{1,5}$` are written for a cashtag
 * (`$AAPL`), `^__[A-Z]+__$` for dunder names, so the format, not the slot's look, decides; a pattern
 * that merely allows the delimiter (`^[\w$-]+$`, `^\{?\w+\}?$`) takes the slot's name too, so
 * `$CUSTOMER_ID` is still a slot under it.
 */
function asksForDelimiter(pattern: string, value: string): boolean {
  const inner = withoutDelimiter(value.trim());
  return inner !== undefined && !new RegExp(pattern).test(inner);
}

/** The delimiters that may be a format's own: `__…__`, `$…`, `{…}`, `[…]`. */
const DELIMITERS: readonly (readonly [open: string, close: string])[] = [
  ['__', '__'],
  ['$', ''],
  ['{', '}'],
  ['[', ']'],
];

/** A value's text inside the delimiter it is written in (`$AAPL` → `AAPL`, `{user_id}` → `user_id`), if any. */
function withoutDelimiter(text: string): string | undefined {
  const delimiter = DELIMITERS.find(([open, close]) => text.length > open.length + close.length && text.startsWith(open) && text.endsWith(close));
  return delimiter && text.slice(delimiter[0].length, text.length - delimiter[1].length);
}

const WORD_CHAR = /^[\p{L}\p{N}_]$/u;

/** Whether a pattern's text holds the word whole, reading `\/` as `/` and `\s`, `\s+`, ` +` as a space. */
function spellsOut(pattern: string, word: string): boolean {
  const text = pattern
    .toLowerCase()
    .replace(/\\s[+*]?| [+*]?|\\([^\p{L}\p{N}])/gu, (_, escaped: string | undefined) => escaped ?? ' ');
  for (let at = text.indexOf(word); at !== -1; at = text.indexOf(word, at + 1)) {
    if (!WORD_CHAR.test(text[at - 1] ?? '') && !WORD_CHAR.test(text[at + word.length] ?? '')) return true;
  }
  return false;
}

function gotText(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  if (text.length <= 80) return text;
  // Not between the two halves of an astral character (an emoji): a lone surrogate is no text.
  return `${unitPrefix(text, 79)}…`;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'boolean') return `the boolean ${value}`;
  return typeof value;
}

/** What a type expects, with an example, and what to do when a placeholder was passed instead. */
interface TypeWords {
  readonly expected: string;
  readonly example: string;
  readonly literal: string;
}

const WORDS: Record<string, TypeWords> = {
  uuid: { expected: 'a UUID', example: '3f1c2a9e-8b7d-4c5e-9f10-2a3b4c5d6e7f', literal: 'pass the literal id from the earlier tool result, not a description of it' },
  id: {
    expected: 'an identifier (one token, no spaces)',
    example: 'usr_8412',
    literal: 'pass the literal id from the earlier tool result, not a description of it',
  },
  email: { expected: 'an email address', example: 'jane.doe@example.com', literal: 'pass the literal address from the conversation or an earlier tool result' },
  number: { expected: 'a number', example: '42.5', literal: 'look the amount up and pass the number itself' },
  integer: { expected: 'a whole number', example: '3', literal: 'look the value up and pass the number itself' },
  url: { expected: 'an absolute http(s) URL', example: 'https://example.com/page', literal: 'pass the literal URL from an earlier tool result' },
  date: { expected: 'a date (ISO 8601)', example: '2026-10-05', literal: 'pass the calendar date itself, as YYYY-MM-DD' },
};

/**
 * An address with an internationalised domain passes as typed (`ivan@пример.рф`, RFC 6531) or in
 * punycode (`info@example.xn--p1ai`): labels of letters, digits and marks in any script, a
 * top-level domain of letters or `xn--…`.
 */
const DOMAIN_LABEL = String.raw`[\p{L}\p{N}](?:[\p{L}\p{N}\p{M}-]{0,61}[\p{L}\p{N}\p{M}])?`;
const TOP_LEVEL_DOMAIN = String.raw`(?:\p{L}[\p{L}\p{M}]+|xn--[A-Za-z0-9](?:[A-Za-z0-9-]{0,57}[A-Za-z0-9])?)`;
const EMAIL = new RegExp(String.raw`^[^\s@"<>()\[\],;:]+@${DOMAIN_LABEL}(?:\.${DOMAIN_LABEL})*\.${TOP_LEVEL_DOMAIN}$`, 'u');
const NUMERIC = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?\s*$/i;
const INTEGER = /^\s*[+-]?\d+\s*$/;
/** RFC 3339 allows a lowercase `t` and `z`. */
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/;
const RELATIVE = /^([+-])(\d+)d$/;

/** Epoch ms of a calendar day, years 0–99 included (`Date.UTC` reads them as 1900–1999). */
function utcDayOf(year: number, month: number, day: number): number {
  return year >= 100 ? Date.UTC(year, month - 1, day) : new Date(0).setUTCFullYear(year, month - 1, day);
}

/**
 * Inferred dates must at least be plausible: any real date of the past (a birth date of 1850, a
 * founding of 800), but not a zero date, the default of a date never set (`0001-01-01`, .NET's
 * `DateTime.MinValue`, Go's zero `time.Time`; `0000-00-00`, MySQL's, is no calendar day at all),
 * nor more than 100 years from now.
 */
const PLAUSIBLE_FROM = utcDayOf(1, 1, 2);
const PLAUSIBLE_YEARS_AHEAD = 100;

/**
 * Epoch numbers by their digits, negative (before 1970) as positive: seconds have 9 to 11 (from 1973-03-03
 * on, or before 1966-10-31), milliseconds 12 to 14 (the same days; a number never reads both ways).
 * Fewer digits is no date: 0 (an epoch never set), a count of days, a `yyyymmdd` number (20261005);
 * nor is a `yyyymmddHHMM(SS)` number (`isCompactDateTime`);
 * a day between 1966-10-31 and 1973-03-03 is written in ISO 8601 (an 8-digit number's failure names
 * it so for each reading it has: `compactHint`).
 */
const EPOCH_SECONDS_FROM = 1e8;
const EPOCH_MS_FROM = 1e11;
const EPOCH_MS_UNTIL = 1e14;

/**
 * Whether a 12- or 14-digit number is a `yyyymmddHHMM` or `yyyymmddHHMMSS` date-time of 1900–2199
 * (`202612071030`, as several APIs write one), not epoch ms: read as ms it would be a time of 1976–1979
 * or of the 26th century, and no one means those that way. A whole UTC midnight stays epoch ms: a
 * date of those years (a birth date, `199411200000` is 1976-04-27), which as `yyyymmddHHMM` would be
 * midnight too (1994-11-20 00:00); the two readings cannot be told apart for those few numbers.
 */
function isCompactDateTime(value: number): boolean {
  return Number.isInteger(value) && value % DAY_MS !== 0 && compactDateTime(String(value)) !== undefined;
}

/** The years a compact date or date-time (`yyyymmdd…`) is read in. */
const COMPACT_FIRST_YEAR = 1900;
const COMPACT_LAST_YEAR = 2199;

/** The date-time (`2026-12-07T10:30`, `…T10:30:15`) a 12- or 14-digit text makes as `yyyymmddHHMM(SS)` of 1900–2199, if it makes one. */
function compactDateTime(text: string): string | undefined {
  if (text.length !== 12 && text.length !== 14) return undefined;
  const [y, h, mi, sec] = [0, 8, 10, 12].map((at) => Number(text.slice(at, at + (at === 0 ? 4 : 2))));
  if (y < COMPACT_FIRST_YEAR || y > COMPACT_LAST_YEAR || h > 23 || mi > 59 || sec > 59) return undefined;
  const day = compactDay(text);
  return day === undefined ? undefined : `${day}T${text.slice(8, 10)}:${text.slice(10, 12)}${text.length === 14 ? `:${text.slice(12)}` : ''}`;
}

/** The calendar day (`yyyy-mm-dd`) the first eight digits of a number's text make as `yyyymmdd`, if they make one. */
function compactDay(text: string): string | undefined {
  const day = `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}`;
  return noSuchDay(day) === undefined ? day : undefined;
}

/** The least number of eight digits. */
const EIGHT_DIGITS_FROM = 1e7;
const DIGITS_ONLY = /^\d+$/;

/** One way to read digits that are no date: the ISO 8601 it names (`iso`), as what (`as`), and its epoch ms (`at`). */
interface Reading {
  readonly iso: string;
  readonly as: string;
  readonly at: number;
}

/**
 * The readings of digits that are no date, as a number or as text (LLM tool calls mostly send text):
 * 8 of them are the day they make as `yyyymmdd` (20261005: 2026-10-05) and the time they name as epoch
 * seconds (1966-10-31 to 1973-03-03: 90000000 is 1972-11-07T16:00:00Z); 12 or 14 the date-time
 * they make as `yyyymmddHHMM(SS)` (`isCompactDateTime`; text is never epoch ms, so a midnight is one too).
 */
function compactReadings(value: unknown): Reading[] {
  if (typeof value === 'number' ? !Number.isInteger(value) : typeof value !== 'string') return [];
  const text = typeof value === 'string' ? value.trim() : String(value);
  const digits = text.length === 8 && DIGITS_ONLY.test(text) ? Number(text) : typeof value === 'number' ? value : undefined;
  if (digits !== undefined && Math.abs(digits) >= EIGHT_DIGITS_FROM && Math.abs(digits) < EPOCH_SECONDS_FROM) {
    const seconds: Reading = { iso: isoTime(digits * 1000), as: 'epoch seconds', at: digits * 1000 };
    const day = digits > 0 ? compactDay(String(digits)) : undefined;
    return day === undefined ? [seconds] : [{ iso: day, as: 'yyyymmdd', at: Date.parse(day) }, seconds];
  }
  const dateTime = typeof value === 'number' ? (isCompactDateTime(value) ? compactDateTime(text) : undefined) : DIGITS_ONLY.test(text) ? compactDateTime(text) : undefined;
  return dateTime === undefined ? [] : [{ iso: dateTime, as: text.length === 12 ? 'yyyymmddHHMM' : 'yyyymmddHHMMSS', at: Date.parse(`${dateTime}Z`) }];
}

/**
 * A bound as a message names it: its day when it is a whole day's edge (the first millisecond of a `min`,
 * the last of a `max`, as `boundOf` makes a day's), else the instant (`2026-10-05T12:00:00Z`).
 */
function boundText(bound: number, edge: 'min' | 'max'): string {
  const intoDay = ((bound % DAY_MS) + DAY_MS) % DAY_MS;
  if (intoDay === (edge === 'min' ? 0 : DAY_MS - 1)) return utcDay(bound);
  return bound % 1000 === 0 ? isoTime(bound) : new Date(bound).toISOString();
}

/** Which edge of `low`–`high` an instant is beyond (`before 2026-01-01`), if any. */
function beyondEdge(at: number, low: number | undefined, high: number | undefined): string | undefined {
  if (low !== undefined && at < low) return `before ${boundText(low, 'min')}`;
  return high !== undefined && at > high ? `after ${boundText(high, 'max')}` : undefined;
}

const INTENDED_DATE = 'check the year and month, and pass the intended date';

/** The least and the first past 8 digits that start like a year compact dates are read in (1900–2199: `19…`–`21…`). */
const YEAR_LIKE_FROM = COMPACT_FIRST_YEAR * 1e4;
const YEAR_LIKE_UNTIL = (COMPACT_LAST_YEAR + 1) * 1e4;

/**
 * The `yyyy-mm-dd` of 8 digits that start like a year (`YEAR_LIKE_FROM`) but make no day as `yyyymmdd` (`2026-13-40`,
 * `2026-02-30`, `2026-11-00`): a slip in a day, whose one reading (`compactReadings`) is its epoch seconds of 1970-08.
 */
function yearLikeNoDay(readings: readonly Reading[]): string | undefined {
  if (readings.length !== 1 || readings[0].as !== 'epoch seconds') return undefined;
  const digits = readings[0].at / 1000;
  if (digits < YEAR_LIKE_FROM || digits >= YEAR_LIKE_UNTIL) return undefined;
  const text = String(digits);
  return `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6)}`;
}

/**
 * What to pass instead of digits that are no date: each reading (`compactReadings`) within `low`–`high`
 * in ISO 8601 ("pass 2026-10-05 if it is yyyymmdd, or 1970-08-23T12:03:25Z if it is epoch seconds").
 * The first reading is what the digits mostly mean (`yyyymmdd`); when it is beyond an edge, no other
 * is offered (a 1970s time within a range from 1960 would be passed and taken, a wrong date): each
 * reading beyond an edge is named with it. Digits that start like a year but make no day (`yearLikeNoDay`:
 * `20261340`) are named as no day, their 1970 time never offered. Only a failing value is read so.
 */
function compactHint(value: unknown, low: number | undefined, high: number | undefined): string | undefined {
  const readings = compactReadings(value);
  if (readings.length === 0) return undefined;
  const noDay = yearLikeNoDay(readings);
  if (noDay !== undefined) return `as yyyymmdd it is ${noDay}, which is no day: ${INTENDED_DATE}`;
  const edges = readings.map((r) => beyondEdge(r.at, low, high));
  if (edges[0] === undefined) return `pass ${readings.filter((_, i) => edges[i] === undefined).map((r) => `${r.iso} if it is ${r.as}`).join(', or ')}`;
  const named = readings.flatMap((r, i) => (edges[i] === undefined ? [] : [`as ${r.as}${i === 0 ? ' it is' : ''} ${r.iso} (${edges[i]})`]));
  return `${named.join(', ')}: ${INTENDED_DATE}`;
}

/** A date value as epoch ms (a date alone, its midnight): ISO-8601 text, or epoch seconds / milliseconds. */
function parseDateValue(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    const digits = Math.abs(value);
    if (digits >= EPOCH_MS_FROM && digits < EPOCH_MS_UNTIL) return isCompactDateTime(value) ? undefined : value;
    if (digits >= EPOCH_SECONDS_FROM && digits < EPOCH_MS_FROM) return value * 1000;
    return undefined;
  }
  if (typeof value !== 'string') return undefined;
  const m = ISO_DATE.exec(value.trim());
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = utcDayOf(y, mo, d);
  const check = new Date(day);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return undefined;
  if (m[4] === undefined) return day;
  // UTC when it names no offset, as every other time is read (Date.parse would take the machine's zone).
  const ms = parseTime(value.trim().toUpperCase().replace(' ', 'T'));
  return Number.isNaN(ms) ? undefined : ms;
}

/** A bound (`2026-12-31`, `-30d`) as the first (`min`) or last (`max`) millisecond of its day. */
function boundOf(bound: string, now: number, edge: 'min' | 'max'): number {
  const rel = RELATIVE.exec(bound);
  const at = rel ? now + (rel[1] === '-' ? -1 : 1) * Number(rel[2]) * DAY_MS : /^\d{4}-\d{2}-\d{2}$/.test(bound) ? Date.parse(bound) : parseTime(bound);
  const dayStart = Date.UTC(new Date(at).getUTCFullYear(), new Date(at).getUTCMonth(), new Date(at).getUTCDate());
  const dateOnly = rel !== null || /^\d{4}-\d{2}-\d{2}$/.test(bound);
  if (!dateOnly) return at;
  return edge === 'min' ? dayStart : dayStart + DAY_MS - 1;
}

interface Check {
  readonly expected: string;
  readonly problem?: string;
  readonly hint?: string;
}

/** Checks one value of the argument `name` against one type; a `problem` means it failed. */
function checkValue(type: ArgType, value: unknown, name: string, now: number, inferred: boolean): Check {
  if (typeof type === 'object') {
    if ('enum' in type && Array.isArray(type.enum)) {
      const options = type.enum;
      const list = options.map((o) => JSON.stringify(o)).join(', ');
      if (options.some((o) => o === value)) return { expected: `one of ${list}` };
      const near = typeof value === 'string' ? options.find((o) => typeof o === 'string' && o.toLowerCase() === value.trim().toLowerCase()) : undefined;
      return {
        expected: `one of ${list}`,
        problem: `is not one of them`,
        hint: near !== undefined ? `use the exact value ${JSON.stringify(near)}` : 'pick one of the listed values exactly as written',
      };
    }
    if ('pattern' in type) {
      const expected = `text matching the pattern ${type.pattern}`;
      if (!((typeof value === 'string' || typeof value === 'number') && new RegExp(type.pattern).test(String(value)))) {
        return { expected, problem: 'does not match it', hint: 'pass the value in exactly that format' };
      }
      if (typeof value === 'string' && placeholderUnderPattern(value, type.pattern, name)) {
        return { expected, problem: 'is a placeholder, not a value', hint: 'pass the literal value in exactly that format' };
      }
      return { expected };
    }
    // A type the config's schema refuses (lambdas/config-tools.ts) checks nothing rather than throw.
    if (!('date' in type) || typeof type.date !== 'object' || type.date === null) return { expected: 'a value' };
    const { min, max } = type.date;
    const low = min === undefined ? undefined : boundOf(min, now, 'min');
    const high = max === undefined ? undefined : boundOf(max, now, 'max');
    const range =
      low !== undefined && high !== undefined
        ? `a date between ${boundText(low, 'min')} and ${boundText(high, 'max')}`
        : low !== undefined
          ? `a date on or after ${boundText(low, 'min')}`
          : high !== undefined
            ? `a date on or before ${boundText(high, 'max')}`
            : 'a date (ISO 8601)';
    return checkDate(value, range, low, high);
  }
  switch (type) {
    case 'string':
      return { expected: 'text' };
    case 'uuid': {
      if (!(typeof value === 'string' && UUID.test(value.trim()))) return failed('uuid', value, 'is not a UUID');
      const unset = neverSetId(value);
      return unset === undefined ? { expected: WORDS.uuid.expected } : failed('uuid', value, unset);
    }
    case 'email':
      return typeof value === 'string' && EMAIL.test(value.trim()) ? { expected: WORDS.email.expected } : failed('email', value, 'is not an email address');
    case 'number':
      if ((typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && NUMERIC.test(value))) return { expected: WORDS.number.expected };
      return failed('number', value, 'is not a number', 'pass digits only, like 40 or 40.00, without currency symbols or words');
    case 'integer':
      if ((typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && INTEGER.test(value))) return { expected: WORDS.integer.expected };
      return failed('integer', value, 'is not a whole number', 'pass a whole number such as 3');
    case 'url': {
      const ok = typeof value === 'string' && URL.canParse(value.trim()) && /^https?:$/.test(new URL(value.trim()).protocol);
      return ok ? { expected: WORDS.url.expected } : failed('url', value, 'is not an absolute http(s) URL');
    }
    case 'id': {
      const ok =
        (typeof value === 'string' && value.trim() !== '' && !/\s/.test(value.trim()) && value.length <= MAX_ID_LENGTH && !looksLikePlaceholder(value, name)) ||
        (typeof value === 'number' && Number.isInteger(value));
      if (!ok) return failed('id', value, typeof value === 'string' && value.trim() === '' ? 'is empty' : 'is not an identifier');
      const unset = neverSetId(value);
      return unset === undefined ? { expected: WORDS.id.expected } : failed('id', value, unset);
    }
    case 'date':
      return inferred ? checkDate(value, 'a date (ISO 8601)', PLAUSIBLE_FROM, plausibleUntil(now), true) : checkDate(value, 'a date (ISO 8601)', undefined, undefined);
    default:
      // A type the config's schema refuses (lambdas/config-tools.ts) checks nothing rather than throw.
      return { expected: 'a value' };
  }
}

const NIL_UUID = '00000000-0000-0000-0000-000000000000';
const NOT_FOUND = 'is -1, the sentinel of an id not found';

/**
 * Why an id that is well formed was still never set, as the zero date is a date never set: the nil
 * UUID (RFC 9562, no entity's id), `string`, the JSON schema's type a model copied for the value, or
 * -1, the sentinel of "not found", as a number or as text alike. Other negative ids are ids (a
 * Telegram group's chat id is -100…).
 */
function neverSetId(value: unknown): string | undefined {
  if (value === -1) return NOT_FOUND;
  if (typeof value !== 'string' || value.length > NIL_UUID.length + 8) return undefined;
  const id = value.trim();
  if (id === '-1') return NOT_FOUND;
  if (id === NIL_UUID) return 'is the nil UUID, the default of an id never set';
  if (id.length === 6 && id.toLowerCase() === 'string') return "is the JSON schema's type name, copied instead of a value";
  return undefined;
}

/** The last millisecond of the last plausible day (31 December, 100 years ahead), as `boundOf` ends a `max` day. */
function plausibleUntil(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear() + PLAUSIBLE_YEARS_AHEAD, 11, 31) + DAY_MS - 1;
}

/** Farther than any UTC offset reaches (−12:00 to +14:00). */
const OFFSET_REACH_MS = 14 * 3_600_000;

/** The calendar day a date text names in its own offset (`2126-12-31T20:00:00-05:00`: 2126-12-31), as epoch ms of its UTC midnight. */
function writtenDayOf(value: unknown): number | undefined {
  const m = typeof value === 'string' ? ISO_DATE.exec(value.trim()) : null;
  return m ? utcDayOf(Number(m[1]), Number(m[2]), Number(m[3])) : undefined;
}

function checkDate(value: unknown, expected: string, low: number | undefined, high: number | undefined, plausibility = false): Check {
  let ms = parseDateValue(value);
  if (ms === undefined) return { ...failed('date', value, 'is not an ISO date', compactHint(value, low, high)), expected };
  const outside = (at: number) => (low !== undefined && at < low) || (high !== undefined && at > high);
  // Plausible days are calendar days: a time within an offset's reach (−12 h to +14 h) of an edge is judged by the date it names in its own offset, not by its UTC day.
  if (plausibility && (outside(ms - OFFSET_REACH_MS) || outside(ms + OFFSET_REACH_MS))) ms = writtenDayOf(value) ?? ms;
  const tooEarly = low !== undefined && ms < low;
  const tooLate = high !== undefined && ms > high;
  if (!tooEarly && !tooLate) return { expected };
  const side = tooEarly ? 'before' : 'after';
  const edge = tooEarly ? boundText(low as number, 'min') : boundText(high as number, 'max');
  return {
    expected,
    problem: !plausibility ? `is ${side} ${edge}` : tooEarly ? `is a zero date (before ${edge}), the default of a date never set` : `is not a plausible date (${side} ${edge})`,
    hint: INTENDED_DATE,
  };
}

function failed(type: keyof typeof WORDS, value: unknown, problem: string, hint?: string): Check {
  return { expected: WORDS[type].expected, problem, hint: hint ?? (type === 'uuid' || type === 'id' ? 'pass the id exactly as an earlier tool result returned it' : undefined) };
}

function typeKey(type: ArgType): keyof typeof WORDS | undefined {
  return typeof type === 'string' && type in WORDS ? (type as keyof typeof WORDS) : typeof type === 'object' && 'date' in type ? 'date' : undefined;
}

/** The message an LLM reads: what the argument must be, what it got, and what to do instead. */
function messageFor(arg: string, type: ArgType, value: unknown, check: Check, placeholder: boolean): string {
  const key = typeKey(type);
  const words = key ? WORDS[key] : undefined;
  const must = words && (typeof type === 'string' || check.expected === words.expected) ? `${words.expected} like ${words.example}` : check.expected;
  if (placeholder && words) {
    return `${arg} must be ${must}; got the placeholder text ${gotText(value)}: ${words.literal}.`;
  }
  const got = typeof value === 'string' || typeof value === 'number' ? `${gotText(value)}, which ${check.problem}` : `${kindOf(value)}, which ${check.problem}`;
  return `${arg} must be ${must}; got ${got}${check.hint ? `: ${check.hint}` : ''}.`;
}

/** The error of an untyped argument whose value is a stand-in (`isUntypedPlaceholder`). */
function untypedPlaceholderError(arg: string, value: unknown): ArgError {
  const got = gotText(value);
  return {
    arg,
    expected: 'the value itself',
    got,
    message: `${arg} must be the value itself; got the placeholder text ${got}: pass the literal value from the conversation or an earlier tool result, not a description of it.`,
    source: 'name',
    placeholder: true,
  };
}

/** `lines[*].sku` as `lines[].sku`: two spellings of "every item of the list". */
export function canonicalArgPath(path: string): string {
  return path.replace(/\[\*\]/g, '[]');
}

/** A tool's configured types by their paths (`[*]` spelled `[]`), and every path that leads to one. */
interface ConfiguredPaths {
  readonly types: ReadonlyMap<string, ArgType>;
  readonly prefixes: ReadonlySet<string>;
  /**
   * The deepest level a configured path can reach: its steps, plus one list level before each field
   * (`lines.sku` names the field of the list's items). Bounds the walk in lists nested without end.
   */
  readonly reach: number;
}

const NO_PATHS: ConfiguredPaths = { types: new Map(), prefixes: new Set(), reach: 0 };
const pathsCache = new WeakMap<object, ConfiguredPaths>();

function configuredPaths(configured: Readonly<Record<string, ArgType>> | undefined): ConfiguredPaths {
  if (configured === undefined) return NO_PATHS;
  const cached = pathsCache.get(configured);
  if (cached) return cached;
  const types = new Map<string, ArgType>();
  const prefixes = new Set<string>();
  let reach = 0;
  // Own keys only: an argument may be named `constructor` or `__proto__`.
  for (const [key, type] of Object.entries(configured)) {
    const path = canonicalArgPath(key);
    if (!types.has(path)) types.set(path, type);
    prefixes.add(path);
    let fields = 0;
    let lists = 0;
    for (let i = 1; i < path.length; i++) {
      if (path[i] !== '.' && path[i] !== '[') continue;
      prefixes.add(path.slice(0, i));
      if (path[i] === '.') fields++;
      else lists++;
    }
    reach = Math.max(reach, 2 * fields + lists);
  }
  const paths = { types, prefixes, reach };
  pathsCache.set(configured, paths);
  return paths;
}

/** The configured paths an argument of a tool with none configured answers to. */
const NO_KEYS: readonly string[] = [];

/**
 * Checks a tool call's arguments: those with a configured type against it, the others (unless
 * `inferFromNames` is false) against the type their name implies. Nested objects and lists are
 * walked (`customer.email`, `lines[1].sku`). A name's type is a scalar's: an object under a typed
 * name is walked too, its `value` field judged by that name (PayPal's `amount: { currency_code,
 * value }`), and each item of a list under it is (`email: [a, b]`); a configured type judges the whole value. A configured type may name a nested path: `lines[0].sku`
 * one item's field, `lines[].sku` (or `lines[*].sku`, or `lines.sku`) that field of every item,
 * `recipients[]` every item of a list of values; an item's own index wins over `[]`. Absent and
 * `null` arguments are not checked (whether an argument is required is the JSON schema's business).
 */
export function checkToolArgs(args: Readonly<Record<string, unknown>>, configured: Readonly<Record<string, ArgType>> | undefined, options: ArgCheckOptions): ArgError[] {
  const errors: ArgError[] = [];
  const infer = options.inferFromNames ?? true;
  const { types, prefixes, reach } = configuredPaths(configured);
  // Each configured path once, in order: a filter, not a Set spread into an array, per argument walked.
  const leadingTo = (keys: readonly string[]) => (prefixes.size === 0 ? NO_KEYS : keys.filter((key, i) => prefixes.has(key) && keys.indexOf(key) === i));
  /**
   * `keys`: the configured paths this value may answer to, most specific first. `named`: the type the
   * name of the object holding this `value` field implies (`amount: { currency_code, value }`).
   */
  const visit = (value: unknown, path: string, name: string, depth: number, keys: readonly string[], named?: ArgType) => {
    // A value the redactor replaced whole (a secret) cannot be judged: its type is unknown now.
    if (value === undefined || value === null || isWhollyRedacted(value)) return;
    const key = keys.find((k) => types.has(k));
    const own = key === undefined ? undefined : types.get(key);
    // Inference looks MAX_DEPTH levels down; deeper, only a configured path is followed.
    const inferred = infer && depth <= MAX_DEPTH ? (inferArgType(name) ?? named) : undefined;
    // A name's type is a scalar's: an object under it (a money object) is walked, a list's items judged by it.
    const type = own ?? (typeof value === 'object' ? undefined : inferred);
    if (type !== undefined && type !== 'string') {
      const check = checkValue(type, value, name, options.now, own === undefined);
      if (check.problem !== undefined) {
        const placeholder = typeof value === 'string' && looksLikePlaceholder(value, name);
        errors.push({
          arg: path,
          expected: check.expected,
          got: gotText(value),
          message: messageFor(path, type, value, check, placeholder),
          source: own === undefined ? 'name' : 'config',
          placeholder,
        });
      }
      return;
    }
    // Untyped, a top-level argument is judged only as an unmistakable stand-in, never for its type.
    if (own === undefined && inferred === undefined && infer && depth === 0 && isUntypedPlaceholder(value, name)) {
      errors.push(untypedPlaceholderError(path, value));
      return;
    }
    if (typeof value !== 'object' || (depth >= MAX_DEPTH && (keys.length === 0 || depth >= reach))) return;
    if (Array.isArray(value)) {
      // A field named after a list (`lines.sku`) can only mean that field of its items.
      // A plural name types its items (`user_ids: [a, b]`: each an id).
      const itemType = infer ? inferItemType(name) : undefined;
      value.forEach((item, i) => visit(item, `${path}[${i}]`, name, depth + 1, leadingTo(keys.flatMap((k) => [`${k}[${i}]`, `${k}[]`, k])), itemType));
      return;
    }
    for (const [field, inner] of Object.entries(value as Record<string, unknown>)) {
      visit(inner, `${path}.${field}`, field, depth + 1, leadingTo(keys.map((k) => `${k}.${field}`)), field === 'value' ? inferred : undefined);
    }
  };
  for (const [name, value] of Object.entries(args)) visit(value, name, name, 0, leadingTo([canonicalArgPath(name)]));
  return errors;
}
