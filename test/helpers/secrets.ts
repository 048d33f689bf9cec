/**
 * Planted secrets for the leak tests: one of each kind the redactor knows, each carrying the
 * canary `pl4nt` (any case) where its shape allows, so that even a fragment of one that slipped
 * through is found. Values without the canary (Basic credentials, a JWT's payload) are looked
 * for whole.
 */

export interface PlantedSecret {
  /** The rule expected to catch it (its marker is `[REDACTED:<rule>]`). */
  readonly rule: string;
  /** What must never be found anywhere. */
  readonly value: string;
  /** How it sits in a line of text. */
  readonly text: string;
}

/** The config the tests run with: one pattern of the user's own (`employee-pin`). */
export const SECRETS_CONFIG = { redact: { patterns: [{ name: 'employee-pin', regex: 'EMP-PIN-(?<secret>[A-Za-z0-9]+)' }] } } as const;

const basic = btoa('deploy:pl4nt-basic-0004');
const jwtPayload = 'eyJzdWIiOiJwbDRudCJ9'; // {"sub":"pl4nt"}

/** The base64 lines of a private key too long for a 2 KiB head or tail: every line holds the canary. */
export const LONG_KEY_LINES: readonly string[] = Array.from({ length: 60 }, (_, i) => `MIIE${String(i).padStart(3, '0')}pl4ntKEYmaterial${'AbCdEfGh'.repeat(5)}QQ==`.slice(0, 64));

