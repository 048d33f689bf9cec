import { describe, expect, it } from 'vitest';
import type { ArgType } from '../../lambdas/config.ts';
import { checkToolArgs, inferArgType, looksLikePlaceholder } from '../../lambdas/core/tool-args.ts';

const NOW = Date.parse('2026-10-05T13:00:00Z');
const check = (args: Record<string, unknown>, configured?: Record<string, ArgType>) => checkToolArgs(args, configured, { now: NOW });

describe('inferArgType (contract §2: types from argument names)', () => {
  it.each([
    ['id', 'id'],
    ['user_id', 'id'],
    ['userId', 'id'],
    ['order_uuid', 'uuid'],
    ['email', 'email'],
    ['customer_email', 'email'],
    ['replyEmail', 'email'],
    ['amount', 'number'],
    ['price', 'number'],
    ['count', 'number'],
    ['retry_count', 'number'],
    ['refund_amount', 'number'],
    ['date', 'date'],
    ['due_date', 'date'],
    ['created_at', 'date'],
    ['expiresAt', 'date'],
  ])('%s → %s', (name, type) => {
    expect(inferArgType(name)).toBe(type);
  });

  it.each(['reason', 'message', 'query', 'text', 'summary', 'note', 'description', 'content', 'prompt', 'body', 'title', 'comment', 'error_message', 'search_query', 'paid', 'format', 'chat', 'status'])(
    '%s has no inferred type',
    (name) => {
      expect(inferArgType(name)).toBeUndefined();
    },
  );
});

describe('looksLikePlaceholder', () => {
  it.each([
    'the user mentioned in the conversation',
    'his email',
    'the same amount as last time',
    'the email from earlier',
    "the customer's id",
    '<user_id>',
    '<USER ID>',
    '<customer-email>',
    '{{user_id}}',
    '${USER_ID}',
    '[USER ID]',
    'TBD',
    'unknown',
    'N/A',
    'n/a',
    'none',
    '???',
    'xxx',
  ])('%j is a placeholder', (value) => {
    expect(looksLikePlaceholder(value)).toBe(true);
  });

  it.each([
    ['NA', 'country'],
    ['NA', 'country_code'],
    ['na', 'locale'],
    ['NA', 'regionCode'],
    ['NA', 'iso'],
    ['NA', 'state'],
    // Plural names, and an acronym glued to the next word.
    ['NA', 'countries'],
    ['NA', 'target_countries'],
    ['NA', 'regions'],
    ['na', 'languages'],
    ['NA', 'country_codes'],
    ['NA', 'ISOCode'],
  ])('%j is a value, not "N/A", in the code-like argument %s', (value, name) => {
    expect(looksLikePlaceholder(value, name)).toBe(false);
  });

  it.each([
    ['NA', undefined],
    ['NA', 'user_id'],
    ['na', 'order_id'],
    ['N/A', 'country'],
    ['n/a', 'country_code'],
    ['none', 'country'],
    ['TBD', 'locale'],
    ['NA', 'status'],
    ['NA', 'codecs_note'],
  ])('%j is still a placeholder in %s', (value, name) => {
    expect(looksLikePlaceholder(value, name)).toBe(true);
  });

  it.each(['3f1c2a9e-8b7d-4c5e-9f10-2a3b4c5d6e7f', 'usr_8412', 'jane.doe@example.com', '42.50', '2026-10-05', 'forty dollars', 'Berlin', '<CAF7k2x9Q@mail.gmail.com>', '<20261005.4f2a@example.org>'])('%j is not', (value) => {
    expect(looksLikePlaceholder(value)).toBe(false);
  });
});