export const PLANTED: readonly PlantedSecret[] = [
  { rule: 'aws-access-key', value: 'AKIAPL4NTQ7X00000001', text: 'using key AKIAPL4NTQ7X00000001 for s3' },
  { rule: 'aws-secret-key', value: 'pl4ntWJalrXUtnFEMI/K7MDENG/bPxRfiCY0002', text: 'aws_secret_access_key = pl4ntWJalrXUtnFEMI/K7MDENG/bPxRfiCY0002' },
  { rule: 'bearer-token', value: 'pl4nt.bearer.0003xyz', text: 'Authorization: Bearer pl4nt.bearer.0003xyz' },
  { rule: 'basic-auth', value: basic, text: `curl -H "Authorization: Basic ${basic}" https://api.example.com` },
  { rule: 'github-token', value: 'ghp_pl4nt0005abcdefghijklmnopqrstuvwxyz01', text: 'git clone with ghp_pl4nt0005abcdefghijklmnopqrstuvwxyz01' },
  { rule: 'slack-token', value: 'xoxb-pl4nt0006-abcdefghijkl', text: 'slack xoxb-pl4nt0006-abcdefghijkl posting' },
  { rule: 'stripe-key', value: 'sk_live_pl4nt0007abcdefghijklmn', text: 'stripe sk_live_pl4nt0007abcdefghijklmn' },
  { rule: 'anthropic-key', value: 'sk-ant-api03-pl4nt0008abcdefghijklmnopqrst', text: 'ANTHROPIC_API_KEY is sk-ant-api03-pl4nt0008abcdefghijklmnopqrst' },
  { rule: 'openai-key', value: 'sk-proj-pl4nt0009abcdefghijklmnopqrst', text: 'openai sk-proj-pl4nt0009abcdefghijklmnopqrst' },
  { rule: 'google-api-key', value: 'AIzapl4nt0010abcdefghijklmnopqrstuvwxyz', text: 'maps key AIzapl4nt0010abcdefghijklmnopqrstuvwxyz' },
  { rule: 'jwt', value: `eyJhbGciOiJIUzI1NiJ9.${jwtPayload}.pl4nt0011signatureXYZ`, text: `session eyJhbGciOiJIUzI1NiJ9.${jwtPayload}.pl4nt0011signatureXYZ` },
  { rule: 'url-password', value: 'pl4nt-url-0012', text: 'pushing to https://deploy:pl4nt-url-0012@git.example.com/repo.git' },
  {
    rule: 'private-key',
    value: 'MIIEpl4nt0013fullKEYmaterialAAAABBBBCCCC',
    text: '-----BEGIN RSA PRIVATE KEY-----\nMIIEpl4nt0013fullKEYmaterialAAAABBBBCCCC\nDDDDEEEEFFFF0013==\n-----END RSA PRIVATE KEY-----',
  },
  { rule: 'secret-assignment', value: 'pl4nt-pw-0016', text: 'login ok password=pl4nt-pw-0016 user=etl' },
  { rule: 'secret-assignment', value: 'pl4nt-apikey-0017', text: '{"api_key": "pl4nt-apikey-0017", "region": "eu-west-1"}' },
  { rule: 'employee-pin', value: 'pl4nt0019', text: 'badge EMP-PIN-pl4nt0019 accepted' },
  { rule: 'url-password', value: 'pl4nt/url-0024', text: 'mirroring https://ci:pl4nt/url-0024@git.example.com/repo.git' },
  { rule: 'cli-password', value: 'pl4nt-mysql-0025', text: 'mysqldump -uroot -ppl4nt-mysql-0025 appdb' },
  { rule: 'slack-webhook', value: 'pl4nt0026hookXXXXXXXXXXXX', text: 'notify https://hooks.slack.com/services/T0PL4NT26/B0PL4NT26/pl4nt0026hookXXXXXXXXXXXX sent' },
  { rule: 'azure-key', value: 'pl4nt0027AzureKeyMaterialAbCdEfGh==', text: 'DefaultEndpointsProtocol=https;AccountName=acc;AccountKey=pl4nt0027AzureKeyMaterialAbCdEfGh==;EndpointSuffix=core.windows.net' },
  { rule: 'azure-sas', value: 'pl4nt0028SasSignature%2BAbCd%3D', text: 'GET https://acc.blob.core.windows.net/c/f?sv=2022-11-02&sp=r&sig=pl4nt0028SasSignature%2BAbCd%3D' },
  { rule: 'npm-token', value: 'npm_pl4nt0030AbCdEfGhIjKlMnOpQrStUvWxYz1', text: 'npm publish with npm_pl4nt0030AbCdEfGhIjKlMnOpQrStUvWxYz1' },
  { rule: 'gitlab-token', value: 'glpat-pl4nt0031AbCdEfGhIjKl', text: 'PRIVATE-TOKEN glpat-pl4nt0031AbCdEfGhIjKl' },
  { rule: 'huggingface-token', value: 'hf_pl4nt0032AbCdEfGhIjKlMnOpQrStUvWxY', text: 'hub login hf_pl4nt0032AbCdEfGhIjKlMnOpQrStUvWxY' },
  { rule: 'vault-token', value: 'hvs.pl4nt0033AbCdEfGhIjKlMnO', text: 'vault login hvs.pl4nt0033AbCdEfGhIjKlMnO' },
  { rule: 'discord-webhook', value: 'pl4nt0034-DiscordToken', text: 'POST https://discord.com/api/webhooks/123456789/pl4nt0034-DiscordToken done' },
  { rule: 'teams-webhook', value: 'pl4nt0035teams', text: 'POST https://acme.webhook.office.com/webhookb2/a1@b2/IncomingWebhook/pl4nt0035teams/c3 done' },
  { rule: 'sentry-dsn', value: 'f00dfeed0036abcdef0123456789abcd', text: 'SENTRY_DSN=https://f00dfeed0036abcdef0123456789abcd@o123.ingest.sentry.io/42' },
  { rule: 'secret-assignment', value: 'pl4nt-pass-0037', text: 'login failed user=etl pass=pl4nt-pass-0037' },
  { rule: 'aws-secret-key', value: 'pl4ntFwoGZXIvYXdzEJr0038', text: 'aws configure set aws_session_token pl4ntFwoGZXIvYXdzEJr0038' },
  { rule: 'vault-token', value: 'hvs.CAESIpl4nt0039Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv_Wx-YzAb1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv_Wx-YzAb1C', text: 'vault login hvs.CAESIpl4nt0039Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv_Wx-YzAb1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv_Wx-YzAb1C' },
  { rule: 'aws-secret-key', value: 'pl4ntwJalrXUtnFEMI/K7MDENG+bPxRfiCY0040', text: 'rclone sync /data s3:bucket --s3-secret-access-key pl4ntwJalrXUtnFEMI/K7MDENG+bPxRfiCY0040' },
  // An Azure storage key starting with `/` (1 in 64 does): no key file's path.
  { rule: 'cli-password', value: '/pl4nt0041AbCdEfGh0123456789+/AbCdEfGh0123456789+/AbCdEfGh0123456789+/AbCdEfGh01234567==', text: 'az storage blob upload -c backups --account-name acme --account-key /pl4nt0041AbCdEfGh0123456789+/AbCdEfGh0123456789+/AbCdEfGh0123456789+/AbCdEfGh01234567== -f db.gz' },
  // After a colon a value runs to the end of its line: these come last but the cookie.
  { rule: 'secret-assignment', value: 'correct horse pl4nt-0029', text: 'password: correct horse pl4nt-0029' },
  { rule: 'secret-assignment', value: 'pl4nt-field-0020', text: 'client_secret: pl4nt-field-0020' },
  // Last: a Cookie header runs to the end of its line.
  { rule: 'cookie', value: 'pl4nt-cookie-0018', text: 'Cookie: sid=pl4nt-cookie-0018; theme=dark' },
];