describe('checkToolArgs', () => {
  it('accepts good values of every type', () => {
    // Prepare
    const configured: Record<string, ArgType> = {
      user_id: 'uuid',
      email: 'email',
      amount: 'number',
      seats: 'integer',
      link: 'url',
      due: { date: { min: '-30d', max: '+365d' } },
      priority: { enum: ['low', 'normal', 'high'] },
      order_ref: { pattern: '^ORD-\\d{6}$' },
      free: 'string',
    };
    const args = {
      user_id: '3f1c2a9e-8b7d-4c5e-9f10-2a3b4c5d6e7f',
      email: 'jane.doe@example.com',
      amount: '42.50',
      seats: 3,
      link: 'https://example.com/ticket/7',
      due: '2026-11-01',
      priority: 'high',
      order_ref: 'ORD-004211',
      free: 'the user mentioned in the conversation',
      ticket_id: 18_442,
      customer: { email: 'ops@example.org', created_at: '2026-10-01T08:00:00Z' },
      reason: 'the user mentioned in the conversation asked twice',
    };
    // Act, Assess
    expect(check(args, configured)).toEqual([]);
  });

  it("catches the article's three placeholders with messages a model can act on", () => {
    // Act
    const errors = check({ user_id: 'the user mentioned in the conversation', email: 'his email', amount: 'the same amount as last time', reason: 'escalation requested' });
    // Assess
    expect(errors).toEqual([
      {
        arg: 'user_id',
        expected: 'an identifier (one token, no spaces)',
        got: '"the user mentioned in the conversation"',
        message:
          'user_id must be an identifier (one token, no spaces) like usr_8412; got the placeholder text "the user mentioned in the conversation": pass the literal id from the earlier tool result, not a description of it.',
        source: 'name',
        placeholder: true,
      },
      {
        arg: 'email',
        expected: 'an email address',
        got: '"his email"',
        message: 'email must be an email address like jane.doe@example.com; got the placeholder text "his email": pass the literal address from the conversation or an earlier tool result.',
        source: 'name',
        placeholder: true,
      },
      {
        arg: 'amount',
        expected: 'a number',
        got: '"the same amount as last time"',
        message: 'amount must be a number like 42.5; got the placeholder text "the same amount as last time": look the amount up and pass the number itself.',
        source: 'name',
        placeholder: true,
      },
    ]);
  });

  it('says what a UUID is when the configured type asks for one', () => {
    const [error] = check({ user_id: 'the user mentioned in the conversation' }, { user_id: 'uuid' });
    expect(error.message).toBe(
      'user_id must be a UUID like 3f1c2a9e-8b7d-4c5e-9f10-2a3b4c5d6e7f; got the placeholder text "the user mentioned in the conversation": pass the literal id from the earlier tool result, not a description of it.',
    );
    expect(error.source).toBe('config');
    expect(check({ user_id: '12345' }, { user_id: 'uuid' })[0].message).toBe(
      'user_id must be a UUID like 3f1c2a9e-8b7d-4c5e-9f10-2a3b4c5d6e7f; got "12345", which is not a UUID: pass the id exactly as an earlier tool result returned it.',
    );
  });

  it.each([
    ['<user_id>', 'user_id'],
    ['{{user_id}}', 'user_id'],
    ['TBD', 'account_id'],
    ['unknown', 'customer_id'],
    ['N/A', 'order_id'],
  ])('%j in %s is a placeholder id', (value, arg) => {
    const [error] = check({ [arg]: value });
    expect(error).toMatchObject({ arg, placeholder: true, source: 'name' });
    expect(error.message).toContain(`got the placeholder text ${JSON.stringify(value)}`);
  });

  it('fails the common spellings of a template slot or filler word under *_id, and leaves ids with braces or dollars alone', () => {
    // Prepare: slots of Python, shell, docs and dunder templates; filler words with a trailing dot; then real ids
    const slots = ['{customer_id}', '[customer-id]', '[CUSTOMER_ID_2]', '$CUSTOMER_ID', 'YOUR_CUSTOMER_ID', 'your-api-key', '__CUSTOMER_ID__', 'TBD.', 'N.A.', 'n.a', 'unknown!'];
    const ids = ['{3F2504E0-4F89-11D3-9A0C-0305E82C3301}', '{"id":42}', '$2a$10$abc', 'A$B', 'ord_{2026}', '[1]', 'yourstore', 'TBD-42', 'NA.1', '__init'];
    // Act
    const slotErrors = slots.map((value) => check({ customer_id: value })[0]);
    const idErrors = ids.flatMap((value) => check({ customer_id: value }));
    // Assess
    expect(slotErrors.map((e) => [e?.got, e?.placeholder])).toEqual(slots.map((value) => [JSON.stringify(value), true]));
    expect(idErrors).toEqual([]);
    expect(looksLikePlaceholder('N.A.', 'region')).toBe(false);
  });

  it('takes only an all-caps env-var name after $ as a slot, and trusts a configured pattern that asks for the $, {, [ or __', () => {
    // Prepare: a Matrix event id, a Cash App $Cashtag, a stock cashtag under a pattern written for it; then the slot
    const matrixEvent = '$Rqnc_FdvnEYJTyHq_iKxU2bZ1CI92kuZq3a5lr5Zg';
    const configured: Record<string, ArgType> = {
      symbol: { pattern: String.raw`^\$[A-Z]{1,5}$` },
      recipient: { pattern: String.raw`^\$[A-Za-z][A-Za-z0-9_]{0,19}$` },
      slot: { pattern: String.raw`^\{[a-z_]+\}$` },
      dunder: { pattern: '^__[A-Z_]+__$' },
      ticket: { pattern: String.raw`^\S+$` },
    };
    // Act
    const idErrors = check({ event_id: matrixEvent, payee_id: '$JaneDoe42' });
    const patternErrors = check({ symbol: '$AAPL', recipient: '$JaneDoe42', slot: '{user_id}', dunder: '__MAIN__' }, configured);
    const [envSlot] = check({ customer_id: '$CUSTOMER_ID' });
    const [slotUnderPattern] = check({ ticket: '$CUSTOMER_ID' }, configured);
    // Assess
    expect(idErrors).toEqual([]);
    expect(patternErrors).toEqual([]);
    expect(envSlot).toMatchObject({ arg: 'customer_id', placeholder: true });
    expect(slotUnderPattern).toMatchObject({ arg: 'ticket', placeholder: true });
  });

  it('trusts a pattern to ask for a delimiter only when it rejects the value without it, not by the text of the pattern', () => {
    // Prepare: patterns that merely allow the delimiter (in a class, optional, in another branch); then cashtag patterns that spell `$` another way
    const allowing: Record<string, ArgType> = {
      ref: { pattern: String.raw`^[\w\$\-]+$` },
      slot: { pattern: String.raw`^\{?[\w-]+\}?$` },
      tag: { pattern: String.raw`^\[?[\w-]+\]?$` },
      dunder: { pattern: String.raw`^(?!__)\w+$|^__\w+__$` },
    };
    const asking: Record<string, ArgType> = { symbol: { pattern: String.raw`^[$][A-Z]{1,5}$` }, ticker: { pattern: String.raw`^\x24[A-Z]{1,5}$` } };
    // Act
    const allowed = check({ ref: '$CUSTOMER_ID', slot: '{customer_id}', tag: '[customer_id]', dunder: '__USER_ID__' }, allowing);
    const asked = check({ symbol: '$AAPL', ticker: '$AAPL' }, asking);
    // Assess
    expect(allowed.map((e) => [e.arg, e.placeholder])).toEqual([['ref', true], ['slot', true], ['tag', true], ['dunder', true]]);
    expect(asked).toEqual([]);
  });

  it('takes a cashtag under a pattern that makes the $ optional, as a value the pattern accepts is a $ slot only as an env-var name with an underscore or a kind of value', () => {
    // Prepare: ticker patterns with an optional `$`; then env-var slots under the same kind of pattern
    const optional: Record<string, ArgType> = { ticker: { pattern: String.raw`^\$?[A-Z]{1,5}$` }, cashtag: { pattern: String.raw`^\$?[A-Z]{1,6}(\.[A-Z])?$` }, ref: { pattern: String.raw`^\$?[A-Z_]{1,20}$` }, secret: { pattern: String.raw`^\$?[A-Z]{1,8}$` } };
    // Act
    const cashtags = check({ ticker: '$AAPL', cashtag: '$TSLA' }, optional);
    const slots = check({ ref: '$CUSTOMER_ID', secret: '$TOKEN' }, optional);
    // Assess
    expect(cashtags).toEqual([]);
    expect(slots.map((e) => [e.arg, e.placeholder])).toEqual([['ref', true], ['secret', true]]);
  });

  it("takes only the docs' caps forms of your- and dunder slots, and leaves handles and names that merely begin with your or __ alone", () => {
    // Prepare: docs-style slots; then a shop handle, a workspace name, Pinecone's default namespace, Firestore's __name__
    const slots = ['YOUR_CUSTOMER_ID', 'your-api-key', 'your_api_key', 'your-id-here', 'your-token', '__USER_ID__'];
    const ids = ['your-style-boutique', 'your_move_chess', '__default__', '__name__', 'Your-Shop'];
    // Act
    const slotErrors = slots.map((value) => check({ shop_id: value })[0]);
    const idErrors = ids.flatMap((value) => check({ shop_id: value }));
    // Assess
    expect(slotErrors.map((e) => [e?.got, e?.placeholder])).toEqual(slots.map((value) => [JSON.stringify(value), true]));
    expect(idErrors).toEqual([]);
  });

  it("takes the docs' your- slots in any case, with hyphens in caps, that name a kind of value, and a lowercase dunder slot, still leaving handles alone", () => {
    // Prepare: placeholders from setup docs (a bucket, a project, a key in caps with hyphens, a password, a lowercase dunder); then handles and dunder names
    const slots = ['your-bucket-name', 'your-project-name', 'YOUR-API-KEY', 'Your-API-Key', 'your_username', 'your-client-secret', 'your-password', 'your-org-name', '__user_id__'];
    const ids = ['your-style-boutique', 'your_move_chess', '__default__', '__name__', 'Your-Shop', 'yourself-id'];
    const configured: Record<string, ArgType> = { bucket: { pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' }, project: { pattern: '^[a-z][a-z0-9-]{4,28}[a-z0-9]$' } };
    // Act
    const slotErrors = slots.map((value) => check({ user_id: value })[0]);
    const idErrors = ids.flatMap((value) => check({ shop_id: value }));
    const patternErrors = check({ bucket: 'your-bucket-name', project: 'your-project-name' }, configured);
    // Assess
    expect(slotErrors.map((e) => [e?.got, e?.placeholder])).toEqual(slots.map((value) => [JSON.stringify(value), true]));
    expect(idErrors).toEqual([]);
    expect(patternErrors.map((e) => [e.arg, e.placeholder])).toEqual([['bucket', true], ['project', true]]);
  });

  it("takes your- slots naming a customer, organization, workspace, tenant, database or account number, and a one-word dunder of a kind of value, and leaves caps codes that name none alone", () => {
    // Prepare: placeholders from setup docs; then a coupon and a campaign code in caps with hyphens, and Python's __name__
    const slots = ['your-customer', 'your-organization', 'your-workspace', 'your-tenant', 'your-database', 'your-db', 'your-account-number', 'your-customer-number', '__username__', '__user_name__', 'YOUR-CUSTOMER', 'YOUR-API-KEY'];
    const codes = ['YOUR-TURN', 'YOUR-WAY-2026', '__name__', '__default__'];
    // Act
    const slotErrors = slots.map((value) => check({ customer_id: value })[0]);
    const codeErrors = codes.flatMap((value) => check({ coupon_id: value }));
    // Assess
    expect(slotErrors.map((e) => [e?.got, e?.placeholder])).toEqual(slots.map((value) => [JSON.stringify(value), true]));
    expect(codeErrors).toEqual([]);
  });

  it("takes an account's your- slot in any case, with words between, as a slot, and leaves handles that only begin with your-account alone", () => {
    // Prepare: the docs' slot for an account (`your-account`), title-cased, with `own` between, in caps with its id; then handles whose last word names no kind of value
    const slots = ['Your-Account', 'your-own-account', 'YOUR-OWN-ACCOUNT-ID', 'your_account', 'your-aws-account-id'];
    const handles = ['your-accountant', 'Your-Accounting', 'youraccount', 'your-account-2', 'my-your-account'];
    // Act
    const slotErrors = slots.map((value) => check({ account_id: value })[0]);
    const handleErrors = handles.flatMap((value) => check({ account_id: value }));
    // Assess
    expect(slotErrors.map((e) => [e?.got, e?.placeholder])).toEqual(slots.map((value) => [JSON.stringify(value), true]));
    expect(handleErrors).toEqual([]);
  });

  it('fails placeholders written in the most common languages as their English words, and leaves real names alone', () => {
    // Prepare: "unknown", "N/A", "TBD" and a referential description in German, Spanish, French, Portuguese, Italian, Dutch, Russian, Chinese, Japanese, Korean
    const fillers = ['unbekannt', 'k.A.', 'k. A.', 'desconocido', 'Desconocida', 'inconnu', 'desconhecido', 'sconosciuto', 'onbekend', 'неизвестно', 'Неизвестно.', '未知', '不明', '未定', '待定', '미정'];
    const names = ['Jean-Luc', 'Ünal', 'Дмитрий', '王伟', 'Inés', 'Mencía'];
    // Act
    const fillerErrors = fillers.map((value) => check({ customer_id: value })[0]);
    const nameErrors = names.flatMap((value) => check({ customer_id: value }));
    const [spanish] = check({ email: 'la dirección mencionada en la conversación' });
    const [german] = check({ user_id: 'die im Gespräch erwähnte Kundennummer' });
    const [french] = check({ email: 'la même adresse que précédemment' });
    const [person] = check({ email: 'Jean de la Fontaine' });
    // Assess
    expect(fillerErrors.map((e) => [e?.got, e?.placeholder])).toEqual(fillers.map((value) => [JSON.stringify(value), true]));
    expect(nameErrors).toEqual([]);
    expect([spanish.placeholder, german.placeholder, french.placeholder, person.placeholder]).toEqual([true, true, true, false]);
  });

  it('fails descriptions in Chinese, Japanese, Korean, Arabic, Hindi and German by their words for "mentioned", "same", "previous", also written without spaces, and leaves CJK names and addresses alone', () => {
    // Prepare: "the user mentioned in the conversation", "same as above", "the same user", "the previous user"; then Chinese, Japanese, Korean names and addresses
    const descriptions = [
      '对话中提到的用户',
      '同上',
      '上述用户',
      '会話で言及されたユーザー',
      '前回と同じユーザー',
      '대화에서 언급된 사용자',
      '위와 같음',
      '이전의 사용자',
      '이전 사용자',
      'المستخدم المذكور في المحادثة',
      'نفس المستخدم',
      'उल्लिखित उपयोगकर्ता',
      'पिछले उपयोगकर्ता',
      'derselbe Benutzer',
      'dieselbe Kundennummer',
    ];
    const values = [
      '王无忌', '上海市', '東京都渋谷区', '김민준', '上野', '同上海路',
      // ids whose words hold "same", "previous", "above", "just now" without describing anything: "a dreamlike day", "a constant heart",
      // "people going ahead", "minutes of the last meeting", "2026 report against the last one", a forward roll, "the above material.pdf", a name, "under the same sky"
      '꿈같은하루', '한결같은마음', '앞서가는사람들', '별같은너', '上次会议纪要', '前回比較レポート2026', '前回り', '上記資料.pdf', '李刚才', '同じ空の下', 'まさっき',
    ];
    // Act
    const errors = descriptions.map((value) => check({ user_id: value })[0]);
    const valueErrors = values.flatMap((value) => check({ user_id: value }));
    // Assess
    expect(errors.map((e) => [e?.got, e?.placeholder])).toEqual(descriptions.map((value) => [JSON.stringify(value), true]));
    expect(valueErrors).toEqual([]);
    expect(values.map((value) => looksLikePlaceholder(value))).toEqual(values.map(() => false));
  });

  it('fails the other common spellings of "the same user", "that user", "the user mentioned earlier" in Japanese, Chinese, Korean, Arabic, Hindi and German as placeholders, within a description\'s frame only', () => {
    // Prepare: 先程/さきほど (earlier), 当該/该 (the … in question), 同一/동일한 (the same), 해당 (that); Arabic "the user himself", "the user referred to";
    // Hindi "the above-mentioned user", "that same user"; German desselben, "die selbe"; then words that hold them and describe nothing
    const descriptions = [
      '先程のユーザー', 'さきほどのユーザー', '当該ユーザー', '该用户', '同一用户', '해당 사용자', '동일한 사용자',
      'المستخدم نفسه', 'المستخدم المشار إليه', 'उपरोक्त उपयोगकर्ता', 'उसी उपयोगकर्ता', 'die ID desselben Kunden', 'die selbe Kundennummer',
    ];
    const values = ['同一性', '应该的', '이해당사자', '동일본사'];
    // Act
    const errors = descriptions.map((value) => check({ user_id: value })[0]);
    const valueErrors = values.flatMap((value) => check({ user_id: value }));
    // Assess
    expect(errors.map((e) => [e?.got, e?.placeholder])).toEqual(descriptions.map((value) => [JSON.stringify(value), true]));
    expect(valueErrors).toEqual([]);
  });

  it('takes a CJK value for a description only when it ends with a word for a person or an account right after a referential frame, and leaves titles, names and words that merely hold the frame alone', () => {
    // Prepare: "the user mentioned in the conversation", "the user from earlier", "the same user", "that user", "this customer" …;
    // then "the taste of before", "the me of before", "user thinking" (应该: "should"), "the same customer centre", "the same account title",
    // "the earlier client app", "the promise from before", "the same sky", "the same dream", "last time's synopsis", "memories of last time", a clinic's name
    const descriptions = [
      '对话中提到的用户', '会話で言及されたユーザー', '대화에서 언급된 사용자', '先程のユーザー', '同一用户', '该用户', '当該ユーザー', '这个用户', '此用户',
      '这位客户', 'このユーザー', 'そのユーザー', '該当ユーザー', '그 사용자', '이 고객', '해당 사용자', '동일한 사용자', '上述用户。',
    ];
    const values = [
      '以前的味道', '以前的我', '应该用户思维', '동일고객센터', '해당고객센터', '동일계정과목', '以前客户端', '之前的约定', '同样的天空', '相同的梦',
      '以前の僕', '前回のあらすじ', '지난번의추억', '이전의원', '以前', '이전', '언급', '上述',
    ];
    // Act
    const errors = descriptions.map((value) => check({ user_id: value })[0]);
    const valueErrors = values.flatMap((value) => check({ user_id: value }));
    // Assess
    expect(errors.map((e) => [e?.got, e?.placeholder])).toEqual(descriptions.map((value) => [JSON.stringify(value), true]));
    expect(valueErrors).toEqual([]);
    expect(values.map((value) => looksLikePlaceholder(value))).toEqual(values.map(() => false));
  });

  it('judges an Arabic "previous" السابق in any definite form (plural, feminine, with vowel marks, with ه) a description, and Hindi "before …\'s" से पहले का/की a date\'s word as in English', () => {
    // Prepare: "the previous users", "the previous (female) customers", "the previous customer" with a damma, with ه; then "a date before 5 December", "a time before 10 o'clock"
    const described = ['المستخدمون السابقون', 'العميلات السابقات', 'العميل السابقُ', 'العميلة السابقه'];
    const plain = [{ delivery_date: '5 दिसंबर से पहले की तारीख' }, { delivery_date: '10 बजे से पहले का समय' }, { delivery_date: 'a date before 5 December' }];
    // Act
    const describedErrors = described.map((value) => check({ user_id: value })[0]);
    const plainErrors = plain.map((args) => check(args)[0]);
    // Assess
    expect(describedErrors.map((e) => e?.placeholder)).toEqual([true, true, true, true]);
    expect(plainErrors.map((e) => e?.placeholder)).toEqual([false, false, false]);
  });

  it('judges Hindi "before" पहले and Arabic "earlier" سابق in a date or an id as English "before 5 December" (medium), and "the earlier …" पहले वाला, السابق as descriptions (high)', () => {
    // Prepare: "before 5 December" in Hindi and English, "an earlier time" in Arabic; then "the earlier email", "the previous user"
    const plain = [{ delivery_date: '5 दिसंबर से पहले' }, { delivery_date: 'before 5 December' }, { order_id: 'وقت سابق' }];
    const described = [{ customer_email: 'पहले वाला ईमेल' }, { user_id: 'पहले का उपयोगकर्ता' }, { user_id: 'المستخدم السابق' }];
    // Act
    const plainErrors = plain.map((args) => check(args)[0]);
    const describedErrors = described.map((args) => check(args)[0]);
    // Assess
    expect(plainErrors.map((e) => e?.placeholder)).toEqual([false, false, false]);
    expect(describedErrors.map((e) => e?.placeholder)).toEqual([true, true, true]);
  });

  it('fails the standard Japanese and Korean N/A, the Traditional forms of the Chinese "none", and 没有', () => {
    // Prepare: Japanese 該当なし, 特になし, 無し; Korean 해당없음 with and without its space; Traditional 暫無, 無; "have none" 没有/沒有; then names that hold these characters
    const fillers = ['該当なし', '特になし', '無し', '해당없음', '해당 없음', '暫無', '無', '没有', '沒有'];
    const names = ['無名', '有田', '特に'];
    // Act
    const errors = fillers.map((value) => check({ customer_id: value })[0]);
    const nameErrors = names.flatMap((value) => check({ customer_name: value }));
    // Assess
    expect(errors.map((e) => [e?.got, e?.placeholder])).toEqual(fillers.map((value) => [JSON.stringify(value), true]));
    expect(nameErrors).toEqual([]);
  });

  it('fails the commonest words for "none" and every form of "unknown" in Chinese, Japanese, Korean, Russian and German', () => {
    // Prepare: the usual Chinese N/A, Japanese and Korean "none", Russian "no" and the forms of неизвестн-, German "keine"
    const fillers = ['无', '暂无', 'なし', '없음', 'нет', 'Нет.', 'неизвестен', 'неизвестна', 'неизвестны', 'неизвестное', 'неизвестного', 'keine', 'Keine'];
    // Act
    const errors = fillers.map((value) => check({ customer_id: value })[0]);
    // Assess
    expect(errors.map((e) => [e?.got, e?.placeholder])).toEqual(fillers.map((value) => [JSON.stringify(value), true]));
    expect(check({ customer_id: 'Нестор' })).toEqual([]);
  });

  it('fails the nil UUID and the schema type name "string" as ids never set, as the zero date is a date never set', () => {
    // Prepare
    const nil = '00000000-0000-0000-0000-000000000000';
    // Act
    const errors = check({ user_id: nil, order_uuid: nil, account_id: nil, order_id: 'string', ref_id: ' String ', note_id: 'strings' }, { user_id: 'uuid' });
    // Assess
    expect(errors.map((e) => [e.arg, e.placeholder, e.message.split('; got ')[1]])).toEqual([
      ['user_id', false, `"${nil}", which is the nil UUID, the default of an id never set: pass the id exactly as an earlier tool result returned it.`],
      ['order_uuid', false, `"${nil}", which is the nil UUID, the default of an id never set: pass the id exactly as an earlier tool result returned it.`],
      ['account_id', false, `"${nil}", which is the nil UUID, the default of an id never set: pass the id exactly as an earlier tool result returned it.`],
      ['order_id', false, '"string", which is the JSON schema\'s type name, copied instead of a value: pass the id exactly as an earlier tool result returned it.'],
      ['ref_id', false, '" String ", which is the JSON schema\'s type name, copied instead of a value: pass the id exactly as an earlier tool result returned it.'],
    ]);
    expect(check({ user_id: '00000000-0000-0000-0000-000000000001' }, { user_id: 'uuid' })).toEqual([]);
  });

  it('gives -1 the same verdict as a number or as text, the sentinel of an id not found, and takes other negative ids in both forms', () => {
    // Prepare: the sentinel, then a Telegram group's chat id (negative), as a number and as text
    const args = { customer_id: -1, order_id: '-1', ref_id: ' -1 ', chat_id: -1_001_234_567_890, group_id: '-1001234567890', zero_id: 0 };
    // Act
    const errors = check(args);
    // Assess
    expect(errors.map((e) => [e.arg, e.placeholder, e.message.split('; got ')[1]])).toEqual([
      ['customer_id', false, '-1, which is -1, the sentinel of an id not found: pass the id exactly as an earlier tool result returned it.'],
      ['order_id', false, '"-1", which is -1, the sentinel of an id not found: pass the id exactly as an earlier tool result returned it.'],
      ['ref_id', false, '" -1 ", which is -1, the sentinel of an id not found: pass the id exactly as an earlier tool result returned it.'],
    ]);
  });

  it('never flags free text by inference, whatever it says', () => {
    expect(
      check({
        reason: 'the user mentioned in the conversation',
        message: 'his email',
        query: 'the same amount as last time',
        summary: 'TBD',
        note: '{{user_id}}',
        description: 'N/A',
        comment: 'unknown',
      }),
    ).toEqual([]);
  });

  it('explains values of the wrong kind without calling them placeholders', () => {
    const errors = check({ amount: 'forty dollars', count: 2.5, seats: 2.5, email: 'jane at example dot com', ticket_id: true }, { seats: 'integer' });
    expect(errors.map((e) => [e.arg, e.placeholder, e.message])).toEqual([
      ['amount', false, 'amount must be a number like 42.5; got "forty dollars", which is not a number: pass digits only, like 40 or 40.00, without currency symbols or words.'],
      ['seats', false, 'seats must be a whole number like 3; got 2.5, which is not a whole number: pass a whole number such as 3.'],
      ['email', false, 'email must be an email address like jane.doe@example.com; got "jane at example dot com", which is not an email address.'],
      ['ticket_id', false, 'ticket_id must be an identifier (one token, no spaces) like usr_8412; got the boolean true, which is not an identifier: pass the id exactly as an earlier tool result returned it.'],
    ]);
  });

  it('checks dates: real calendar days, relative bounds from the call time, plausibility when inferred', () => {
    const configured: Record<string, ArgType> = { due: { date: { min: '-30d', max: '+365d' } }, since: { date: { min: '2026-01-01' } } };
    const errors = check({ due: '2025-12-01', since: '2025-06-30', created_at: '2026-02-30', start_date: 'next Tuesday', end_date: '0001-01-01', valid: '2026-10-05' }, configured);
    expect(errors.map((e) => [e.arg, e.expected, e.message])).toEqual([
      ['due', 'a date between 2026-09-05 and 2027-10-05', 'due must be a date between 2026-09-05 and 2027-10-05; got "2025-12-01", which is before 2026-09-05: check the year and month, and pass the intended date.'],
      ['since', 'a date on or after 2026-01-01', 'since must be a date on or after 2026-01-01; got "2025-06-30", which is before 2026-01-01: check the year and month, and pass the intended date.'],
      ['created_at', 'a date (ISO 8601)', 'created_at must be a date (ISO 8601) like 2026-10-05; got "2026-02-30", which is not an ISO date.'],
      ['start_date', 'a date (ISO 8601)', 'start_date must be a date (ISO 8601) like 2026-10-05; got "next Tuesday", which is not an ISO date.'],
      ['end_date', 'a date (ISO 8601)', 'end_date must be a date (ISO 8601) like 2026-10-05; got "0001-01-01", which is a zero date (before 0001-01-02), the default of a date never set: check the year and month, and pass the intended date.'],
    ]);
  });

  it('takes any real date of the past under a name that implies a date, and fails only zero dates and the far future', () => {
    // Prepare: historical dates, common real dates that look like defaults, zero dates, and a date centuries ahead
    const args = {
      birth_date: '1850-03-02',
      founded_date: '0800-12-25',
      treaty_date: '0050-06-01',
      epoch_date: '1970-01-01',
      start_date: '1900-01-01',
      zero_date: '0001-01-01',
      zero_at: '0001-01-01T00:00:00Z',
      mysql_zero_date: '0000-00-00',
      far_date: '3026-01-01',
    };
    // Act
    const errors = check(args);
    // Assess
    expect(errors.map((e) => [e.arg, e.message.split('; got ')[1]])).toEqual([
      ['zero_date', '"0001-01-01", which is a zero date (before 0001-01-02), the default of a date never set: check the year and month, and pass the intended date.'],
      ['zero_at', '"0001-01-01T00:00:00Z", which is a zero date (before 0001-01-02), the default of a date never set: check the year and month, and pass the intended date.'],
      ['mysql_zero_date', '"0000-00-00", which is not an ISO date.'],
      ['far_date', '"3026-01-01", which is not a plausible date (after 2126-12-31): check the year and month, and pass the intended date.'],
    ]);
  });

  it('reads epoch seconds of 9 to 11 digits and milliseconds of 12 to 14, before 2001 and 1970 too, and fails shorter numbers', () => {
    // Prepare: 1990-01-01 and 2000-01-01 in seconds and ms, 1950 before the epoch in seconds and ms, a time now; then zero, a day count and a yyyymmdd number
    const args = {
      birth_date: 631_152_000,
      birth_at: 631_152_000_000,
      signed_up_at: 946_684_800,
      signed_up_date: 946_684_800_000,
      born_date: -631_152_000,
      born_at: -631_152_000_000,
      seen_at: 1_790_812_807.25,
      zero_at: 0,
      days_date: 20_000,
      day_date: 20_261_005,
    };
    // Act
    const errors = check(args);
    // Assess
    expect(errors.map((e) => e.arg)).toEqual(['zero_at', 'days_date', 'day_date']);
    expect(check({ due: 631_152_000 }, { due: { date: { min: '1990-01-01', max: '1990-01-01' } } })).toEqual([]);
  });

  it('fails an 8-digit number, a yyyymmdd date or epoch seconds of 1966-10-31 to 1973-03-03, naming it in ISO 8601 for each reading it has', () => {
    // Prepare: digits that make a calendar day (and epoch seconds of 1970); epoch seconds of 1972 and of 1967 whose digits make no day
    const args = { day_date: 20_261_005, seen_at: 90_000_000, born_at: -90_000_000 };
    // Act
    const errors = check(args);
    const configured = check({ due: 20_261_005 }, { due: { date: {} } });
    // Assess
    expect(errors.map((e) => [e.arg, e.message.split('; got ')[1]])).toEqual([
      ['day_date', '20261005, which is not an ISO date: pass 2026-10-05 if it is yyyymmdd, or 1970-08-23T12:03:25Z if it is epoch seconds.'],
      ['seen_at', '90000000, which is not an ISO date: pass 1972-11-07T16:00:00Z if it is epoch seconds.'],
      ['born_at', '-90000000, which is not an ISO date: pass 1967-02-24T08:00:00Z if it is epoch seconds.'],
    ]);
    expect(configured.map((e) => e.message.split('; got ')[1])).toEqual(['20261005, which is not an ISO date: pass 2026-10-05 if it is yyyymmdd, or 1970-08-23T12:03:25Z if it is epoch seconds.']);
  });

  it('names the readings of 8 digits sent as text, as LLM tool calls usually send them, and of no other digits', () => {
    // Prepare: a yyyymmdd day as text, padded and bare; then text of 7 digits, of 8 with a letter, and 8 digits that are 7 with a leading zero
    const args = { day_date: '20261005', due_date: ' 20261005 ', short_date: '2026100', word_date: '2026100x', zero_date: '02026100' };
    // Act
    const errors = check(args);
    // Assess
    expect(errors.map((e) => [e.arg, e.message.split('; got ')[1]])).toEqual([
      ['day_date', '"20261005", which is not an ISO date: pass 2026-10-05 if it is yyyymmdd, or 1970-08-23T12:03:25Z if it is epoch seconds.'],
      ['due_date', '" 20261005 ", which is not an ISO date: pass 2026-10-05 if it is yyyymmdd, or 1970-08-23T12:03:25Z if it is epoch seconds.'],
      ['short_date', '"2026100", which is not an ISO date.'],
      ['word_date', '"2026100x", which is not an ISO date.'],
      ['zero_date', '"02026100", which is not an ISO date.'],
    ]);
  });

  it('offers only the readings of 8 digits within a configured min and max, and names both in ISO 8601 when neither is', () => {
    // Prepare: a range of 2026; a yyyymmdd day inside it (its epoch seconds are of 1970), one of 2025, and epoch seconds with no day reading
    const range: Record<string, ArgType> = { start: { date: { min: '2026-01-01', max: '2026-12-31' } } };
    // Act
    const [inside] = check({ start: 20_261_005 }, range);
    const [before] = check({ start: '20251005' }, range);
    const [seconds] = check({ start: 90_000_000 }, range);
    // Assess
    expect(inside?.message).toBe('start must be a date between 2026-01-01 and 2026-12-31; got 20261005, which is not an ISO date: pass 2026-10-05 if it is yyyymmdd.');
    expect(before?.message).toBe(
      'start must be a date between 2026-01-01 and 2026-12-31; got "20251005", which is not an ISO date: as yyyymmdd it is 2025-10-05 (before 2026-01-01), as epoch seconds 1970-08-23T09:16:45Z (before 2026-01-01): check the year and month, and pass the intended date.',
    );
    expect(seconds?.message).toContain('got 90000000, which is not an ISO date: as epoch seconds it is 1972-11-07T16:00:00Z (before 2026-01-01): check the year and month');
  });

  it('never offers the epoch-seconds reading of 8 digits alone when their yyyymmdd reading is beyond a bound or past the plausible', () => {
    // Prepare: a past-events range (1960 to today) given next quarter's day as yyyymmdd text; inferred dates of 9999-12-31 and 2150-01-01, past 100 years ahead. Each epoch-seconds reading is of 1970–1973, within.
    const pastEvents: Record<string, ArgType> = { d: { date: { min: '1960-01-01', max: '+0d' } } };
    // Act
    const [configured] = check({ d: '20270105' }, pastEvents);
    const inferred = check({ expires_date: 99_991_231, due_date: '21500101' });
    // Assess: each names its yyyymmdd day with the edge it is beyond, and offers no 1970s time to pass
    expect(configured?.message).toBe(
      'd must be a date between 1960-01-01 and 2026-10-05; got "20270105", which is not an ISO date: as yyyymmdd it is 2027-01-05 (after 2026-10-05): check the year and month, and pass the intended date.',
    );
    expect(inferred.map((e) => [e.arg, e.message.split('; got ')[1]])).toEqual([
      ['expires_date', '99991231, which is not an ISO date: as yyyymmdd it is 9999-12-31 (after 2126-12-31): check the year and month, and pass the intended date.'],
      ['due_date', '"21500101", which is not an ISO date: as yyyymmdd it is 2150-01-01 (after 2126-12-31): check the year and month, and pass the intended date.'],
    ]);
  });

  it('says 8 digits that start like a year but make no day as yyyymmdd (month 13, Feb 30, day 00) are no day, and offers no 1970 time for them', () => {
    // Prepare: a past-events range (1960 to today), within which each one's epoch-seconds reading (1970-08-23) falls; the same as a number, and with no range
    const pastEvents: Record<string, ArgType> = { d: { date: { min: '1960-01-01', max: '+0d' } } };
    // Act
    const configured = ['20261340', '20260230', '20261100'].map((d) => check({ d }, pastEvents)[0]?.message.split('; got ')[1]);
    const inferred = check({ day_date: 19_990_015 }).map((e) => e.message.split('; got ')[1]);
    // Assess
    expect(configured).toEqual([
      '"20261340", which is not an ISO date: as yyyymmdd it is 2026-13-40, which is no day: check the year and month, and pass the intended date.',
      '"20260230", which is not an ISO date: as yyyymmdd it is 2026-02-30, which is no day: check the year and month, and pass the intended date.',
      '"20261100", which is not an ISO date: as yyyymmdd it is 2026-11-00, which is no day: check the year and month, and pass the intended date.',
    ]);
    expect(inferred).toEqual(['19990015, which is not an ISO date: as yyyymmdd it is 1999-00-15, which is no day: check the year and month, and pass the intended date.']);
  });

  it('says 8 digits of a year 2100–2199 that make no day are no day too, as compact dates are read up to 2199', () => {
    // Prepare: Feb 30 of 2100, with no range
    // Act
    const message = check({ d: '21000230' }, { d: { date: {} } })[0]?.message.split('; got ')[1];
    // Assess: not "pass 1970-09-01T01:23:50Z if it is epoch seconds"
    expect(message).toBe('"21000230", which is not an ISO date: as yyyymmdd it is 2100-02-30, which is no day: check the year and month, and pass the intended date.');
  });

  it('names a bound that is a date-time, not a whole day, as the instant it is', () => {
    // Prepare: bounds at noon UTC; yyyymmdd digits of the bound's own day, a compact date-time an hour past the max, and a time an hour before the min
    const noon: Record<string, ArgType> = { from: { date: { min: '2026-10-05T12:00:00Z' } }, to: { date: { max: '2026-12-07T12:00:00Z' } } };
    // Act
    const errors = check({ from: 20_261_005, to: '202612071300' }, noon);
    const [early] = check({ from: '2026-10-05T11:00:00Z' }, noon);
    // Assess
    expect(errors.map((e) => e.message)).toEqual([
      'from must be a date on or after 2026-10-05T12:00:00Z; got 20261005, which is not an ISO date: as yyyymmdd it is 2026-10-05 (before 2026-10-05T12:00:00Z), as epoch seconds 1970-08-23T12:03:25Z (before 2026-10-05T12:00:00Z): check the year and month, and pass the intended date.',
      'to must be a date on or before 2026-12-07T12:00:00Z; got "202612071300", which is not an ISO date: as yyyymmddHHMM it is 2026-12-07T13:00 (after 2026-12-07T12:00:00Z): check the year and month, and pass the intended date.',
    ]);
    expect(early?.message).toBe('from must be a date on or after 2026-10-05T12:00:00Z; got "2026-10-05T11:00:00Z", which is before 2026-10-05T12:00:00Z: check the year and month, and pass the intended date.');
  });

  it('fails a yyyymmddHHMM or yyyymmddHHMMSS number as not an ISO date instead of reading it as epoch ms of 1976 or of the 26th century', () => {
    // Prepare: compact date-times of 1900–2199; then 12- and 14-digit epoch ms whose digits are no such date-time
    const compact = { start_at: 202_612_071_030, due_date: 202_612_311_200, end_at: 20_261_207_103_000, old_at: 190_001_010_000 };
    const epochMs = { birth_at: 631_152_000_000, sent_at: 1_790_812_807_000, night_at: 202_612_312_460 };
    // Act
    const compactErrors = check(compact);
    const configured = check({ due: 202_612_071_030 }, { due: { date: {} } });
    const epochErrors = check(epochMs);
    // Assess
    expect(compactErrors.map((e) => [e.arg, e.message.split('; got ')[1]])).toEqual([
      ['start_at', '202612071030, which is not an ISO date: pass 2026-12-07T10:30 if it is yyyymmddHHMM.'],
      ['due_date', '202612311200, which is not an ISO date: pass 2026-12-31T12:00 if it is yyyymmddHHMM.'],
      ['end_at', '20261207103000, which is not an ISO date: pass 2026-12-07T10:30:00 if it is yyyymmddHHMMSS.'],
      ['old_at', '190001010000, which is not an ISO date: pass 1900-01-01T00:00 if it is yyyymmddHHMM.'],
    ]);
    expect(configured.map((e) => e.message.split('; got ')[1])).toEqual(['202612071030, which is not an ISO date: pass 2026-12-07T10:30 if it is yyyymmddHHMM.']);
    expect(epochErrors).toEqual([]);
  });

  it('names a yyyymmddHHMM(SS) date-time sent as text in ISO 8601, and says when it is outside a configured range', () => {
    // Prepare: compact date-times as text; one of 2027 under a max of 2026
    const args = { start_at: '202612071030', end_at: '20261207103015', odd_at: '202612072460' };
    // Act
    const errors = check(args);
    const [late] = check({ due: 202_701_050_930 }, { due: { date: { max: '2026-12-31' } } });
    // Assess
    expect(errors.map((e) => [e.arg, e.message.split('; got ')[1]])).toEqual([
      ['start_at', '"202612071030", which is not an ISO date: pass 2026-12-07T10:30 if it is yyyymmddHHMM.'],
      ['end_at', '"20261207103015", which is not an ISO date: pass 2026-12-07T10:30:15 if it is yyyymmddHHMMSS.'],
      ['odd_at', '"202612072460", which is not an ISO date.'],
    ]);
    expect(late?.message).toBe(
      'due must be a date on or before 2026-12-31; got 202701050930, which is not an ISO date: as yyyymmddHHMM it is 2027-01-05T09:30 (after 2026-12-31): check the year and month, and pass the intended date.',
    );
  });

  it('reads a whole UTC midnight as epoch ms, though its digits also make a yyyymmddHHMM, so a birth date of 1976 passes', () => {
    // Prepare: 1976-04-27 and 1976-05-12 at midnight as epoch ms (as yyyymmddHHMM: 1994-11-20 00:00, 2007-07-20 00:00); then 1976-04-27 at 00:01
    const midnights = { birth_date: 199_411_200_000, start_at: 200_707_200_000 };
    // Act
    const errors = check(midnights);
    const configured = check({ born: 199_411_200_000 }, { born: { date: { max: '1976-04-27' } } });
    const [minuteAfter] = check({ birth_date: 199_411_260_000 });
    // Assess
    expect(errors).toEqual([]);
    expect(configured).toEqual([]);
    expect(minuteAfter?.message).toContain('199411260000, which is not an ISO date: pass 1994-11-26T00:00 if it is yyyymmddHHMM.');
  });

  it('takes any time of the last plausible day, as a configured max takes its whole day', () => {
    // Prepare: the last plausible day (100 years ahead of 2026) as a date, at noon and at its last second, in text and epoch seconds
    const lastSecond = Date.UTC(2126, 11, 31, 23, 59, 59) / 1000;
    const args = { due_date: '2126-12-31', start_at: '2126-12-31T12:00:00Z', end_at: '2126-12-31T23:59:59Z', sent_at: lastSecond, far_at: '2127-01-01T00:00:00Z' };
    // Act
    const errors = check(args);
    // Assess: only the next day is refused
    expect(errors.map((e) => [e.arg, e.message.split('; got ')[1]])).toEqual([
      ['far_at', '"2127-01-01T00:00:00Z", which is not a plausible date (after 2126-12-31): check the year and month, and pass the intended date.'],
    ]);
  });

  it('judges a time with an offset by the calendar date it names, at either end of the plausible days', () => {
    // Prepare: times on the last plausible day and on 0001-01-02 in their own offsets, and the days after and before
    const args = {
      due_at: '2126-12-31T20:00:00-05:00',
      end_at: '2126-12-31 23:00:00-08:00',
      start_at: '0001-01-02T00:30:00+01:00',
      far_at: '2127-01-01T01:00:00+14:00',
      zero_at: '0001-01-01T20:00:00-08:00',
    };
    // Act
    const errors = check(args);
    // Assess: only the days outside are refused
    expect(errors.map((e) => [e.arg, e.message.split('; got ')[1]])).toEqual([
      ['far_at', '"2127-01-01T01:00:00+14:00", which is not a plausible date (after 2126-12-31): check the year and month, and pass the intended date.'],
      ['zero_at', '"0001-01-01T20:00:00-08:00", which is a zero date (before 0001-01-02), the default of a date never set: check the year and month, and pass the intended date.'],
    ]);
  });

  it("reads a time without an offset as UTC, whatever the machine's time zone", () => {
    // Prepare: a machine in New York, where Date.parse reads a time without an offset as local time
    const machineZone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    const configured: Record<string, ArgType> = { from: { date: { min: '2026-10-05' } }, to: { date: { max: '2026-10-05' } } };
    try {
      // Act
      const errors = check({ from: '2026-10-04T22:00:00', to: '2026-10-05T23:00:00' }, configured);
      // Assess: 22:00 UTC on the 4th is before the 5th; 23:00 UTC on the 5th is on it
      expect(errors.map((e) => e.message)).toEqual(['from must be a date on or after 2026-10-05; got "2026-10-04T22:00:00", which is before 2026-10-05: check the year and month, and pass the intended date.']);
    } finally {
      if (machineZone === undefined) delete process.env.TZ;
      else process.env.TZ = machineZone;
    }
  });

  it('reads an RFC 3339 time with a lowercase t or z as the same time', () => {
    // Prepare
    const configured: Record<string, ArgType> = { to: { date: { max: '2026-10-05' } } };
    // Act
    const errors = check({ created_at: '2026-10-05T10:00:00z', updated_at: '2026-10-05t10:00:00.5Z', to: '2026-10-06t00:30:00+01:00', expires_at: '2026-10-06t00:00:00z' }, configured);
    // Assess: 00:30 at +01:00 on the 6th is 23:30 UTC on the 5th, within the bound
    expect(errors).toEqual([]);
  });

  it('takes the relative bound from the time it is given: the same date is fine one month, too old the next', () => {
    const configured: Record<string, ArgType> = { due: { date: { min: '-30d' } } };
    expect(checkToolArgs({ due: '2026-09-10' }, configured, { now: NOW })).toEqual([]);
    expect(checkToolArgs({ due: '2026-09-10' }, configured, { now: Date.parse('2026-11-05T00:00:00Z') })).toHaveLength(1);
  });

  it('checks enums and patterns, with the exact value when only the case is off', () => {
    const configured: Record<string, ArgType> = { priority: { enum: ['low', 'normal', 'high'] }, order_ref: { pattern: '^ORD-\\d{6}$' } };
    expect(check({ priority: 'High', order_ref: 'order 4211' }, configured).map((e) => e.message)).toEqual([
      'priority must be one of "low", "normal", "high"; got "High", which is not one of them: use the exact value "high".',
      'order_ref must be text matching the pattern ^ORD-\\d{6}$; got "order 4211", which does not match it: pass the value in exactly that format.',
    ]);
  });

  it.each([
    'info@example.xn--p1ai',
    'kontakt@xn--bcher-kva.xn--vermgensberater-ctb',
    'jane@bücher.de',
    'ivan@пример.рф',
    'raj@उदाहरण.भारत',
    'jane.doe@mail.example.co.uk',
  ])('accepts the internationalised address %j as an email address', (email) => {
    // Act
    const errors = check({ to_email: email }, { contact: 'email' }).concat(check({ contact: email }, { contact: 'email' }));
    // Assess
    expect(errors).toEqual([]);
  });

  it.each(['jane@example', 'jane@example.c', 'jane@-example.com', 'jane@example-.com', 'jane@example.xn--', 'jane@example.123', 'jane@exa mple.com', 'jane@bücher..de'])(
    'rejects %j as an email address',
    (email) => {
      expect(check({ contact: email }, { contact: 'email' }).map((e) => e.arg)).toEqual(['contact']);
    },
  );

  it.each([
    ['TBD', '^[A-Za-z0-9_]+$'],
    ['unknown', '^[A-Za-z0-9_]+$'],
    ['none', '^[A-Za-z0-9_]+$'],
    ['undefined', '^[A-Za-z0-9_]+$'],
    ['placeholder', '^[A-Za-z0-9_]+$'],
    ['-', '^[A-Z0-9-]+$'],
    ['{{user_id}}', '^[A-Za-z0-9_{}$<>-]+$'],
    ['<user_id>', '^[A-Za-z0-9_{}$<>-]+$'],
    ['${USER_ID}', '^[A-Za-z0-9_{}$<>-]+$'],
    ['none', '^(none_required|[a-z]{4})$'],
    ['TBD', '^(TBDX|[A-Z]{3})$'],
  ])('fails the placeholder %j under a pattern it matches (%s), as the inferred id type does', (value, pattern) => {
    // Act
    const errors = check({ user_id: value }, { user_id: { pattern } });
    // Assess
    expect(errors.map((e) => [e.arg, e.placeholder, e.message])).toEqual([
      ['user_id', true, `user_id must be text matching the pattern ${pattern}; got ${JSON.stringify(value)}, which is a placeholder, not a value: pass the literal value in exactly that format.`],
    ]);
  });

  it.each([
    ['N/A', '^(N\\/A|\\d+)$'],
    ['same as before', '^(same\\s+as\\s+before|\\d+)$'],
    ['same as before', '^(same\\sas before|\\d+)$'],
  ])('accepts the filler word %j under the pattern %s, which spells it out with escapes or \\s', (value, pattern) => {
    // Act
    const errors = check({ code: value }, { code: { pattern } });
    // Assess
    expect(errors).toEqual([]);
  });

  it('accepts NA (Namibia, North America) in a code-like argument, and still fails it, and N/A, elsewhere', () => {
    // Prepare: two-letter codes by pattern, a country inferred as nothing but nested under an id, and an id that is no code.
    const configured: Record<string, ArgType> = { country: { pattern: '^[A-Z]{2}$' }, shipping: { pattern: '^[A-Z]{2}$' }, region_code: { pattern: '^[A-Za-z/]{2,3}$' } };
    // Act
    const accepted = check({ country: 'NA', country_id: 'NA' }, configured);
    const failed = check({ shipping: 'NA', order_id: 'NA', region_code: 'N/A' }, configured);
    // Assess
    expect(accepted).toEqual([]);
    expect(failed.map((e) => [e.arg, e.placeholder])).toEqual([
      ['shipping', true],
      ['order_id', true],
      ['region_code', true],
    ]);
  });

  it('accepts NA in the items of a plural code-like argument (countries, regions, languages)', () => {
    // Prepare: lists of two-letter codes by pattern
    const code = { pattern: '^[A-Za-z]{2}$' };
    const configured: Record<string, ArgType> = { 'countries[]': code, 'regions[]': code, 'languages[]': code, 'target_countries[]': code, 'notes[]': code };
    // Act
    const accepted = check({ countries: ['NA', 'US'], regions: ['NA', 'EU'], languages: ['na'], target_countries: ['NA'] }, configured);
    const failed = check({ notes: ['NA'] }, configured);
    // Assess
    expect(accepted).toEqual([]);
    expect(failed.map((e) => [e.arg, e.placeholder])).toEqual([['notes[0]', true]]);
  });

  it('fails the Arabic and Hindi words for "unknown", "none", "N/A", "TBD", and every CJK and Korean filler word the docs list, as placeholders and under a pattern they match', () => {
    // Prepare: Arabic and Hindi unknown / none / not available / N/A / TBD (لا يوجد, لا شيء also written together; Hindi's full stop, the danda); the Chinese, Japanese, Korean fillers of docs/agents.md; a city pattern that admits any of them
    const arabic = ['غير معروف', 'لا يوجد', 'غير متوفر', 'غير متاح', 'لا ينطبق', 'يحدد لاحقا', 'يحدد لاحقًا', 'لا شيء', 'لايوجد', 'لاشيء'];
    const hindi = ['अज्ञात', 'कोई नहीं', 'लागू नहीं', 'उपलब्ध नहीं', 'तय होना बाकी', 'तय होना बाकी है', 'कुछ नहीं', 'कोई नहीं।', 'लागू नहीं।', 'अज्ञात।'];
    const cjk = ['未知', '待定', '无', '暂无', '無', '暫無', '没有', '沒有', '同上', '不明', '未定', 'なし', '該当なし', '特になし', '無し', '미정', '없음', '해당없음', '해당 없음', '위와 같음'];
    const fillers = [...arabic, ...hindi, ...cjk];
    const configured: Record<string, ArgType> = { city: { pattern: '^[^0-9]{1,60}$' } };
    // Act
    const idErrors = fillers.map((value) => check({ customer_id: value })[0]);
    const patternErrors = fillers.map((value) => check({ city: value }, configured)[0]);
    // Assess
    expect(idErrors.map((e) => [e?.got, e?.placeholder])).toEqual(fillers.map((value) => [JSON.stringify(value), true]));
    expect(patternErrors.map((e) => [e?.got, e?.placeholder])).toEqual(fillers.map((value) => [JSON.stringify(value), true]));
    expect(check({ city: 'القاهرة' }, configured)).toEqual([]);
    expect(check({ city: 'नई दिल्ली' }, configured)).toEqual([]);
  });

  it('takes 상동, a neighbourhood\'s name (Sang-dong, Bucheon), as a value by name and under a pattern, as it does 중동, and still fails "same as above" 同上 and 위와 같음', () => {
    // Prepare: a Korean dong pattern that admits 상동 and 중동
    const configured: Record<string, ArgType> = { dong: { pattern: '^[가-힣]{1,6}동$' } };
    // Act
    const valueErrors = ['상동', '중동'].flatMap((value) => [...check({ dong: value }, configured), ...check({ dong_id: value })]);
    const fillerErrors = ['同上', '위와 같음'].map((value) => check({ dong_id: value })[0]);
    // Assess
    expect(valueErrors).toEqual([]);
    expect(fillerErrors.map((e) => e?.placeholder)).toEqual([true, true]);
  });

  it('accepts under a pattern a filler word the pattern spells out, descriptions of words that are values, and an enum\'s own values', () => {
    // Prepare: the pattern and the enum name "none" and "pending" as values; "The Hague" reads like a description but a city pattern admits it.
    const configured: Record<string, ArgType> = { coupon: { pattern: '^(none|[A-Z]{4}\\d{2})$' }, state: { enum: ['pending', 'done'] }, city: { pattern: '^[A-Za-z ]+$' } };
    // Act
    const errors = check({ coupon: 'none', state: 'pending', city: 'The Hague' }, configured);
    // Assess
    expect(errors).toEqual([]);
  });

  it('cuts a long value on a character boundary: an emoji at the cut is left out whole, not halved', () => {
    // Prepare: the JSON text's 79th unit is the first half of 😀.
    const value = `${'a'.repeat(77)}😀 the user`;
    // Act
    const [error] = check({ user_id: value });
    // Assess
    expect(error.got).toBe(`"${'a'.repeat(77)}…`);
    expect(error.message).toContain(`got the placeholder text "${'a'.repeat(77)}…: `);
  });

  it('takes an RFC 5322 Message-ID under *_id as an identifier, not as a template slot', () => {
    // Act
    const errors = check({ message_id: '<CAF7k2x9Q@mail.gmail.com>', in_reply_to_id: '<user_id>' });
    // Assess
    expect(errors.map((e) => [e.arg, e.placeholder])).toEqual([['in_reply_to_id', true]]);
  });

  it('descends into an object or list under a typed name instead of failing it, judging a money object\'s value and each item of a list by the name', () => {
    // Prepare: PayPal money objects, a list of emails, a protobuf timestamp, and a placeholder in a money object's value
    const args = {
      amount: { currency_code: 'USD', value: '25.00' },
      items: [{ name: 'Widget', quantity: '2', unit_amount: { currency_code: 'USD', value: '10.00' } }],
      email: ['a@x.com', 'b@x.com', 'his email'],
      created_at: { seconds: 1790000000, nanos: 0 },
      total_amount: { currency_code: 'USD', value: 'N/A' },
    };
    // Act
    const errors = check(args);
    // Assess
    expect(errors.map((e) => [e.arg, e.placeholder, e.source])).toEqual([
      ['email[2]', true, 'name'],
      ['total_amount.value', true, 'name'],
    ]);
    expect(errors[1].message).toBe('total_amount.value must be a number like 42.5; got the placeholder text "N/A": look the amount up and pass the number itself.');
  });

  it('still fails an object under a configured type', () => {
    expect(check({ amount: { currency_code: 'USD', value: '25.00' } }, { amount: 'number' }).map((e) => [e.arg, e.source])).toEqual([['amount', 'config']]);
  });

  it('checks nothing, rather than throw, under a type the config would refuse', () => {
    const configured = { a: 'uuid4', b: { enum: 'x' }, c: { regex: '^x$' } } as unknown as Record<string, ArgType>;
    expect(check({ a: 'abc', b: 'y', c: 'z' }, configured)).toEqual([]);
  });

  it('walks nested objects and lists, naming the path', () => {
    const errors = check({ customer: { email: 'his email' }, items: [{ price: 10 }, { price: 'the usual' }] });
    expect(errors.map((e) => e.arg)).toEqual(['customer.email', 'items[1].price']);
  });

  it.each(['lines[].sku', 'lines[*].sku', 'lines.sku'])('applies a type configured as %s to that field of every item of the list', (key) => {
    // Prepare
    const args = { lines: [{ sku: 'SKU-1' }, { sku: 'TBD' }, { sku: 'the item from earlier' }] };
    // Act
    const errors = check(args, { [key]: { pattern: '^SKU-\\d+$' } });
    // Assess
    expect(errors.map((e) => [e.arg, e.source])).toEqual([
      ['lines[1].sku', 'config'],
      ['lines[2].sku', 'config'],
    ]);
  });

  it('applies a type configured for every item of a list of values, and of lists in lists', () => {
    // Prepare
    const configured: Record<string, ArgType> = { 'recipients[]': 'email', 'orders[].lines[*].sku': { pattern: '^SKU-\\d+$' } };
    const args = { recipients: ['jane@example.com', 'his email'], orders: [{ lines: [{ sku: 'SKU-1' }] }, { lines: [{ sku: 'SKU-2' }, { sku: 'none' }] }] };
    // Act
    const errors = check(args, configured);
    // Assess
    expect(errors.map((e) => e.arg)).toEqual(['recipients[1]', 'orders[1].lines[1].sku']);
  });

  it('follows a configured path past the depth that name inference stops at, and no deeper than the path leads', () => {
    // Prepare: sku sits six levels down, user_id five; the unconfigured order_id five levels down is past inference's reach.
    const configured: Record<string, ArgType> = { 'shipments[].packages[].items[].sku': { pattern: '^SKU-\\d+$' }, 'a.b.c.d.e.user_id': 'uuid' };
    const args = {
      shipments: [{ packages: [{ items: [{ sku: 'SKU-1' }, { sku: 'TBD' }] }] }],
      a: { b: { c: { d: { e: { user_id: 'nope', order_id: 'the order above' } } } } },
    };
    // Act
    const errors = check(args, configured);
    // Assess
    expect(errors.map((e) => [e.arg, e.source, e.placeholder])).toEqual([
      ['shipments[0].packages[0].items[1].sku', 'config', true],
      ['a.b.c.d.e.user_id', 'config', false],
    ]);
  });

  it('stops at a configured path\'s own depth in lists nested without end', () => {
    // Prepare: `lines.sku` names the field of items of lists in lists; 20,000 lists deep would overflow the stack if followed.
    let lines: unknown = [{ sku: 'TBD' }];
    for (let i = 0; i < 20_000; i++) lines = [lines];
    // Act
    const errors = check({ lines }, { 'lines.sku': { pattern: '^SKU-\\d+$' } });
    // Assess
    expect(errors).toEqual([]);
  });

  it("gives an item's own index precedence over the type for every item", () => {
    // Prepare: the first line is a heading, the others items.
    const configured: Record<string, ArgType> = { 'lines[0].sku': { enum: ['HEADER'] }, 'lines[].sku': { pattern: '^SKU-\\d+$' } };
    // Act
    const errors = check({ lines: [{ sku: 'HEADER' }, { sku: 'SKU-7' }, { sku: 'HEADER' }] }, configured);
    // Assess
    expect(errors.map((e) => [e.arg, e.expected])).toEqual([['lines[2].sku', 'text matching the pattern ^SKU-\\d+$']]);
  });

  it('leaves absent and null arguments alone (required-ness is the JSON schema\'s business)', () => {
    expect(check({ parent_id: null, email: undefined }, { email: 'email' })).toEqual([]);
  });

  it('can be told not to infer', () => {
    expect(checkToolArgs({ user_id: 'his id' }, undefined, { now: NOW, inferFromNames: false })).toEqual([]);
  });

  it.each(['constructor', 'toString', 'hasOwnProperty', '__proto__'])('takes an argument named %s as an argument, not as a configured type every object inherits', (name) => {
    // Prepare
    const args = JSON.parse(`{"${name}": "abc", "user_id": "x y"}`) as Record<string, unknown>;
    // Act
    const errors = check(args, { user_id: 'uuid' });
    // Assess
    expect(errors.map((e) => [e.arg, e.source])).toEqual([['user_id', 'config']]);
  });

  it('leaves a value the redactor replaced whole alone: a secret cannot be judged once it is gone', () => {
    expect(check({ api_key: '[REDACTED:secret-field]', user_id: '[REDACTED:aws-access-key]' }, { api_key: { pattern: '^sk-' } })).toEqual([]);
    expect(check({ user_id: 'u [REDACTED:jwt]' }).map((e) => e.arg)).toEqual(['user_id']);
  });
});

describe('checkToolArgs: placeholders in arguments whose name implies no type', () => {
  const judged = (args: Record<string, unknown>) => check(args).map(({ arg, placeholder }) => ({ arg, placeholder }));

  it.each([
    [{ recipient: '{{user_id}}' }, 'recipient'],
    [{ to: '{{ customer.email }}' }, 'to'],
    [{ to: '{{recipient}}' }, 'to'],
    [{ user: 'the user mentioned in the conversation' }, 'user'],
    [{ to: 'the same user as before' }, 'to'],
    [{ to: 'the same customer as before' }, 'to'],
    [{ customer: 'the customer from earlier' }, 'customer'],
    [{ to: "The user's email address mentioned above" }, 'to'],
    [{ to: 'The user mentioned' }, 'to'],
    [{ to: '{{customer.email}}' }, 'to'],
    [{ to: '{{{ user_id }}}' }, 'to'],
    [{ to: '{{customerEmail}}' }, 'to'],
  ])('%j is a placeholder at %s (high), as the README says', (args, arg) => {
    const errors = check(args);
    expect(errors.map(({ arg, placeholder, source }) => ({ arg, placeholder, source }))).toEqual([{ arg, placeholder: true, source: 'name' }]);
    expect(errors[0].message).toContain('must be the value itself; got the placeholder text');
  });

  it('judges each item of a plural id or email list by the singular type: ids, *_ids, userIds, *_emails', () => {
    expect(judged({ user_ids: ['the user mentioned in the conversation'] })).toEqual([{ arg: 'user_ids[0]', placeholder: true }]);
    expect(judged({ ids: ['the user mentioned in the conversation', 'usr_8412', 7] })).toEqual([{ arg: 'ids[0]', placeholder: true }]);
    expect(judged({ userIds: ['usr 8412', 'usr_1'] })).toEqual([{ arg: 'userIds[0]', placeholder: false }]);
    expect(judged({ cc_emails: ['jane.doe@example.com', 'jane'] })).toEqual([{ arg: 'cc_emails[1]', placeholder: false }]);
    expect(check({ order_uuids: ['3f1c2a9e-8b7d-4c5e-9f10-2a3b4c5d6e7f', 'ord_1'] }).map((e) => e.expected)).toEqual(['a UUID']);
    // A string under a plural name is no list of ids: "u1,u2" is not judged as one id.
    expect(check({ user_ids: 'usr_1, usr_2', ids: [] })).toEqual([]);
  });

  it.each([
    // Free text, whatever it says.
    { message: 'TBD' },
    { subject: 'the user mentioned in the conversation' },
    { error_message: '{{user_id}}' },
    // Templates, code and markup are values of their own arguments.
    { template: '{{user_id}}' },
    { separator: '<br>' },
    { prefix: '[URGENT]' },
    { env: '$HOME' },
    // Slots that name no kind of value, fillers that are values, words a value may hold.
    { tag: '<div>' },
    { label: '[WIP]' },
    { home: '$HOME' },
    { status: 'TBD' },
    { stage: 'tba' },
    { country: 'TBD' },
    { state: 'pending' },
    { filter: 'none' },
    { mode: 'unknown' },
    { file: 'TODO' },
    { city: 'The Hague' },
    { location: 'the office' },
    { account: 'my account' },
    { position: 'above the fold' },
    { camera: 'from above' },
    { task: 'Follow up on the issue mentioned above' },
    { recipient: 'the user' },
    { nav: 'Página anterior' },
    { name: 'Jean de la Fontaine' },
    { context: 'The customer mentioned above that the order was late and asked for a refund twice already.' },
    // Env maps, infrastructure and template text: the name on the path says the value is a template, at any level.
    { environment: { DB_PASSWORD: '${DB_PASSWORD}' } },
    { variables: { API_KEY: '${API_KEY}' } },
    { env: { USER: '$USER' } },
    { environment: { DB_USER: '{{user_id}}' } },
    { headers: { 'X-User': '{{user_id}}' } },
    { config: { to: '{{recipient}}' } },
    { shell: '${USER}' },
    { path: '${HOME}' },
    { jinja: '{{ user.name }}' },
    { value: '${input.value}' },
    // Labels, replies and headings: possessives, "see above", "as discussed", short foreign phrases.
    { label: "Customer's email address" },
    { header: "Customer's name" },
    { hint: "The user's email address" },
    { display: 'Their name' },
    { to: "the user's email address" },
    { reply: 'See above.' },
    { response: 'see above' },
    { feedback: 'See above' },
    { details: 'As discussed' },
    { topic: 'his email' },
    { recipient: 'see above' },
    { customer: { handle: 'as mentioned earlier' } },
    { headline: 'Die genannten Gründe' },
    { caption: 'La date mentionnée' },
    { name: 'Los mencionados' },
    { recipient: 'la dirección mencionada' },
    // TBD is a value in an argument with no type.
    { agenda: 'TBD' },
    { location: 'TBA' },
    { venue: 'TBD' },
    { owner: 'TBD' },
    { time: 'TBA' },
    { username: 'TBD' },
    // Code and API slots other than a whole {{…}} named for a person or a type.
    { route: '{user_id}' },
    { param_doc: '<user_id>' },
    { usage: '<user_id>' },
    { key: '{name}' },
    { field: '<email>' },
    { tag_name: '<name>' },
    { element: '<username>' },
    { param_name: '{user}' },
    { url: '{{base_url}}' },
    { recipient: '${USER_ID}' },
    { recipient: '<user_id>' },
    { account: '$USER_ID' },
    { greeting: '{{ greeting_text }}' },
    // Only the top level of the arguments is judged: containers that hold templates on purpose
    // (Postman auth, workflow builders, merge data) and list items are values at any depth below it.
    { auth: { type: 'basic', basic: [{ key: 'username', value: '{{username}}', type: 'string' }] } },
    { steps: [{ action: 'send_email', to: '{{trigger.customer_email}}' }] },
    { rule: { assignee: '{{ticket.requester}}' } },
    { merge_data: { name: '{{customer_name}}' } },
    { personalization: { to: '{{customer.email}}' } },
    { substitutions: { '-name-': '{{customer_name}}' } },
    { dynamic_data: { first_name: '{{user.first_name}}' } },
    { mapping: { to: '{{trigger.customer_email}}' } },
    { data: { recipient: '{{recipient}}' } },
    { payload: { user: '{{user}}' } },
    { props: { user: '{{user}}' } },
    { notification: { recipient: '{{recipient}}' } },
    { customer: { handle: 'the customer mentioned in the chat' } },
    { recipients: ['usr_1', '{{user_id}}'] },
    // Template fields at the top level: every word of the name counts, not only the last.
    { greeting: '{{customer_name}}' },
    { subject_line: '{{customer_name}}' },
    { salutation: '{{customer.first_name}}' },
    { signature: '{{sender}}' },
    { merge_fields: '{{customer_name}}' },
    // No Chinese, Japanese or Korean description in an argument with no type: search terms, intents, menu items.
    { recipient: '对话中提到的用户' },
    { topic: '删除上述用户' },
    { search_term: '删除该用户' },
    { intent: '注销这个账户' },
    { action: '删除此用户' },
    { segment: '之前的客户' },
    { audience: '以前的会员' },
    { category: 'この会員' },
    { tab: '이 회원' },
    { menu_item: '해당 고객' },
    { page: '이전 계정' },
    { name: '同一用户' },
    // A head word and a place word with no article and no person.
    { filter: 'value above' },
    { sort: 'date before' },
    { position: 'the date before' },
  ])('%j is not judged: no type and no unmistakable placeholder', (args) => {
    expect(check(args)).toEqual([]);
  });

  it('judges nothing untyped when inference is off', () => {
    expect(checkToolArgs({ recipient: '{{user_id}}', user_ids: ['his id'] }, undefined, { now: NOW, inferFromNames: false })).toEqual([]);
  });

  it("leaves a configured 'string' argument to its configuration", () => {
    expect(check({ recipient: '{{user_id}}' }, { recipient: 'string' })).toEqual([]);
  });
});