/** The secrets as lines of a job's output, with an error marker on a line that holds some of them. */
export function secretsText(marker = 'ERROR:'): string {
  return [
    'starting export',
    ...PLANTED.map((s) => s.text),
    `${marker} upload failed AKIAPL4NTQ7X00000001 password=pl4nt-pw-0016 EMP-PIN-pl4nt0019`,
    'done',
  ].join('\n');
}

/** One line of text holding every secret but the private key (for single-line fields: reasons, names). */
export function secretsLine(): string {
  return PLANTED.filter((s) => s.rule !== 'private-key')
    .map((s) => s.text)
    .join(' | ');
}

/** A private key cut short on one line: redacted to the end of the text. */
export const CUT_KEY_LINE = '-----BEGIN PRIVATE KEY----- MIIEpl4nt0013fullKEYmaterialAAAABBBBCCCC';

/**
 * An object holding the secrets every way a value can: as text, nested, and under keys that name
 * a secret (whose values have no secret shape at all).
 */
export function secretsObject(): Record<string, unknown> {
  return {
    note: secretsLine(),
    nested: { deeper: [{ text: secretsText() }, 'password=pl4nt-pw-0016'] },
    client_secret: 'pl4nt-field-0020',
    Authorization: 'pl4nt-plain-header-0021',
    credentials: { user: 'etl', pass: 'pl4nt-nested-0022' },
    db_password: 'pl4nt-db-0023',
  };
}

/** Output longer than two 2 KiB excerpts, a private key across both cuts: the head ends inside it, the tail starts inside it. */
export function longKeyOutput(): { head: string; tail: string; whole: string } {
  const whole = ['ERROR: key dump follows', '-----BEGIN PRIVATE KEY-----', ...LONG_KEY_LINES, '-----END PRIVATE KEY-----', 'FATAL: done'].join('\n');
  return { head: whole.slice(0, 2048), tail: whole.slice(-2048), whole };
}

/** Every string inside a value, and inside any string that is JSON (stored states and findings are JSON text). */
export function stringsOf(value: unknown, into: string[] = []): string[] {
  if (typeof value === 'string') {
    into.push(value);
    const t = value.trimStart();
    if (t.startsWith('{') || t.startsWith('[')) {
      try {
        stringsOf(JSON.parse(value), into);
      } catch {
        // Not JSON: the text itself is kept.
      }
    }
  } else if (Array.isArray(value)) {
    for (const item of value) stringsOf(item, into);
  } else if (value instanceof Uint8Array) {
    into.push(Buffer.from(value).toString('utf8'));
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      into.push(k);
      stringsOf(v, into);
    }
  }
  return into;
}

const CANARY = /pl4nt/gi;

/** Every planted secret, or fragment of one, found in `text`: empty when nothing leaked. */
export function leaksIn(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(CANARY)) found.push(`canary at ${m.index}: …${text.slice(Math.max(0, m.index - 40), m.index + 40)}…`);
  for (const s of PLANTED) if (text.includes(s.value)) found.push(`${s.rule}: ${s.value}`);
  if (text.includes(jwtPayload)) found.push(`jwt payload: ${jwtPayload}`);
  return found;
}

/** The markers of the given rules that are missing from `text`. */
export function missingMarkers(text: string, rules: readonly string[]): string[] {
  return rules.filter((r) => !text.includes(`[REDACTED:${r}]`));
}
