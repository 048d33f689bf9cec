import { describe, expect, it, vi } from 'vitest';
import { validateConfig } from '../../lambdas/config.ts';
import { fitSubject, snsSubject } from '../../lambdas/core/alert-format.ts';
import { parseLine } from '../../lambdas/core/parse/index.ts';
import { BUILTIN_REDACTOR, BUILTIN_RULE_NAMES, patternProblem, Redactor, redactorFor } from '../../lambdas/core/redact.ts';
import { leaksIn, longKeyOutput, PLANTED, SECRETS_CONFIG, secretsObject, secretsText } from '../helpers/secrets.ts';

/**
 * One table per built-in rule, as eslint's RuleTester has it: `quiet` texts must come back
 * unchanged, `redacted` ones exactly as given. Every rule must have both (the meta-check below).
 */
interface RuleTable {
  readonly quiet: readonly string[];
  readonly redacted: ReadonlyArray<readonly [input: string, output: string]>;
}

const M = (rule: string) => `[REDACTED:${rule}]`;
const PEM_BODY = 'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun';
/** An Azure storage account key (88 characters of base64) starting with `/`, as 1 key in 64 does: no path. */
const AZURE_KEY_SLASH = '/0N52Gw/4MFXlOSncxPezAWeoxUcMJq/w8+sklPNDImuWmBTdNrEoE4x4uPAKxUgr+MPVUjedxz4YtgX5bz+3w==';

const RULES: Readonly<Record<string, RuleTable>> = {
  'private-key': {
    quiet: ['-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----', '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----', 'the private key is rotated monthly'],
    redacted: [
      [`x\n-----BEGIN RSA PRIVATE KEY-----\n${PEM_BODY}\n-----END RSA PRIVATE KEY-----\ny`, `x\n${M('private-key')}\ny`],
      [`-----BEGIN OPENSSH PRIVATE KEY-----\n${PEM_BODY}\n-----END OPENSSH PRIVATE KEY-----`, M('private-key')],
      [`-----BEGIN ENCRYPTED PRIVATE KEY-----\n${PEM_BODY}\n-----END ENCRYPTED PRIVATE KEY-----`, M('private-key')],
      [`-----BEGIN PGP PRIVATE KEY BLOCK-----\n${PEM_BODY}\n-----END PGP PRIVATE KEY BLOCK-----`, M('private-key')],
      // A head excerpt that ends inside the key: redacted to the end.
      [`ERROR: dump\n-----BEGIN PRIVATE KEY-----\n${PEM_BODY}\n${PEM_BODY.slice(0, 20)}`, `ERROR: dump\n${M('private-key')}`],
      // A tail excerpt that starts inside the key: the key material before the END goes too.
      [`${PEM_BODY.slice(30)}\n${PEM_BODY}\n-----END PRIVATE KEY-----\nFATAL: done`, `${M('private-key')}\nFATAL: done`],
      // As JSON text escapes it (a rejected line's reason is worded from the redacted line).
      [`{"h":"-----BEGIN PRIVATE KEY-----\\n${PEM_BODY}\\n-----END PRIVATE KEY-----","x":1}`, `{"h":"${M('private-key')}","x":1}`],
      [`{"h":"-----BEGIN PRIVATE KEY-----\\n${PEM_BODY}","x":1}`, `{"h":"${M('private-key')}","x":1}`],
    ],
  },
  'url-password': {
    quiet: [
      'https://example.com:8443/path?x=1',
      'see https://docs.example.com/a@b',
      'ssh git@github.com:org/repo.git',
      'mailto:ops@example.com',
      // A port, then a path holding an `@`: no password.
      'http://localhost:5173/@vite/client',
      'https://registry.example.com:443/@scope/pkg/-/pkg-1.0.0.tgz',
      'https://host:8443/users/bob@example.com',
      // A port, then a query or a fragment holding an `@`: no password.
      'https://host:8080?next=ops@example.com',
      'https://host:8080#ops@example.com',
      // A raw `?` or `#` ends a password (RFC 3986 has them %-encoded in user info): a host and a word before a query or a fragment holding an `@`.
      'http://localhost:PORT?email=a@b.com',
      'https://{host}:{port}?to=a@b',
      'see https://intranet:wiki?page=Users@Home',
      'ws://host:abc?x@y',
      'https://example.com:abc#x@y',
      // Known limit: a password holding a raw `#` or `?` reads so too, and stays (write it %-encoded: `pa%23ss`).
      'postgres://u:pa#ss@h/db',
      // No scheme: an e-mail address after a label, an ssh or scp target, an image's digest, an npm alias, a time.
      'mailto:ops@example.com email:john2024@example.com From:alice.smith99@example.com user:bob2024@example.com',
      'git clone git@github.com:org/repo.git; scp backup.tar admin@db:/srv/backups',
      'pull nginx:1.25.3@sha256:0123456789abcdef redis:7.2-alpine@sha1:abcdef0123',
      'npm i lodash-alias@npm:lodash@4.17.21 at 12:30@node1 status:ok@db',
      // No scheme: identifiers `name:word@where`, a lower-case word no password is, a version or date no host is, a digest in upper case.
      'cron job:nightly-backup-2024@web1 exit 1; task:etl-load-2024@airflow retry 2; commit:a1b2c3d4e5@origin',
      'dag:daily_sales_v2@2024-12-07 failed; queue:orders-v3@rabbitmq1 consumer lost; node:worker-12a@eu-west-1',
      'chown backup:backup2024@host; npm:left-pad2@1.3.0 pypi:requests2@2.31; pull app:build-20241207@SHA256:0123abcd',
      'pull app:Build20241207x@SHA256:0123abcd; tag:V2Release2024@2024-12-07',
      // Java's Object.toString (`Class@hexhash`): a hash, in hex, is no host.
      'Registered listener:com.example.OrderListener@ab12cd9\nClosing connection:HikariProxyConnection@e4f5a61 wrapping org.postgresql.jdbc.PgConnection@5e0e82ae',
    ],
    redacted: [
      ['postgres://admin:Hunter2Pass@db:5432/x', `postgres://admin:${M('url-password')}@db:5432/x`],
      // No scheme: `user:password@host`, a password that looks like a credential before a host.
      ['connect admin:Hunter2Pass@db failed', `connect admin:${M('url-password')}@db failed`],
      // A host starting with hex digits but not all of them is one (`@cafe01.corp`, `@db`).
      ['connect app:Hunter2Pass@cafe01.corp and etl:Xk9pL2mq4@deadbeef.internal', `connect app:${M('url-password')}@cafe01.corp and etl:${M('url-password')}@deadbeef.internal`],
      ['connect app:S3cr3t!x@10.0.0.5:5432 and etl:Xk9-pL2mq@db', `connect app:${M('url-password')}@10.0.0.5:5432 and etl:${M('url-password')}@db`],
      ['HTTPS_PROXY=proxy:Xk9pL2mq@proxy.corp:3128 "dsn": "app:S3cr3tPW@db.internal:5432/app"', `HTTPS_PROXY=proxy:${M('url-password')}@proxy.corp:3128 "dsn": "app:${M('url-password')}@db.internal:5432/app"`],
      ['postgres://app:hunter2@db.internal:5432/app', `postgres://app:${M('url-password')}@db.internal:5432/app`],
      ['redis://:s3cr3t@cache:6379/0', `redis://:${M('url-password')}@cache:6379/0`],
      ['https://bob:p@ss@host.example.com/x', `https://bob:${M('url-password')}@host.example.com/x`],
      // A `/` in the password (clients take it as it is): the password still ends at the host's `@`.
      ['https://user:pa55/word@host/x', `https://user:${M('url-password')}@host/x`],
      ['git clone https://ci:a/b@c/d@git.example.com/repo.git', `git clone https://ci:${M('url-password')}@git.example.com/repo.git`],
      // A %-encoded `#` or `?` in the password; a query's address after the host stays.
      ['postgres://u:pa%23ss@h/db', `postgres://u:${M('url-password')}@h/db`],
      ['https://u:S3cret@h/?email=a@b.com', `https://u:${M('url-password')}@h/?email=a@b.com`],
      // As JSON text escapes `/` (PHP's json_encode), once and inside JSON text again.
      ['{"dsn":"mysql:\\/\\/app:S3cr3tPW@db.internal\\/app"}', `{"dsn":"mysql:\\/\\/app:${M('url-password')}@db.internal\\/app"}`],
      ['{"dsn":"mysql:\\/\\/app:S3\\/cr3t\\u00e4PW@db\\/app"}', `{"dsn":"mysql:\\/\\/app:${M('url-password')}@db\\/app"}`],
      ['{\\"dsn\\":\\"mysql:\\\\\\/\\\\\\/app:S3cr3tPW@db\\\\\\/app\\"}', `{\\"dsn\\":\\"mysql:\\\\\\/\\\\\\/app:${M('url-password')}@db\\\\\\/app\\"}`],
    ],
  },
  'bearer-token': {
    quiet: ['bearer authentication is required', 'the Bearer scheme', 'Bearer tokens expire after an hour'],
    redacted: [
      ['Authorization: Bearer abcdef123456.xyz', `Authorization: Bearer ${M('bearer-token')}`],
      ['curl -H "authorization: bearer 0123456789abcdef0123"', `curl -H "authorization: bearer ${M('bearer-token')}"`],
    ],
  },
  'basic-auth': {
    quiet: ['Basic authentication is enabled', 'basic settings loaded', 'BASIC mode'],
    redacted: [['Authorization: Basic dXNlcjpodW50ZXIy', `Authorization: Basic ${M('basic-auth')}`]],
  },
  'github-token': {
    quiet: ['ghp_short', 'the gho_ prefix marks OAuth tokens'],
    redacted: [
      ['token ghp_1234567890abcdefghijklmnopqrstuvwxyz12 ok', `token ${M('github-token')} ok`],
      ['github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz', M('github-token')],
    ],
  },
  'slack-token': {
    quiet: ['xoxo hugs', 'xoxb-short'],
    redacted: [['slack xoxb-123456789012-abcdefghijkl', `slack ${M('slack-token')}`]],
  },
  'stripe-key': {
    quiet: ['sk_live_ is the prefix of live keys', 'desk_live_view'],
    redacted: [
      ['sk_live_4eC39HqLyjWDarjtT1zdp7dc', M('stripe-key')],
      ['rk_test_4eC39HqLyjWDarjtT1zdp7dc', M('stripe-key')],
    ],
  },
  'anthropic-key': {
    quiet: ['sk-ant-short'],
    redacted: [['key=sk-ant-api03-abcdefghijklmnop1234567890', `key=${M('anthropic-key')}`]],
  },
  'openai-key': {
    quiet: ['risk-assessment-of-the-quarterly-report', 'task-1234567890abcdefghijklmn', 'sk-learn-model-training-pipeline'],
    redacted: [
      ['sk-proj-abc123def456ghi789jkl012mno345', M('openai-key')],
      ['OPENAI=sk-0123456789abcdefghijABCDEFGHIJ', `OPENAI=${M('openai-key')}`],
    ],
  },
  'google-api-key': {
    quiet: ['AIza is how Google keys begin', 'AIzaShort123'],
    redacted: [['AIzaSyD-1234567890abcdefghijklmnopqrstu', M('google-api-key')]],
  },
  'npm-token': {
    // npm's tokens: `npm_` and 36 letters and digits; env names (`npm_config_cache`) have underscores.
    quiet: ['npm_config_cache=/tmp/npm', 'npm_package_version=1.2.3 npm_lifecycle_event=build', 'npm_ABCdef1234567890ABCdef1234567890abcdXYZ is too long', 'npm_short'],
    redacted: [
      ['NPM_TOKEN=npm_ABCdef1234567890ABCdef1234567890abcd npm publish', `NPM_TOKEN=${M('npm-token')} npm publish`],
      ['//registry.npmjs.org/:_authToken=npm_ABCdef1234567890ABCdef1234567890abcd', `//registry.npmjs.org/:_authToken=${M('npm-token')}`],
    ],
  },
  'gitlab-token': {
    quiet: ['glpat-short', 'the glpat- prefix marks personal access tokens', 'global-settings-for-the-whole-team-2026'],
    redacted: [
      ['PRIVATE-TOKEN glpat-AbCdEf1234567890xyzQ', `PRIVATE-TOKEN ${M('gitlab-token')}`],
      ['runner glrt-t1_AbCdEf1234567890xyzQ registered', `runner ${M('gitlab-token')} registered`],
      // A routable token's version and checksum go too.
      ['x glpat-AbCdEf1234567890xyzQabcdefgh.01.0w1kx2ab3 y', `x ${M('gitlab-token')} y`],
    ],
  },
  'huggingface-token': {
    // `hf_` and 34 letters in mixed case; identifiers (`hf_hub_download`, `hf_model`) are lower case or short.
    quiet: ['hf_model', 'from huggingface_hub import hf_hub_download', 'hf_transfer enabled', 'hf_abcdefghijklmnopqrstuvwxyzabcdefgh'],
    redacted: [['HF_TOKEN=hf_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh huggingface-cli login', `HF_TOKEN=${M('huggingface-token')} huggingface-cli login`]],
  },
  'vault-token': {
    quiet: [
      'hvs.example.com',
      'the hvs. prefix marks service tokens',
      'hvs.short123',
      'hvs.internalservicesclusterprod',
      // A host name's first label (at most 63 characters), with hyphens or one case.
      'connect hvs.internal-services-cluster-prod1.corp.example',
      'resolve hvr.ec2-192-168-0-1-compute-internal',
      'hvs.internalservicesprod2024.corp.example',
      // A token of before Vault 1.10 (`s.` + 24) only where the text names Vault; one case or a host's label there stays.
      'session s.OZZFOsivUeOMeDyFtRz7cOmE opened',
      'vault status: ha.s.internalservicesprod2024 s.internalservicesprod2024.corp',
    ],
    redacted: [
      // A service token: `hvs.CAES…`, about 95 characters.
      [`vault login hvs.CAESIJ${'a1B2c3D4e5F6g7H8i9J0'.repeat(4)}kLmNoPqRsTuV`, `vault login ${M('vault-token')}`],
      // A batch token: longer still.
      [`VAULT_TOKEN=hvb.AAAAAQJ2TbWnCVe5T6d4VnNFq8hk2o6ZQw${'Xy9_Zw8-'.repeat(14)}`, `VAULT_TOKEN=${M('vault-token')}`],
      // A root token (`vault operator init`, a dev server's): 24 letters and digits.
      ['Root Token: hvs.6j4cuewowBGit65rheNoceI7', `Root Token: ${M('vault-token')}`],
      ['VAULT_TOKEN=hvs.6j4cuewowBGit65rheNoceI7.', `VAULT_TOKEN=${M('vault-token')}.`],
      // A token of before Vault 1.10: `s.` + 24 letters and digits in mixed case, on a text naming Vault.
      ['vault login s.OZZFOsivUeOMeDyFtRz7cOmE', `vault login ${M('vault-token')}`],
      ['vault token lookup s.OZZFOsivUeOMeDyFtRz7cOmE; X-Vault-Token: s.OZZFOsivUeOMeDyFtRz7cOmE', `vault token lookup ${M('vault-token')}; X-Vault-Token: ${M('vault-token')}`],
    ],
  },
  jwt: {
    quiet: ['eyJ alone', 'eyJhbGciOiJIUzI1NiJ9 only a header'],
    redacted: [['t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U;', `t=${M('jwt')};`]],
  },
  'aws-access-key': {
    quiet: ['AKIA is the prefix', 'AKIAIOSFODNN7EXAMPLEX1 is too long', 'ASIAN markets'],
    redacted: [
      ['key AKIAIOSFODNN7EXAMPLE here', `key ${M('aws-access-key')} here`],
      ['ASIAY34FZKBOKMUTVV7A', M('aws-access-key')],
      // Glued to a lower-case word whose trigger (`basic`) ends where `asia` begins.
      ['basicASIAY34FZKBOKMUTVV7A', `basic${M('aws-access-key')}`],
    ],
  },
  'aws-secret-key': {
    quiet: [
      'set aws_secret_access_key in ~/.aws/credentials',
      // The label followed by a word, a variable or nothing: no key.
      'AWS_SECRET_ACCESS_KEY is not set',
      'aws configure get aws_secret_access_key',
      'aws configure set aws_session_token $AWS_SESSION_TOKEN --profile ci',
      'aws configure set aws_secret_access_key "${SECRET}"',
      // A capitalised word of help text or a message, and a quoted placeholder: no key (one is 40 characters, a session token hundreds).
      'AWS_SECRET_ACCESS_KEY Required',
      'AWS_SESSION_TOKEN Undefined; falling back to instance profile',
      'aws_secret_access_key Specifies the secret key',
      'aws_session_token Expiration 2026-12-07T05:00:00Z',
      'AWS_SESSION_TOKEN Configured',
      'aws_secret_access_key "<your key>"',
      'rclone config create s3 s3 secret_access_key "your secret key"',
      'the session_token expired; --s3-secret-access-key is required, --s3-secret-access-key $KEY',
      'Set-AWSCredential -SecretKey $env:AWS_SECRET_KEY -StoreAs ci',
    ],
    redacted: [
      // The aws CLI takes the value after a space (a cron command is its job's name).
      ['aws configure set aws_secret_access_key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', `aws configure set aws_secret_access_key ${M('aws-secret-key')}`],
      ['aws configure set aws_session_token FwoGZXIvYXdzEJr//////////wEaDNVnZ3Jz --profile ci', `aws configure set aws_session_token ${M('aws-secret-key')} --profile ci`],
      ["aws configure set profile.ci.aws_secret_access_key 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'", `aws configure set profile.ci.aws_secret_access_key '${M('aws-secret-key')}'`],
      ['setenv AWS_SECRET_ACCESS_KEY wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', `setenv AWS_SECRET_ACCESS_KEY ${M('aws-secret-key')}`],
      // rclone's `config create|update … secret_access_key KEY` (no `aws_`), PowerShell's `-SecretKey KEY`, `-SessionToken TOKEN`.
      [
        'rclone config create s3 s3 provider AWS access_key_id AKIAIOSFODNN7EXAMPLE secret_access_key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
        `rclone config create s3 s3 provider AWS access_key_id ${M('aws-access-key')} secret_access_key ${M('aws-secret-key')}`,
      ],
      ['rclone config update s3 secret_access_key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', `rclone config update s3 secret_access_key ${M('aws-secret-key')}`],
      // rclone's `session_token TOKEN` and its flag `--s3-secret-access-key KEY` with a space.
      [
        'rclone config create s3 s3 provider AWS session_token FwoGZXIvYXdzEJr//////////wEaDNVnZ3JzAbCdEf env_auth false',
        `rclone config create s3 s3 provider AWS session_token ${M('aws-secret-key')} env_auth false`,
      ],
      [
        'rclone sync /data s3:bucket --s3-access-key-id AKIAIOSFODNN7EXAMPLE --s3-secret-access-key wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
        `rclone sync /data s3:bucket --s3-access-key-id ${M('aws-access-key')} --s3-secret-access-key ${M('aws-secret-key')}`,
      ],
      [
        'Set-AWSCredential -AccessKey AKIAIOSFODNN7EXAMPLE -SecretKey wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY -SessionToken FwoGZXIvYXdzEJr//////////wEaDNVnZ3Jz -StoreAs ci',
        `Set-AWSCredential -AccessKey ${M('aws-access-key')} -SecretKey ${M('aws-secret-key')} -SessionToken ${M('aws-secret-key')} -StoreAs ci`,
      ],
      ['aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', `aws_secret_access_key = ${M('aws-secret-key')}`],
      ['{"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}', `{"SecretAccessKey": "${M('aws-secret-key')}"}`],
      ['AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG', `AWS_SECRET_ACCESS_KEY=${M('aws-secret-key')}`],
    ],
  },
  cookie: {
    quiet: ['cookie consent banner shown', 'cookies: 3'],
    redacted: [
      ['Cookie: session=abc123; theme=dark', `Cookie: ${M('cookie')}`],
      ['set-cookie: id=a3fWa; Max-Age=2592000', `set-cookie: ${M('cookie')}`],
    ],
  },
  'cli-password': {
    quiet: [
      // An argv list's `-p` alone asks for the password; another tool's `-p…` in one is none.
      '["mysql","-u","root","-p","db"]',
      '["ls","-pretty"]',
      '["sqlplus","/ as sysdba"]',
      // Another tool's `-p…` after a mysql argv list has ended, or in a list whose first argument is not the client.
      '{"db":["mysql","-u","root","db"],"ssh":["ssh","-p2222","bastion"]}',
      '{"steps":[["mysql","-e","select 1"],["git","log","-pretty=oneline"]]}',
      "cmds=[['mysql', '-u', 'root', 'db'], ['ssh', '-p2222', 'host']]",
      'ran mysql -u root db, then ["git","log","-pretty=oneline"]',
      '{"service":"mysql","args":["-h","db","-pS3cret"]}',
      '["mysql","-e","a, \'-px\'"]',
      // A client after another list's arguments is no argument of that list: the next list's `-p…` stays.
      '[["mysql","-u","root","db"],["ssh","-p2222"]]',
      '{"db":["ssh","bastion"],"cmd":["mysql","db"],"x":["tool","-pretty"]}',
      // Azure's --account-key: a word or placeholder after it is none.
      'az storage account keys list --account-key <key>',
      'az storage blob upload --account-key ACCOUNT_KEY',
      // A service account's key file, not the key.
      'deploy --service-account-key sa-key-2024.json',
      'deploy --service-account-key ci-deployer-01.json',
      'gcloud auth activate-service-account --service-account-key ./keys/ci.json',
      // Port and other `-p` flags of commands whose `-p` is no password.
      'docker run -p 8080:80 nginx',
      'ssh -p 2222 deploy@host',
      'mkdir -p /var/backups/db',
      'sshpass -f /etc/backup.pw ssh -p 2222 host',
      // mysql's `-p` alone asks for the password; `-P` is the port.
      'mysql -u root -p appdb',
      'mysql -h db -P3306 -uroot appdb',
      'mysql: [Warning] Using a password on the command line interface can be insecure.',
      'grep -pi mysql /etc/services',
      // Options that name a password without giving one.
      'pg_dump --no-password appdb',
      'docker login --password-stdin registry.example.com',
      'restic backup --password-file /run/secrets/restic /srv',
      'psql --password -h db appdb',
      // `-u`, `-a`, `--user` of other commands; curl's `-u user` alone asks for the password.
      'curl -fsS -u backup https://backup.example.com/',
      'docker run --user 1000:1000 img',
      'sort -u a:b',
      'tar -a -cf x.tgz dir',
      // Options that name a token or secret without giving one.
      'docker build --secret id=npmrc,src=/run/npmrc .',
      'vault login --token-file /run/token',
      'gh auth login --with-token',
      // A token or secret option named in prose, a usage line, other options ending in `-token`/`-secret`,
      // docker's secrets (a name, not the value), a word rather than a credential after the option.
      'option --token requires an argument',
      'usage: app [--token TOKEN] [--api-key <key>]',
      'git commit -m "fix: handle --token flag in parser"',
      'echo "use --secret to pass the value"',
      'kubectl get pods --show-secret foo',
      'gh auth login --with-token < /run/secrets/gh',
      'python gen.py --max-token 4096 --temperature 0.2',
      'vllm serve m --max-token 131072 --max-num-token 65536',
      'docker service create --secret my_secret redis',
      'docker run --secret db_pass2024 img',
      'docker build --secret=id=npmrc,src=/run/npmrc .',
      // openssl's password from the environment or a file; docker login's password from stdin.
      'openssl rsa -passin env:KEYPASS -in key.pem',
      'openssl rsa -passin file:/run/pw -in key.pem',
      'docker login -u bob --password-stdin registry.example.com',
      'buildah login -u bob --password-stdin quay.io && helm registry login reg.io -u bob --password-stdin',
      'skopeo copy -p 2 docker://a docker://b',
      // A token option whose prefix names or pages rather than carries a secret.
      'gcloud list --page-token CAESBggBEAEYAQ',
      'aws s3api list-objects --starting-token eyJNYXJrZXIiOiAxfQ2 --next-token AbC123xyZ9',
      'helm install x --set a=1 --pull-secret regcred2 --existing-secret db-creds-2 --tls-secret my-tls-2024',
      'list --continuation-token 1AbCdEf2GhIjK3',
      // A private key option given the key's file: a path, a `.pem` or `.key` file.
      'ansible-playbook site.yml --private-key ~/.ssh/deploy2 && scp --private-key /path/to/key2.pem x',
      'tool --private-key ./keys/deploy-2024 --ssh-private-key deploy-2024.key --secret-key-file /run/s3cret',
      // ssh's key file names, a variable naming the file, a name of words.
      'ansible-playbook -i hosts site.yml --private-key id_ed25519',
      'ansible-playbook site.yml --private-key $HOME/.ssh/deploy_ed25519',
      'ansible-playbook site.yml --private-key "$SSH_KEY_FILE" --private-key ${KEY_FILE}',
      'terraform apply --private-key deploy-key-2024',
      // A private key's file after `=` or `:` (a labelled secret's shape).
      'ansible-playbook site.yml --private-key=~/.ssh/id_rsa key_path=x private_key: /etc/ssl/app.pem',
      'deploy --service-account-key=sa-key-2024.json --account-key=./keys/ci.json account_key: /etc/azure/storage.key',
      // `--creds` naming only the user (the password is asked for); `-p` of another command than a login.
      'skopeo copy --creds bot docker://a docker://b',
      'oras push r.io/a:v1 -p 2 file.txt',
      // A word starting with `-p` in a message about a registry login, not its argument; a bare `-p` in parentheses.
      'Error: docker login failed -please retry',
      'note: avoid secrets on the command line (docker login -p)',
      // A message's lower-case word after `-p`, followed by another word (not a registry): also after a registry.
      'docker login failed: -please retry',
      'docker login ghcr.io -permission denied',
      'docker login: -p flag deprecated',
    ],
    redacted: [
      [
        'az storage blob upload --account-name acc --account-key abc123def456ghi789jkl012mno345pqr678stu901vwx234yz== -f x',
        `az storage blob upload --account-name acc --account-key ${M('cli-password')} -f x`,
      ],
      // A key (all base64, 40 characters or more) starting with `/` is no key file's path, quoted or not.
      [`az storage blob upload -c backups --account-key ${AZURE_KEY_SLASH} -f db.gz`, `az storage blob upload -c backups --account-key ${M('cli-password')} -f db.gz`],
      [`az storage blob upload --account-key "${AZURE_KEY_SLASH}"`, `az storage blob upload --account-key "${M('cli-password')}"`],
      [`deploy --private-key /${PEM_BODY}`, `deploy --private-key ${M('cli-password')}`],
      // A token option with any prefix (up to three words): the value judged as for `--token`.
      ['gh release upload --github-token ghp_abc123XYZ9 v1', `gh release upload --github-token ${M('cli-password')} v1`],
      ['release --gitlab-token glpat-abc123XYZ --npm-token abc12345XY', `release --gitlab-token ${M('cli-password')} --npm-token ${M('cli-password')}`],
      ['upload --hf-token hf_abc123XYZ9 --vault-token s.abc123XYZ', `upload --hf-token ${M('cli-password')} --vault-token ${M('cli-password')}`],
      ['clone --personal-access-token abc123XYZ9 --id-token abc123XYZ9', `clone --personal-access-token ${M('cli-password')} --id-token ${M('cli-password')}`],
      // podman's and nerdctl's `login -p`, as docker's.
      ['podman login -u me -p S3cretXy registry.io', `podman login -u me -p ${M('cli-password')} registry.io`],
      ['nerdctl login -u me -p S3cretXy registry.io', `nerdctl login -u me -p ${M('cli-password')} registry.io`],
      // buildah's, skopeo's and helm's registry logins, as docker's.
      ['buildah login -u me -p S3cretXy quay.io', `buildah login -u me -p ${M('cli-password')} quay.io`],
      ['skopeo login -u me -p S3cretXy quay.io', `skopeo login -u me -p ${M('cli-password')} quay.io`],
      ['helm registry login reg.io -u me -p S3cretXy', `helm registry login reg.io -u me -p ${M('cli-password')}`],
      ['mysqldump -uroot -pS3cretPass db > /backup/db.sql', `mysqldump -uroot -p${M('cli-password')} db > /backup/db.sql`],
      ['/usr/bin/mysql -h db -P3306 -u app -pHunter2Secret! appdb -e "select 1"', `/usr/bin/mysql -h db -P3306 -u app -p${M('cli-password')} appdb -e "select 1"`],
      ['mysqladmin -uroot -p"two words" ping', `mysqladmin -uroot -p"${M('cli-password')}" ping`],
      ['cd /srv && mariadb-dump -ubackup -ps3cr3t --all-databases | gzip > all.sql.gz', `cd /srv && mariadb-dump -ubackup -p${M('cli-password')} --all-databases | gzip > all.sql.gz`],
      ['pg_dump --password Hunter2Secret appdb', `pg_dump --password ${M('cli-password')} appdb`],
      ["backup --db-password 'a b c' --to s3://bucket", `backup --db-password '${M('cli-password')}' --to s3://bucket`],
      ['gpg --batch --passphrase pl41n --decrypt k.gpg', `gpg --batch --passphrase ${M('cli-password')} --decrypt k.gpg`],
      ['sshpass -p Hunter2Secret ssh host', `sshpass -p ${M('cli-password')} ssh host`],
      ['sshpass -v -pHunter2Secret ssh -p 2222 host', `sshpass -v -p${M('cli-password')} ssh -p 2222 host`],
      // As JSON text escapes it: the value runs over the escapes.
      ['"cmd":"mysqldump -uroot -pS3cr\\u00e4t appdb"', `"cmd":"mysqldump -uroot -p${M('cli-password')} appdb"`],
      ['"cmd":"pg_dump --password \\"two w\\u00f6rds\\" appdb"', `"cmd":"pg_dump --password \\"${M('cli-password')}\\" appdb"`],
      ['sshpass -p Hunter2\\$ecret ssh host', `sshpass -p ${M('cli-password')} ssh host`],
      // curl's user keeps its name; redis-cli's `-a` and `--pass`; token, API key and secret options.
      ['curl -fsS -u backup:CurlS3cretPw https://backup.example.com/x', `curl -fsS -u backup:${M('cli-password')} https://backup.example.com/x`],
      ['curl --user "bob:two words" https://x', `curl --user "bob:${M('cli-password')}" https://x`],
      ['curl -ubob:CurlS3cret https://x', `curl -ubob:${M('cli-password')} https://x`],
      ['redis-cli -a RedisS3cretPw BGSAVE', `redis-cli -a ${M('cli-password')} BGSAVE`],
      ['redis-cli -h cache --pass RedisS3cretPw ping', `redis-cli -h cache --pass ${M('cli-password')} ping`],
      ['wget --user bob --http-password WgetS3cret https://x', `wget --user bob --http-password ${M('cli-password')} https://x`],
      ['deploy --token abc123def --env prod', `deploy --token ${M('cli-password')} --env prod`],
      ['sync --api-key abc123 && sync --apikey def456', `sync --api-key ${M('cli-password')} && sync --apikey ${M('cli-password')}`],
      ['vault write x --secret "s3 cr3t"', `vault write x --secret "${M('cli-password')}"`],
      ['deploy --auth-token abc123def --client-secret Xy9kLmNoPq', `deploy --auth-token ${M('cli-password')} --client-secret ${M('cli-password')}`],
      ['bot --bot-token 123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw', `bot --bot-token ${M('cli-password')}`],
      ['app --secret s3cretValue9 run', `app --secret ${M('cli-password')} run`],
      // Secret and private key options given the key itself.
      ['aws configure set x --secret-key wJalrXUtnFEMI/K7MDENG --access-key AKIDEXAMPLE9', `aws configure set x --secret-key ${M('cli-password')} --access-key AKIDEXAMPLE9`],
      ['minio-client --secret_key s3cret9 --private-key abcDEF12345 --ssh-private-key "a b c"', `minio-client --secret_key ${M('cli-password')} --private-key ${M('cli-password')} --ssh-private-key "${M('cli-password')}"`],
      // curl's proxy user, openssl's `pass:` passwords, `docker login -p`.
      ['curl --proxy-user bob:ProxyS3cret https://x', `curl --proxy-user bob:${M('cli-password')} https://x`],
      ['curl -U bob:ProxyS3cret https://x', `curl -U bob:${M('cli-password')} https://x`],
      ['openssl enc -aes-256-cbc -pass pass:MySecretPw -in a -out b', `openssl enc -aes-256-cbc -pass pass:${M('cli-password')} -in a -out b`],
      ['openssl rsa -passin pass:MySecretPw -in key.pem', `openssl rsa -passin pass:${M('cli-password')} -in key.pem`],
      ["openssl pkcs12 -export -passout 'pass:two words' -out x.p12", `openssl pkcs12 -export -passout 'pass:${M('cli-password')}' -out x.p12`],
      ['docker login -u bob -p DockerS3cret registry.example.com', `docker login -u bob -p ${M('cli-password')} registry.example.com`],
      // The password glued to `-p`, or after `=`; crane's and oras's logins.
      ['docker login -u me -pS3cretXy9 r.io', `docker login -u me -p${M('cli-password')} r.io`],
      ['docker login -u me -p=S3cretXy9 r.io', `docker login -u me -p=${M('cli-password')} r.io`],
      // After the registry and options only, and never a closing parenthesis.
      ['podman login --tls-verify=false r.io:5000 -u me -pS3cretXy9', `podman login --tls-verify=false r.io:5000 -u me -p${M('cli-password')}`],
      ['(docker login -u me -pS3cretXy9)', `(docker login -u me -p${M('cli-password')})`],
      // Before the closing quote of the command quoted in JSON text or a Python list, and after a registry without a dot.
      ['{"cmd":"docker login -u me -pS3cretXy9","rc":1}', `{"cmd":"docker login -u me -p${M('cli-password')}","rc":1}`],
      [
        "subprocess.CalledProcessError: Command '['sh', '-c', 'docker login -u me -pS3cretXy9']' returned non-zero exit status 1.",
        `subprocess.CalledProcessError: Command '['sh', '-c', 'docker login -u me -p${M('cli-password')}']' returned non-zero exit status 1.`,
      ],
      ['"msg":"docker login -u me -pS3cretXy9\\nnext"', `"msg":"docker login -u me -p${M('cli-password')}\\nnext"`],
      ['docker login nexus -u admin -pS3cretXy9 && docker login harbor -u admin -pS3cretXy9', `docker login nexus -u admin -p${M('cli-password')} && docker login harbor -u admin -p${M('cli-password')}`],
      ['docker login -u me -pS3cretXy9 nexus', `docker login -u me -p${M('cli-password')} nexus`],
      // After a quoted user holding spaces or a command's output.
      // A lower-case password glued to `-p` and a word after it: a registry after an option (`-u me`), and `localhost` always.
      ['docker login -u me -phunter nexus\ndocker login -u me -phunterhunter localhost', `docker login -u me -p${M('cli-password')} nexus\ndocker login -u me -p${M('cli-password')} localhost`],
      ['podman login -u me -phunter quay\ndocker login -phunter localhost', `podman login -u me -p${M('cli-password')} quay\ndocker login -p${M('cli-password')} localhost`],
      ['RUN docker login -u me -phunter nexus && docker push nexus/app', `RUN docker login -u me -p${M('cli-password')} nexus && docker push nexus/app`],
      // ... and an option after the password (`-phunter nexus -u me`) marks a command line as well as one before it.
      ['docker login -phunter nexus -u me', `docker login -p${M('cli-password')} nexus -u me`],
      // A glued `-pVALUE` alone before a dotted registry (no lower-case message word: the registry has a dot), and `-u … -p VALUE`.
      ['docker login -phunter nexus.example.com\ndocker login -u admin -p hunter2 registry', `docker login -p${M('cli-password')} nexus.example.com\ndocker login -u admin -p ${M('cli-password')} registry`],
      ['RUN docker login -phunter nexus -u me && make', `RUN docker login -p${M('cli-password')} nexus -u me && make`],
      ['podman login -phunter quay --username me', `podman login -p${M('cli-password')} quay --username me`],
      ['docker login -u me -phunter nexus, rc=1\ndocker login -u me -pcorrect horse', `docker login -u me -p${M('cli-password')} nexus, rc=1\ndocker login -u me -p${M('cli-password')} horse`],
      ['docker login -u "John Smith" -pS3cretXy9 ghcr.io', `docker login -u "John Smith" -p${M('cli-password')} ghcr.io`],
      ['docker login -u "$(cat user)" -pS3cretXy9 ghcr.io', `docker login -u "$(cat user)" -p${M('cli-password')} ghcr.io`],
      ["docker login -u 'John Smith' -phunter ghcr.io", `docker login -u 'John Smith' -p${M('cli-password')} ghcr.io`],
      ['crane auth login r.io -u me -p S3cretXy9', `crane auth login r.io -u me -p ${M('cli-password')}`],
      ['oras login r.io -u me -p S3cretXy9', `oras login r.io -u me -p ${M('cli-password')}`],
      // skopeo's, podman's and buildah's `--creds user:password`: the user stays.
      ['skopeo copy --src-creds bot:S3cretXy9 --dest-creds="bot:two words" docker://a docker://b', `skopeo copy --src-creds bot:${M('cli-password')} --dest-creds="bot:${M('cli-password')}" docker://a docker://b`],
      ['skopeo inspect --creds bot:S3cretXy9 docker://a', `skopeo inspect --creds bot:${M('cli-password')} docker://a`],
      ['podman pull --creds bot:S3cretXy9 quay.io/x && buildah push --creds=bot:S3cretXy9 img docker://r/i', `podman pull --creds bot:${M('cli-password')} quay.io/x && buildah push --creds=bot:${M('cli-password')} img docker://r/i`],
      // A `&`, `|` or `;` inside mysql's quoted password is no end of its step.
      ['mysql -p"a&b|c;d"', `mysql -p"${M('cli-password')}"`],
      ["mysqldump -u root -p'a;b&c' db | gzip; echo -pfoo", `mysqldump -u root -p'${M('cli-password')}' db | gzip; echo -pfoo`],
      ['mysql -u root "-pa|b" db', `mysql -u root "-p${M('cli-password')}" db`],
      // A command as an argv list (JSON's, Python's).
      // The client after the plain arguments of the same list that run it (docker-compose's healthcheck, kubectl exec, docker exec, sudo, env), a Python tuple, mysql.exe.
      ['test: ["CMD", "mysqladmin", "ping", "-h", "localhost", "-uroot", "-pS3cret"]', `test: ["CMD", "mysqladmin", "ping", "-h", "localhost", "-uroot", "-p${M('cli-password')}"]`],
      ['"Healthcheck":{"Test":["CMD","mysqladmin","ping","-pS3cret"]}', `"Healthcheck":{"Test":["CMD","mysqladmin","ping","-p${M('cli-password')}"]}`],
      ['["kubectl","exec","db-0","--","mysql","-uroot","-pS3cret"]', `["kubectl","exec","db-0","--","mysql","-uroot","-p${M('cli-password')}"]`],
      ['["docker","exec","db","mysql","-pS3cret"]', `["docker","exec","db","mysql","-p${M('cli-password')}"]`],
      ['["sudo","mysql","-pS3cret"]', `["sudo","mysql","-p${M('cli-password')}"]`],
      ["('mysql', '-pS3cret')", `('mysql', '-p${M('cli-password')}')`],
      ['["mysql.exe","-pS3cret"]', `["mysql.exe","-p${M('cli-password')}"]`],
      ['["C:\\Program Files\\MySQL\\bin\\mysql.exe","-pS3cret"]', `["C:\\Program Files\\MySQL\\bin\\mysql.exe","-p${M('cli-password')}"]`],
      // Only the client's own arguments: a `-p…` before it in the list (ssh's port) stays, and the list's end ends it.
      ['["ssh","-p2222","db","mysql","-pS3cret"]', `["ssh","-p2222","db","mysql","-p${M('cli-password')}"]`],
      ['[["mysql","-pS3cret"],["ssh","-p2222"]]', `[["mysql","-p${M('cli-password')}"],["ssh","-p2222"]]`],
      ['["mysql","-u","root","-pS3cret"]', `["mysql","-u","root","-p${M('cli-password')}"]`],
      ["['mysqldump', '-pS3cret', 'db']", `['mysqldump', '-p${M('cli-password')}', 'db']`],
      ["['/usr/bin/mysqldump', '--single-transaction', '-pa&b]c', 'db']", `['/usr/bin/mysqldump', '--single-transaction', '-p${M('cli-password')}', 'db']`],
      ['[ "mysql" , "-pS3cret" ]', `[ "mysql" , "-p${M('cli-password')}" ]`],
      ['["mysql",  "-pa\\"b"]', `["mysql",  "-p${M('cli-password')}"]`],
      ['[\n  "mysql",\n  "-pS3cret"\n]', `[\n  "mysql",\n  "-p${M('cli-password')}"\n]`],
      // `-prod` after "mysql" in a list is its password's form; the list's end ends it: the next list's `-p2222` stays.
      ['{"tags":["mysql","-prod"],"ssh":["ssh","-p2222"]}', `{"tags":["mysql","-p${M('cli-password')}"],"ssh":["ssh","-p2222"]}`],
      ['["sqlplus","sys/S3cret@db"]', `["sqlplus","sys/${M('cli-password')}@db"]`],
      ['["sqlplus","-s","sys/S3cret"]', `["sqlplus","-s","sys/${M('cli-password')}"]`],
      // A login in escaped quotes before JSON text's escaped line end.
      ['{"cmd":"sqlplus \\"sys/S3cret\\"\\n"}', `{"cmd":"sqlplus \\"sys/${M('cli-password')}\\"\\n"}`],
    ],
  },
  'slack-webhook': {
    quiet: ['slack notification sent', 'see https://api.slack.com/messaging/webhooks', 'https://hooks.slack.com/services/'],
    redacted: [
      ['curl -X POST https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX -d @msg.json', `curl -X POST https://hooks.slack.com/services/${M('slack-webhook')} -d @msg.json`],
      ['{"url":"https://hooks.slack.com/workflows/T0AB12CD3/A0123/456789/abcdefABCDEF"}', `{"url":"https://hooks.slack.com/workflows/${M('slack-webhook')}"}`],
      // As JSON text escapes `/`: the marker keeps the closing quote.
      ['{"hook":"https:\\/\\/hooks.slack.com\\/services\\/T0001\\/B0001\\/XXXXXXXXXXXXXXXX"}', `{"hook":"https:\\/\\/hooks.slack.com\\/services\\/${M('slack-webhook')}"}`],
      ['{\\"hook\\":\\"https:\\\\/\\\\/hooks.slack.com\\\\/services\\\\/T0001\\\\/B0001\\\\/XXXXXXXX\\"}', `{\\"hook\\":\\"https:\\\\/\\\\/hooks.slack.com\\\\/services\\\\/${M('slack-webhook')}\\"}`],
    ],
  },
  'discord-webhook': {
    quiet: ['see https://discord.com/api/webhooks/ for the format', 'discord.com/developers/docs/resources/webhook'],
    redacted: [
      ['curl -X POST https://discord.com/api/webhooks/123456789012345678/AbCdEf-secret_TOKEN -d @m.json', `curl -X POST https://discord.com/api/webhooks/${M('discord-webhook')} -d @m.json`],
      ['{"url":"https:\\/\\/discordapp.com\\/api\\/v10\\/webhooks\\/123456\\/AbCdEf-secret"}', `{"url":"https:\\/\\/discordapp.com\\/api\\/v10\\/webhooks\\/${M('discord-webhook')}"}`],
    ],
  },
  'teams-webhook': {
    quiet: ['https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook', 'posted to outlook.office.com/webhook/'],
    redacted: [
      [
        'https://contoso.webhook.office.com/webhookb2/0a1b2c3d-0000-4000-8000-000000000000@0a1b2c3d-0000-4000-8000-000000000001/IncomingWebhook/9f8e7d6c5b4a/0a1b2c3d-0000-4000-8000-000000000002 failed',
        `https://contoso.webhook.office.com/webhookb2/${M('teams-webhook')} failed`,
      ],
      ['https://outlook.office.com/webhook/abc@def/IncomingWebhook/0123abcd/ghi', `https://outlook.office.com/webhook/${M('teams-webhook')}`],
    ],
  },
  'sentry-dsn': {
    // A Sentry DSN's key: 32 hex digits, or hex digits before a Sentry host; a URL's user name stays.
    quiet: ['https://git@github.com/org/repo', 'https://deadbeef@example.com/x', 'https://sentry.io/organizations/acme/issues/'],
    redacted: [
      ['SENTRY_DSN=https://0123456789abcdef0123456789abcdef@o123.ingest.sentry.io/42', `SENTRY_DSN=https://${M('sentry-dsn')}@o123.ingest.sentry.io/42`],
      ['dsn: https://abc123def456@o123.ingest.sentry.io/42', `dsn: https://${M('sentry-dsn')}@o123.ingest.sentry.io/42`],
      ['https://0123456789abcdef0123456789abcdef@sentry.internal.example/7', `https://${M('sentry-dsn')}@sentry.internal.example/7`],
      // A self-hosted Sentry under any name: 32 hex digits.
      ['dsn=https://0123456789abcdef0123456789abcdef@errors.example.com/7', `dsn=https://${M('sentry-dsn')}@errors.example.com/7`],
    ],
  },
  'azure-key': {
    quiet: ['DefaultEndpointsProtocol=https;AccountName=acc;EndpointSuffix=core.windows.net', 'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey', 'account key rotated'],
    redacted: [
      [
        'DefaultEndpointsProtocol=https;AccountName=acc;AccountKey=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3A=;EndpointSuffix=core.windows.net',
        `DefaultEndpointsProtocol=https;AccountName=acc;AccountKey=${M('azure-key')};EndpointSuffix=core.windows.net`,
      ],
      [
        'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=abc+def/123=',
        `Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=${M('azure-key')}`,
      ],
      ['AZURE_STORAGE_ACCOUNT_KEY=Zm9vYmFy+YmF6==', `AZURE_STORAGE_ACCOUNT_KEY=${M('azure-key')}`],
    ],
  },
  'azure-sas': {
    quiet: ['received signal sig=15', 'kill -s SIGTERM 42', 'https://acc.blob.core.windows.net/c/f?sig=short', 'design=minimal signature verified'],
    redacted: [
      [
        'azcopy copy x "https://acc.blob.core.windows.net/c?sv=2022-11-02&ss=b&srt=co&sp=rwl&se=2026-12-31T00:00:00Z&spr=https&sig=Xy1%2Bab4Cd5eF6gH7iJ8kL9mN0oP1qR2sT3uV4wX5yZ%3D"',
        `azcopy copy x "https://acc.blob.core.windows.net/c?sv=2022-11-02&ss=b&srt=co&sp=rwl&se=2026-12-31T00:00:00Z&spr=https&sig=${M('azure-sas')}"`,
      ],
      ['BlobEndpoint=https://acc.blob.core.windows.net/;SharedAccessSignature=sv=2022-11-02&ss=b&sig=Xy1%2Bab4Cd5eF6gH7iJ8kL9m;x=1', `BlobEndpoint=https://acc.blob.core.windows.net/;SharedAccessSignature=${M('azure-sas')};x=1`],
    ],
  },
  'secret-assignment': {
    quiet: [
      // A bare `pass` (logfmt) whose value no password is: a count, a result, prose after `:`.
      'pass=48 fail=2 skip=0',
      // Counts packed with separators, results and stage names: CI output and compiler passes.
      'suite=api pass=12;fail=3;skip=0',
      'result pass=12,fail=3',
      'pass=12|fail=3',
      'check=disk pass=skipped',
      'pass=pending',
      'pass=n/a',
      'pass=-',
      'pass=1.5s',
      'summary pass=all',
      'optimizer pass=dce',
      'llvm pass=loop-unroll',
      'mlir pass=canonicalize pass=250ms',
      'password pass=ok',
      // A test runner's line with a user's label and counts is no login; states, durations and variables stay beside a user too.
      'tests pass=3 fail=0 user=ci',
      'run=42 user=ci pass=12 fail=0 skip=1',
      'summary: pass=12 fail=0 login=jenkins',
      'pass=0 fail=0 total=0 user=ci-bot',
      'pass=ok user=bob',
      'pass=skipped user=bob',
      'pass=1.5s user=bob',
      'user=ci pass=-',
      'connect user=app pass=$db_pass',
      // A plain lower-case word that does not look like a credential, off a login's line: a pass's name or a result.
      'pass=dce',
      'pass=done',
      'pass=complete',
      'pass=green',
      'lint pass=clean',
      'x264 encode pass=first',
      'stage=optimize pass=inline',
      'pass=letmein',
      'Pass: 3/3 all checks',
      'pass: 12, fail: 0',
      '{"pass": "true"}',
      'token bucket refilled',
      'max_tokens=1000 tokens: 52 input_tokens=12',
      'password reset email sent',
      'secret_name=prod/db rotated',
      'PWD=/home/etl',
      'passwd file unchanged',
      'bypass=true test_pass: 12 pass=3',
      '<tokens>5</tokens>',
      'tokens[token_count] => 3 max_tokens => 5',
      '[tokens] => 12',
      // Counts and flags named `…_pass`, paths in `…_PWD`: only an upper-case env name ending in `_PASS`/`_PWD` holds a password.
      'tests_pass=48 tests_fail=2 unit_pass=40',
      'lint_pass=true first_pass=ok',
      'SAVED_PWD=/srv ORIG_PWD=/var/lib/app',
      'export CUR_PWD=$(pwd)',
      'TESTS_PASS=48 LINT_PASS=true',
      '{"tests_pass": 48, "lint_pass": true}',
      'TESTS_PASS: 48',
      // After a colon an unquoted `_PASS` value is its first word: a result and what follows it.
      'SMOKE_PASS: ok (3 checks)',
      'TOTAL_PASS: 40, TOTAL_FAIL: 2',
      'SUMMARY UNIT_PASS: 40 UNIT_FAIL: 0',
      // Results, counts and paths (relative, Windows, a variable) unquoted: CI output, not passwords.
      'BUILD_PASS=success CI_PASS=passed ALL_PASS=PASS TESTS_PASS=48/50 E2E_PASS=failed',
      'SAVED_PWD=./build SAVED_PWD=../out HOME_PWD=$HOME HOME_PWD=${HOME} OLD_PWD=~/src',
      'LAST_PWD=C:\\Users\\app',
      // A quoted result is CI output too (a quoted number is not: see below).
      '{"smoke_pass": "ok"}',
      '{"lint_pass":"true", "e2e_pass": "failed"}',
      "config['smoke_pass'] = 'ok'",
      // A lower-case YAML key ending in `_pass` holding a result, a count or a flag; `.pgpass`, the file; `compass`.
      'checks:\n  - first_pass: ok\n  lint_pass: true\n  tests_pass: 48 (of 50)',
      // A lower-case YAML key has only its name to go by: a result in words, a path, a word stays.
      'first_pass: complete\ne2e_pass: all green\n  integration_pass: skipped\n - schema_pass: migrated',
      'mypy_pass: Success: no issues found in 42 source files',
      "lint_pass: clean\n  smoke_pass: passing\nbuild_pwd: src/app\ne2e_pass: 'all green'",
      // …and a path or a count, as under an upper-case name.
      'build_pwd: /home/ci/build1\ncron_pwd: /opt/app/releases/20261207\nbackup_pwd: /var/backups/2026-12-07',
      'test_pass: 1234/1234\nsmoke_pass: 12345678',
      'chmod 0600 ~/.pgpass: done; PGPASS=~/.pgpass compass=north compass: north',
      // A Dockerfile's `ENV NAME VALUE` setting no secret, or a secret's name from a build argument.
      'ENV GPG_KEY A035C8C19219BA821ECEA86B64E628F8D684696D\nENV NPM_TOKEN ${NPM_TOKEN}\nENV SMOKE_PASS ok',
      'ENV DB_PASSWORD_FILE /run/secrets/db\nENV MAX_TOKENS 4096\nENV GH_TOKEN $GH_TOKEN',
      // `ENV NAME` in a message, not starting its line (nor a build log's step), or followed by what is said of it; a paging cursor.
      'Error: required ENV DB_PASSWORD is not set',
      'WARN missing ENV GITHUB_TOKEN in .env, skipping upload',
      'ENV API_KEY not found; using anonymous access\nENV DB_PASS is not set',
      'ENV NEXT_PAGE_TOKEN abc123\nENV NextToken abc123',
      // …also after a build log's timestamp or level.
      '2026-12-07T01:00:00Z Error: required ENV DB_PASSWORD is not set\nINFO[0004] missing ENV GITHUB_TOKEN in .env',
      '[2026-12-07T01:00:00.123Z] Error: required ENV DB_PASSWORD is not set\n2026-12-07T01:00:00.1Z 01O missing ENV GITHUB_TOKEN\n[1/2] required ENV NPM_TOKEN',
      // A logger's name ending in a secret's word (a dotted lower-case path), or one right after a level, and the message it logs.
      'INFO botocore.credentials: Found credentials in environment variables.',
      'INFO:botocore.credentials:Found credentials in environment variables.',
      'ERROR botocore.credentials: Error when retrieving credentials from container-role: timed out',
      'WARNING botocore.credentials: Refreshing temporary credentials failed during mandatory refresh period.',
      'DEBUG hvac.api.auth_methods.token: renewing\nINFO vault.token: renewed lease for 3600s',
      '2026-12-07 01:00:00 [INFO] credentials: using instance profile\nWARN credentials: not found, using anonymous access',
      'INFO [main] i.q.oidc.token: Token verified',
      // URL-encoded `=` named in prose, with no value after it.
      'the docs say to pass password%3D in the URL',
      'append token%3D, then the value',
      'the query ends in password%3D.',
      "say 'password%3D' then; JSON says \\\"token%3D\\\" too",
      // A paging cursor: a list call's position, not a credential.
      '<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken></ListBucketResult>',
      '<ContinuationToken>abc</ContinuationToken><NextToken>def</NextToken>',
      'list-objects-v2 NextContinuationToken=1ueGcxLPRx1Tr ContinuationToken: abc',
      '{"nextPageToken": "CAESBggBEAEYAQ", "next_page_token": "x"} ?pageToken=abc',
      // `pass:` off a login's line, or a count or state on one; `pwd=` a working directory (a path, a word); `passwd` in prose, or naming a user.
      'pass: letmein\nuser: ci pass: skipped\nuser: ci pass: 12, fail: 0',
      'pwd=/home/etl pwd=build pwd=src/app pwd=build/out2 cwd=$(pwd)',
      // A Windows working directory, a lower-case directory's name, sudo's `; PWD=… ;` (no connection string's).
      'PWD=D:\\a\\1\\s pwd=C:\\Users\\ci2\\build\n+ pwd=build2 pwd=release-2024 pwd=app-v2',
      'Dec  7 01:00:01 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id',
      'pwd: /home/etl\nPWD: build dir for v2 2024\n{"pwd":"/srv/app","PWD":"C:\\\\ci\\\\release-2024"}\nGET /x?pwd=/srv',
      'passwd changed for user bob\nuser=bob passwd changed\npasswd bob',
      // The passwd command run on a user (sudo's own line, a path, a quoted command line), or a user's name before prose.
      'Dec  7 01:00:01 web1 sudo:    alice : TTY=pts/0 ; USER=root ; COMMAND=/usr/bin/passwd deploy01',
      // passwd(1)'s and chpasswd(8)'s own messages: prose, not a password.
      'passwd: all authentication tokens updated successfully.\npasswd: Authentication token manipulation error',
      'chpasswd: 3 users updated, passwd file ok\ngpasswd: user bob added\necho bob:x | tee users.txt; chpasswd < users.txt',
      "+ echo bob:Hunter2Pass\nprintf '%s\\n' bob:Hunter2Pass | tee users.txt; chpasswd < users.txt",
      'user=root cmd="passwd jenkins2"\nuser=root cmd=passwd jenkins2\nuser=bob passwd expired2024 policy',
    ],
    redacted: [
      // A bare `pass:` on a login's line (a user's label, with `=` or `:`) goes as `pass=` does; `pwd=` that looks like a credential; Rails' `secret_key_base`.
      ['login user=bob pass: letmein\nusername: admin pass: letmein', `login user=bob pass: ${M('secret-assignment')}\nusername: admin pass: ${M('secret-assignment')}`],
      ['login user: admin password: hunter2', `login user: admin password: ${M('secret-assignment')}`],
      ['connect host=db pwd=Secr3t! user=etl', `connect host=db pwd=${M('secret-assignment')} user=etl`],
      ['secret_key_base=abcdef0123456789abcdef SECRET_KEY_BASE: abcdef0123456789', `secret_key_base=${M('secret-assignment')} SECRET_KEY_BASE: ${M('secret-assignment')}`],
      // A passwd command given a value that looks like a credential, on a login's or chpasswd's line.
      ['login user=bob passwd hunter22', `login user=bob passwd ${M('secret-assignment')}`],
      ["echo 'bob:Hunter2Pass' | chpasswd; echo deploy:letmein|sudo chpasswd", `echo 'bob:${M('secret-assignment')}' | chpasswd; echo deploy:${M('secret-assignment')}|sudo chpasswd`],
      ['passwd: Hunter2Pass\n  passwd: correct horse battery staple\nDB_PASSWD=s3cret rootpasswd=s3cret', `passwd: ${M('secret-assignment')}\n  passwd: ${M('secret-assignment')}\nDB_PASSWD=${M('secret-assignment')} rootpasswd=${M('secret-assignment')}`],
      ['user=bob passwd hunter22 host=db; user=bob passwd "two words" policy', `user=bob passwd ${M('secret-assignment')} host=db; user=bob passwd "${M('secret-assignment')}" policy`],
      ['chpasswd < users.txt; passwd Hunter2Pass', `chpasswd < users.txt; passwd ${M('secret-assignment')}`],
      // chpasswd run by sudo with options or by its path, fed by printf or a here-string.
      ["echo 'bob:Hunter2Pass' | sudo -n chpasswd\necho 'bob:Hunter2Pass' | /usr/sbin/chpasswd", `echo 'bob:${M('secret-assignment')}' | sudo -n chpasswd\necho 'bob:${M('secret-assignment')}' | /usr/sbin/chpasswd`],
      ["printf '%s\\n' 'bob:Hunter2Pass' | chpasswd\nchpasswd <<< \"bob:Hunter2Pass\"", `printf '%s\\n' 'bob:${M('secret-assignment')}' | chpasswd\nchpasswd <<< "bob:${M('secret-assignment')}"`],
      // Before a status word only a plain lower-case word is a user's name: one in mixed case is a password.
      ['login user=bob passwd Hunter2Pass rejected\nuser=root passwd Xk9pL2mq4 failed', `login user=bob passwd ${M('secret-assignment')} rejected\nuser=root passwd ${M('secret-assignment')} failed`],
      // logfmt's `pass=` (the JSON key `pass` is a secret-field already).
      ['login failed: user=admin pass=hunter22', `login failed: user=admin pass=${M('secret-assignment')}`],
      ['GET /login?user=bob&pass=S3cr3t&next=/', `GET /login?user=bob&pass=${M('secret-assignment')}&next=/`],
      // Judged by what comes before a `,`, `;` or `|`; a `/` may be a password's (base64).
      ['pass=hunter22;retry=1', `pass=${M('secret-assignment')}`],
      ['user=etl pass=aB3/xYz9+Qw==', `user=etl pass=${M('secret-assignment')}`],
      ['pass=correcthorsebatterystaple', `pass=${M('secret-assignment')}`],
      // A `,`, `;` or `|` splits off a count only before another `name=`: else it is the password's, judged whole.
      ['login failed user=etl pass=ab;Xk9pL2mq4Zr', `login failed user=etl pass=${M('secret-assignment')}`],
      ['pass=x7,Kq2;Lm9pZr4T', `pass=${M('secret-assignment')}`],
      ['pass=p|ssw0rd99', `pass=${M('secret-assignment')}`],
      ['GET /login?user=bob&pass=Tr0ub;4dor&next=/', `GET /login?user=bob&pass=${M('secret-assignment')}&next=/`],
      // A plain lower-case word is a password when it looks like one or on a login's line (a user's label, no counts); in a query string anything is (a number too).
      ['user=admin pass=letmein pass=opensesame', `user=admin pass=${M('secret-assignment')} pass=${M('secret-assignment')}`],
      ['pass=12;Xk9pL2mq4Zr', `pass=${M('secret-assignment')}`],
      ['pass=12|hunter2', `pass=${M('secret-assignment')}`],
      ['rustc pass=hunter2 mysql pass=Summer2024', `rustc pass=${M('secret-assignment')} mysql pass=${M('secret-assignment')}`],
      ['login failed user=admin pass=password', `login failed user=admin pass=${M('secret-assignment')}`],
      ['pass=123456 login=admin', `pass=${M('secret-assignment')} login=admin`],
      ['GET /login?user=bob&pass=letmein&next=/ ?pass=qwerty', `GET /login?user=bob&pass=${M('secret-assignment')}&next=/ ?pass=${M('secret-assignment')}`],
      // Azure's `--account-key=KEY`, as `--secret-key=KEY`; a key starting with `/` is no key file's path.
      [`az storage blob list --account-name acme --account-key=${AZURE_KEY_SLASH.replace('/', 'Q')}`, `az storage blob list --account-name acme --account-key=${M('secret-assignment')}`],
      [`az storage blob list --account-key=${AZURE_KEY_SLASH}`, `az storage blob list --account-key=${M('secret-assignment')}`],
      [`deploy --private-key=/${PEM_BODY} private_key: /${PEM_BODY}`, `deploy --private-key=${M('secret-assignment')} private_key: ${M('secret-assignment')}`],
      ['PASS="hunter22" ./deploy.sh', `PASS="${M('secret-assignment')}" ./deploy.sh`],
      ['{\\"user\\":\\"bob\\",\\"pass\\":\\"hunter22\\"}', `{\\"user\\":\\"bob\\",\\"pass\\":\\"${M('secret-assignment')}\\"}`],
      ['pass: hunter22', `pass: ${M('secret-assignment')}`],
      ['password=hunter2 user=bob', `password=${M('secret-assignment')} user=bob`],
      ['DB_PASSWORD: "my secret pass"', `DB_PASSWORD: "${M('secret-assignment')}"`],
      ['{"password": "hunter2", "user": "bob"}', `{"password": "${M('secret-assignment')}", "user": "bob"}`],
      ['{\\"password\\":\\"hunter2\\"}', `{\\"password\\":\\"${M('secret-assignment')}\\"}`],
      // A quoted value runs over the escapes in it to its closing quote: `\u00e4`, `\"`, and, inside
      // JSON text within JSON text, their doubled forms (`\\u00e4`, `\\\"`).
      ['{"db_password":"p\\u00e4ss-Hunter2","user":"bob"}', `{"db_password":"${M('secret-assignment')}","user":"bob"}`],
      ['{"token":"abc\\"def-Hunter2","n":1}', `{"token":"${M('secret-assignment')}","n":1}`],
      ['{"token":"abc\\\\","n":1}', `{"token":"${M('secret-assignment')}","n":1}`],
      ['{"password": "it\'s-Hunter2"}', `{"password": "${M('secret-assignment')}"}`],
      ['{\\"db_password\\":\\"p\\\\u00e4ss\\\\\\"x-Hunter2\\",\\"user\\":\\"bob\\"}', `{\\"db_password\\":\\"${M('secret-assignment')}\\",\\"user\\":\\"bob\\"}`],
      ['{\\"token\\":\\"abc\\u00e4def-Hunter2\\"}', `{\\"token\\":\\"${M('secret-assignment')}\\"}`],
      // Unquoted, after `=` or `:`: over an escape, but not over an escaped line break.
      ['"cmd":"run password=p\\u00e4ss-Hunter2 user=bob"', `"cmd":"run password=${M('secret-assignment')} user=bob"`],
      ['"msg":"password=Hunter2\\nuser=bob"', `"msg":"password=${M('secret-assignment')}\\nuser=bob"`],
      ['"msg":"password: p\\u00e4ss Hunter2\\nuser: bob"', `"msg":"password: ${M('secret-assignment')}\\nuser: bob"`],
      ['GET /x?api_key=abc&token=def&page=2', `GET /x?api_key=${M('secret-assignment')}&token=${M('secret-assignment')}&page=2`],
      ["client_secret='s3cr3t'", `client_secret='${M('secret-assignment')}'`],
      ['Authorization: token0123456789', `Authorization: ${M('secret-assignment')}`],
      ['X-Api-Key: abcd1234', `X-Api-Key: ${M('secret-assignment')}`],
      ['private_key=abc', `private_key=${M('secret-assignment')}`],
      // After a colon the value may hold spaces: it runs to the end of the line (or a quote).
      ['password: correct horse battery staple', `password: ${M('secret-assignment')}`],
      ['password: correct horse  \nuser: bob', `password: ${M('secret-assignment')}  \nuser: bob`],
      ['Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261003, Signature=fe5f80f77d5f', `Authorization: ${M('secret-assignment')}`],
      // … but not over another rule's marker, which stays.
      ['client_secret: abc def | Cookie: sid=1', `client_secret: ${M('secret-assignment')} ${M('cookie')}`],
      ['SSHPASS=Hunter2Secret sshpass -e ssh host', `SSHPASS=${M('secret-assignment')} sshpass -e ssh host`],
      ['MYSQL_PWD=Hunter2Secret mysqldump appdb', `MYSQL_PWD=${M('secret-assignment')} mysqldump appdb`],
      // `=>` and `:=` separate a label from its value too (Ruby's Hash#inspect, PHP and Perl arrays, Go and Pascal).
      ['{"user"=>{"email"=>"a@b.c", "password"=>"hunter2"}}', `{"user"=>{"email"=>"a@b.c", "password"=>"${M('secret-assignment')}"}}`],
      ['{:password => "hunter2"}', `{:password => "${M('secret-assignment')}"}`],
      ["array('password' => 'hunter2')", `array('password' => '${M('secret-assignment')}')`],
      ['token => abc123def', `token => ${M('secret-assignment')}`],
      ['password=>hunter2', `password=>${M('secret-assignment')}`],
      ['api_key := "abc123"', `api_key := "${M('secret-assignment')}"`],
      // A label in brackets: PHP's print_r, form fields, also URL-encoded.
      ['    [password] => hunter2', `    [password] => ${M('secret-assignment')}`],
      ['user[password]=hunter2&user[email]=a', `user[password]=${M('secret-assignment')}&user[email]=a`],
      ['user%5Bpassword%5D=hunter2', `user%5Bpassword%5D=${M('secret-assignment')}`],
      // Env names ending in `_PASS`/`_PWD`, a connection string's `Pwd=`, XML elements, URL-encoded `=`.
      ['DB_PASS=s3cret ./run.sh', `DB_PASS=${M('secret-assignment')} ./run.sh`],
      ['REDIS_PWD=s3cret', `REDIS_PWD=${M('secret-assignment')}`],
      ['MYSQL_PASS=s3cret', `MYSQL_PASS=${M('secret-assignment')}`],
      // A quoted label in brackets (PHP, Python); `_PASS` after a colon, as an upper-case env name or a JSON key.
      ["$db['default']['password'] = 'hunter2';", `$db['default']['password'] = '${M('secret-assignment')}';`],
      ['settings["password"] = "hunter2"', `settings["password"] = "${M('secret-assignment')}"`],
      ['os.environ["DB_PASSWORD"] = "s3cret"', `os.environ["DB_PASSWORD"] = "${M('secret-assignment')}"`],
      ['DB_PASS: s3cret', `DB_PASS: ${M('secret-assignment')}`],
      // A YAML key ending in `_pass`, in lower case, starting its line (also in a list, and in JSON text).
      ['db_pass: s3cret', `db_pass: ${M('secret-assignment')}`],
      ['database:\n  - db_pass: s3cret\n    smoke_pass: ok', `database:\n  - db_pass: ${M('secret-assignment')}\n    smoke_pass: ok`],
      ['  smtp_pass: "s3cret"', `  smtp_pass: "${M('secret-assignment')}"`],
      ['{"msg":"config:\\n  db_pass: s3cret"}', `{"msg":"config:\\n  db_pass: ${M('secret-assignment')}"}`],
      // A name saying whose password it is, and in any other name a lone word that looks like a credential.
      ["db_pass: 's3 cret'\nmysql_root_pass: complete", `db_pass: '${M('secret-assignment')}'\nmysql_root_pass: ${M('secret-assignment')}`],
      ['app_pass: Xk9pL2mq7\nweb_pass: "Xk9pL2mq7"', `app_pass: ${M('secret-assignment')}\nweb_pass: "${M('secret-assignment')}"`],
      // After a level or a logger's name, a lone word that looks like a credential, or a credential after a scheme, is one.
      ['[INFO] password: hunter2\nINFO token: abc123def', `[INFO] password: ${M('secret-assignment')}\nINFO token: ${M('secret-assignment')}`],
      ['INFO credentials: AKIAIOSFODNN7EXAMPLE', `INFO credentials: ${M('aws-access-key')}`],
      // A user then a password after a logger's word is no prose, whatever its first word.
      ['[INFO] credentials: admin s3cr3tP4ss', `[INFO] credentials: ${M('secret-assignment')}`],
      ['INFO credentials: admin / Passw0rd!\nWARN token: deploy hunter2024', `INFO credentials: ${M('secret-assignment')}\nWARN token: ${M('secret-assignment')}`],
      ['DEBUG app.auth.token: eyJhbGciOiJIUzI1NiJ9\nINFO vault.token: s.Xk9pL2mq7Zr', `DEBUG app.auth.token: ${M('secret-assignment')}\nINFO vault.token: ${M('secret-assignment')}`],
      ['INFO app.token: HunterPassword\nDEBUG http.authorization: token abc123def more', `INFO app.token: ${M('secret-assignment')}\nDEBUG http.authorization: token ${M('secret-assignment')} more`],
      // A dotted config key is no logger's name, with no level before it, nor one whose last word no logger's name has (a password's, a compound key).
      ['spring.datasource.password: mysecretpass\ndb.password: changeme', `spring.datasource.password: ${M('secret-assignment')}\ndb.password: ${M('secret-assignment')}`],
      ['quarkus.datasource.password: letmein\nspring.datasource.password: correct horse battery staple', `quarkus.datasource.password: ${M('secret-assignment')}\nspring.datasource.password: ${M('secret-assignment')}`],
      ['INFO app.config.api_key: somekeyvalue\nINFO app.client_secret: abcdefghijklmnop\nINFO db_password: letmein', `INFO app.config.api_key: ${M('secret-assignment')}\nINFO app.client_secret: ${M('secret-assignment')}\nINFO db_password: ${M('secret-assignment')}`],
      ['ERROR db.password: hunter rejected by server', `ERROR db.password: ${M('secret-assignment')}`],
      // …nor a password's word after a level, whatever its value; a token of letters alone, or after a scheme, after a level.
      ['INFO password: letmein\nWARN secret: opensesame\nINFO passwd: trustno\nINFO password: correct horse battery', `INFO password: ${M('secret-assignment')}\nWARN secret: ${M('secret-assignment')}\nINFO passwd: ${M('secret-assignment')}\nINFO password: ${M('secret-assignment')}`],
      ['[WARN] token: abcdefghijklmnopqrs\nINFO token: Bearer abcdefghij', `[WARN] token: ${M('secret-assignment')}\nINFO token: Bearer ${M('secret-assignment')}`],
      // …and words under a label that is no logger's name (not lower-case, not after `:` alone).
      ['INFO Password: correct horse battery\nINFO password:= correct horse', `INFO Password: ${M('secret-assignment')}\nINFO password:= ${M('secret-assignment')} horse`],
      // A Dockerfile's `ENV NAME VALUE` (no `=`): the value to the end of the line, or quoted; also in a build log and JSON text.
      ['ENV DB_PASS s3cret\nENV DB_PASSWORD correct horse', `ENV DB_PASS ${M('secret-assignment')}\nENV DB_PASSWORD ${M('secret-assignment')}`],
      ['#5 [2/3] ENV MYSQL_ROOT_PASSWORD "two words"', `#5 [2/3] ENV MYSQL_ROOT_PASSWORD "${M('secret-assignment')}"`],
      ['Step 4/9 : ENV DB_PASS s3cret\n  ENV API_KEY abc123', `Step 4/9 : ENV DB_PASS ${M('secret-assignment')}\n  ENV API_KEY ${M('secret-assignment')}`],
      // podman's and buildah's `STEP 2/3: `, kaniko's `INFO[0004] `, and a CI runner's timestamp before any of them.
      ['STEP 2/3: ENV NPM_TOKEN npm_s3cr3tT0kenValue\nINFO[0004] ENV DB_PASSWORD hunter2', `STEP 2/3: ENV NPM_TOKEN ${M('secret-assignment')}\nINFO[0004] ENV DB_PASSWORD ${M('secret-assignment')}`],
      ['2026-12-07T01:00:00.1234567Z #8 [build 3/7] ENV DB_PASSWORD hunter2', `2026-12-07T01:00:00.1234567Z #8 [build 3/7] ENV DB_PASSWORD ${M('secret-assignment')}`],
      ['2026-12-07T01:00:00Z STEP 2/3: ENV DB_PASS s3cret\n2026-12-07 01:00:01,123 INFO[0004] ENV DB_PASS s3cret', `2026-12-07T01:00:00Z STEP 2/3: ENV DB_PASS ${M('secret-assignment')}\n2026-12-07 01:00:01,123 INFO[0004] ENV DB_PASS ${M('secret-assignment')}`],
      // podman's and buildah's multi-stage `[1/2] STEP 2/5: `, a GitLab runner's timestamp and stream (`01O `), Jenkins' timestamp in brackets.
      ['[1/2] STEP 2/5: ENV NPM_TOKEN npm_abcdefghijklmnop1234\n[2/2] STEP 3/4: ENV API_KEY abcd1234efgh5678', `[1/2] STEP 2/5: ENV NPM_TOKEN ${M('secret-assignment')}\n[2/2] STEP 3/4: ENV API_KEY ${M('secret-assignment')}`],
      ['2026-12-07T01:00:00.123456Z 01O Step 4/9 : ENV DB_PASSWORD s3cr3tPassw0rd', `2026-12-07T01:00:00.123456Z 01O Step 4/9 : ENV DB_PASSWORD ${M('secret-assignment')}`],
      ['2026-12-07T01:00:00.123456Z 00E INFO[0004] ENV DB_PASSWORD s3cr3tPassw0rd', `2026-12-07T01:00:00.123456Z 00E INFO[0004] ENV DB_PASSWORD ${M('secret-assignment')}`],
      ['[2026-12-07T01:00:00.123Z] Step 4/9 : ENV DB_PASSWORD s3cr3tPassw0rd', `[2026-12-07T01:00:00.123Z] Step 4/9 : ENV DB_PASSWORD ${M('secret-assignment')}`],
      // A variable's default: the labelled rule replaces it, once.
      ['ENV NPM_TOKEN ${NPM_TOKEN:-}', `ENV NPM_TOKEN \${NPM_TOKEN:${M('secret-assignment')}`],
      ['{"CreatedBy":"/bin/sh -c #(nop)  ENV NPM_TOKEN abc123\\nENV PGPASS x"}', `{"CreatedBy":"/bin/sh -c #(nop)  ENV NPM_TOKEN ${M('secret-assignment')}\\nENV PGPASS ${M('secret-assignment')}"}`],
      // Postgres's and redis-cli's password variables.
      ['PGPASS=s3cret PGPASSWORD=s3cret pg_dump app', `PGPASS=${M('secret-assignment')} PGPASSWORD=${M('secret-assignment')} pg_dump app`],
      ['{"PGPASS": "x"} REDISCLI_AUTH=s3cret redis-cli ping', `{"PGPASS": "${M('secret-assignment')}"} REDISCLI_AUTH=${M('secret-assignment')} redis-cli ping`],
      ['{"db_pass":"s3cret","n":1}', `{"db_pass":"${M('secret-assignment')}","n":1}`],
      // After a colon the first word tells a password, which goes whole.
      ['DB_PASS: s3cret (from vault)', `DB_PASS: ${M('secret-assignment')}`],
      ['DB_PASS: correct horse battery staple', `DB_PASS: ${M('secret-assignment')}`],
      // A value with a `/` or a `$` is a password unless it is unmistakably a path or a variable.
      ['REDIS_PWD=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', `REDIS_PWD=${M('secret-assignment')}`],
      ['DB_PASS=ab12/cd34 x', `DB_PASS=${M('secret-assignment')} x`],
      ['DB_PASS=hY7k/9Qz.x2', `DB_PASS=${M('secret-assignment')}`],
      ['SMTP_PASS=abc.def/ghi', `SMTP_PASS=${M('secret-assignment')}`],
      ['DB_PASS=$3cr3tPw', `DB_PASS=${M('secret-assignment')}`],
      ['{"tests_pass": "48"}', `{"tests_pass": "${M('secret-assignment')}"}`],
      // A `_PASS` key in brackets, quoted (Python, Ruby, Node).
      ['os.environ["DB_PASS"] = "hunter2"', `os.environ["DB_PASS"] = "${M('secret-assignment')}"`],
      ["ENV['DB_PASS'] = 'hunter2'", `ENV['DB_PASS'] = '${M('secret-assignment')}'`],
      ['process.env["DB_PASS"] = "hunter2"', `process.env["DB_PASS"] = "${M('secret-assignment')}"`],
      ['config["db_pass"] = "x"', `config["db_pass"] = "${M('secret-assignment')}"`],
      // A quoted value is a password whatever it looks like (a number, a word).
      ['DB_PASS="123456"', `DB_PASS="${M('secret-assignment')}"`],
      ["export DB_PASS='2024'", `export DB_PASS='${M('secret-assignment')}'`],
      ['{"db_pass":"123456"}', `{"db_pass":"${M('secret-assignment')}"}`],
      ['Server=db;Uid=sa;Pwd=s3cret', `Server=db;Uid=sa;Pwd=${M('secret-assignment')}`],
      ['Server=db;Uid=sa;PWD=123456 pwd=Build2024x', `Server=db;Uid=sa;PWD=${M('secret-assignment')} pwd=${M('secret-assignment')}`],
      ['connect host=db pwd: Secr3t!  \n{"host":"db","pwd":"Secr3t!"}\nGET /login?user=bob&pwd=letmein', `connect host=db pwd: ${M('secret-assignment')}  \n{"host":"db","pwd":"${M('secret-assignment')}"}\nGET /login?user=bob&pwd=${M('secret-assignment')}`],
      // A lower-case `pwd` on a login's line, quoted, or in a form body is judged as `pass=` is there: not a directory's name.
      ['login user=bob pwd=hunter22\nuser=admin pwd=letmein2 host=db', `login user=bob pwd=${M('secret-assignment')}\nuser=admin pwd=${M('secret-assignment')} host=db`],
      ['POST /wp-login.php body: pwd=hunter22&log=admin', `POST /wp-login.php body: pwd=${M('secret-assignment')}&log=admin`],
      ['{"log":"admin","pwd":"hunter22"}\n{"user":"bob","pwd":"letmein"}\n{"PWD":"release-2024"}', `{"log":"admin","pwd":"${M('secret-assignment')}"}\n{"user":"bob","pwd":"${M('secret-assignment')}"}\n{"PWD":"${M('secret-assignment')}"}`],
      ['username: bob pwd: hunter22', `username: bob pwd: ${M('secret-assignment')}`],
      ['<user>bob</user><password>s3cret</password>', `<user>bob</user><password>${M('secret-assignment')}</password>`],
      ['<db_password>two words</db_password>', `<db_password>${M('secret-assignment')}</db_password>`],
      ['login?password%3Dhunter2', `login?password%3D${M('secret-assignment')}`],
      // Only a paging cursor's name is left: a session token, a token of another name, goes.
      ['<SessionToken>abc</SessionToken><NextContinuationToken>d</NextContinuationToken>', `<SessionToken>${M('secret-assignment')}</SessionToken><NextContinuationToken>d</NextContinuationToken>`],
      ['next_token_secret=abc next_refresh_token=def', `next_token_secret=${M('secret-assignment')} next_refresh_token=${M('secret-assignment')}`],
      ['password%3D"hunter2" token%3D\'abc\'', `password%3D"${M('secret-assignment')}" token%3D'${M('secret-assignment')}'`],
      // A page's access token (Facebook's) is no paging cursor.
      ['PAGE_TOKEN=EAABsbCS1iHgBAKZCZBZA9ZCZCZBZAhunter2', `PAGE_TOKEN=${M('secret-assignment')}`],
      ['{"page_token":"EAABsbCS1iHgBAKZ"}', `{"page_token":"${M('secret-assignment')}"}`],
      ['see login?password%3Dhunter2. Then', `see login?password%3D${M('secret-assignment')} Then`],
    ],
  },
};

/** Texts no rule may touch: ordinary ids, times, words. */
const QUIET_EVERYWHERE = [
  '',
  'nightly-backup-20261003T023000Z-3f9a1c',
  '3f9a1c2b4d5e6f708192a3b4c5d6e7f8',
  '123e4567-e89b-12d3-a456-426614174000',
  'd41d8cd98f00b204e9800998ecf8427e',
  '2026-10-03T02:31:07.123Z INFO uploaded 1243 objects in 412 ms',
  'arn:aws:sns:eu-west-1:123456789012:silent-audit-alerts',
  'Traceback (most recent call last):',
  'Asia/Tokyo',
];

describe('the built-in rules', () => {
  it('has a table with quiet and redacted cases for every text rule', () => {
    const textRules = BUILTIN_RULE_NAMES.filter((r) => r !== 'secret-field');
    expect(Object.keys(RULES).sort()).toEqual([...textRules].sort());
    for (const [rule, table] of Object.entries(RULES)) {
      expect(table.quiet.length, `${rule} quiet cases`).toBeGreaterThan(0);
      expect(table.redacted.length, `${rule} redacted cases`).toBeGreaterThan(0);
    }
  });

  for (const [rule, table] of Object.entries(RULES)) {
    describe(rule, () => {
      it.each(table.quiet.map((text) => [text]))('leaves %j as it is', (text) => {
        // Act, Assess
        expect(BUILTIN_REDACTOR.redactText(text)).toBe(text);
      });
      it.each(table.redacted.map(([input, output]) => [input, output]))('redacts %j', (input, output) => {
        // Act
        const once = BUILTIN_REDACTOR.redactText(input);
        // Assess: as given, and the same when redacted again (markers are left alone)
        expect(once).toBe(output);
        expect(BUILTIN_REDACTOR.redactText(once)).toBe(once);
      });
      it('is left out when disabled', () => {
        // Prepare
        const without = new Redactor({ disable_builtins: [rule] });
        // Act, Assess
        expect(without.redactText(table.redacted[0][0])).not.toContain(M(rule));
      });
    });
  }

  it.each(QUIET_EVERYWHERE.map((t) => [t]))('leaves %j as it is', (text) => {
    expect(BUILTIN_REDACTOR.redactText(text)).toBe(text);
  });

  it('catches every planted secret, with the marker of its rule', () => {
    // Prepare
    const redactor = redactorFor(validateConfig(SECRETS_CONFIG));
    for (const secret of PLANTED) {
      // Act
      const clean = redactor.redactText(secret.text);
      // Assess
      expect(leaksIn(clean), secret.text).toEqual([]);
      expect(clean, secret.text).toContain(M(secret.rule));
    }
  });

  it('redacts a private key cut by both 2 KiB excerpts', () => {
    // Prepare
    const { head, tail } = longKeyOutput();
    // Act
    const cleanHead = BUILTIN_REDACTOR.redactText(head);
    const cleanTail = BUILTIN_REDACTOR.redactText(tail);
    // Assess
    expect(cleanHead).toBe(`ERROR: key dump follows\n${M('private-key')}`);
    expect(cleanTail).toBe(`${M('private-key')}\nFATAL: done`);
  });

  it("runs no command-line rule on a line that only names credentials (botocore's, printed by every Python AWS job)", () => {
    // Prepare: every regular expression a rule replaces with, seen
    const replace = vi.spyOn(RegExp.prototype, Symbol.replace);
    const line = 'INFO:botocore Found credentials in environment variables.';
    // Act
    const clean = new Redactor().redactText(line);
    const used = replace.mock.contexts.map((pattern) => (pattern as RegExp).source);
    replace.mockRestore();
    // Assess: left as it is, without cli-password's commands (curl, a registry login) looked for
    expect(clean).toBe(line);
    expect(used.filter((source) => /curl|\)login/.test(source))).toEqual([]);
  });

  it("runs no AWS label rule on a line that only says token, but runs it on an AWS session token's label", () => {
    // Prepare: every regular expression a rule replaces with, seen
    const replace = vi.spyOn(RegExp.prototype, Symbol.replace);
    const lines = ['INFO token refreshed for 3600s', 'aws configure set aws_session_token FwoGZXIvYXdzEJr//////////wEaDNVnZ3Jz'];
    // Act
    const seen = lines.map((line) => {
      replace.mockClear();
      const clean = new Redactor().redactText(line);
      return { clean, aws: replace.mock.contexts.some((pattern) => /secret_access_key\|\(\?:aws_\)\?session_token/.test((pattern as RegExp).source)) };
    });
    replace.mockRestore();
    // Assess
    expect(seen).toEqual([
      { clean: lines[0], aws: false },
      { clean: `aws configure set aws_session_token ${M('aws-secret-key')}`, aws: true },
    ]);
  });

  it('runs no trigger scan on a line naming gzip, unzip, exp or imp with no password (a backup, a count), and still redacts zip -P, expdp, exp and imp logins', () => {
    // Prepare: every regular expression scanned with matchAll, seen; lines naming the tools with no password, and with one
    const matchAll = vi.spyOn(RegExp.prototype, Symbol.matchAll);
    const lines = ['gzip -9 /var/backups/orders.dump done, 1234567 bytes', 'unzip archive.zip -d /tmp/restore', 'imp 42 rows done', 'exp 3 of 10 done', 'timestamp 1700000000 temp 42C'];
    const commands = ['zip -r -P Hunter2024 backup.zip /srv', 'unzip -P Hunter2024 backup.zip', 'expdp system/Hunter2024@orcl', 'exp scott/Hunter2024', 'imp userid=scott/Hunter2024 file=x.dmp'];
    // Act
    const scans = lines.map((line) => {
      matchAll.mockClear();
      return { clean: new Redactor().redactText(line), scans: matchAll.mock.calls.length };
    });
    matchAll.mockRestore();
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the plain lines as they were, with no scan; every password gone
    expect(scans).toEqual(lines.map((clean) => ({ clean, scans: 0 })));
    expect(redacted.filter((text) => text.includes('Hunter2024'))).toEqual([]);
  });

  it("runs no trigger scan on a line holding : and @ with no scheme-less user:password@host (ECS JSON's @timestamp, a postfix address, an image's digest, SMTP's RCPT TO)", () => {
    // Prepare: every regular expression scanned with matchAll, seen
    const matchAll = vi.spyOn(RegExp.prototype, Symbol.matchAll);
    const lines = [
      '{"@timestamp":"2026-12-07T01:00:00.000Z","log.level":"info","message":"batch done","service.name":"etl"}',
      'Dec  7 01:00:01 web1 postfix/smtp[123]: 4F1: to=<ops@example.com>, relay=mx:25, status=sent',
      'Dec  7 01:00:00 node1 kubelet[812]: I1207 01:00:00.123 Successfully pulled image "nginx:1.25.3@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" in 1.2s',
      'Dec  7 01:00:01 mx1 postfix/smtpd[991]: > mail.example.com[1.2.3.4]: RCPT TO:<ops@example.com>',
      'connect admin:Hunter2Xy@db failed',
    ];
    // Act
    const seen = lines.map((line) => {
      matchAll.mockClear();
      return { clean: new Redactor().redactText(line), scans: matchAll.mock.calls.length };
    });
    matchAll.mockRestore();
    // Assess: the first four as they were, with no scan; the last scanned and redacted
    expect(seen.slice(0, 4)).toEqual(lines.slice(0, 4).map((clean) => ({ clean, scans: 0 })));
    expect(seen[4].clean).toBe(`connect admin:${M('url-password')}@db failed`);
    expect(seen[4].scans).toBeGreaterThan(0);
  });

  it('still runs cli-password and the labelled rule on a --creds option', () => {
    // Act, Assess
    expect(BUILTIN_REDACTOR.redactText('skopeo copy --creds bot:S3cretXy9 x --credsecret=abc12345')).toBe(`skopeo copy --creds bot:${M('cli-password')} x --credsecret=${M('secret-assignment')}`);
  });

  it("reads a login's line with spaces around = as without them (user = admin pass = letmein), its counts too", () => {
    // Prepare: a login's line and a test run's line, written with spaces around `=` and `:`
    const logins = ['user = admin pass = letmein', 'username = bob pwd = letmein', 'login = bob pass = 123456', 'USER : admin pass : letmein', 'user = root passwd hunter22'];
    const counts = ['pass = 3 of 4 tests', 'user = ci pass = 3 fail = 0', 'pass = dce fail = 0 user = ci', 'token count = 1234', 'password reset email sent', 'passwd(1) changed'];
    // Act
    const redacted = logins.map((text) => BUILTIN_REDACTOR.redactText(text));
    const quiet = counts.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: each login's password goes, as it does without the spaces; the counts and prose stay
    expect(redacted).toEqual([
      `user = admin pass = ${M('secret-assignment')}`,
      `username = bob pwd = ${M('secret-assignment')}`,
      `login = bob pass = ${M('secret-assignment')}`,
      `USER : admin pass : ${M('secret-assignment')}`,
      `user = root passwd ${M('secret-assignment')}`,
    ]);
    const unspaced = (text: string) => text.replace(/ = /g, '=').replace(/ : /g, ': ');
    expect(logins.map((text) => BUILTIN_REDACTOR.redactText(unspaced(text)))).toEqual(redacted.map(unspaced));
    expect(quiet).toEqual(counts);
  });

  it("keeps a login's password redacted when its line also says failed, errors or total without a number after (login failed: user=admin pass=letmein)", () => {
    // Prepare: login lines that also carry a count word, a failure or `:=`; test-run lines whose counts are numbers
    const logins = [
      'user=admin pass=letmein failures = 3',
      'auth: user=admin pass=letmein, errors = 1, retry',
      'user=admin pass=letmein failed = true',
      'login=bob pass=123456 total = 1',
      'user=bob pwd=hunter22 errors = 2',
      'user=admin passwd Hunter2Pass total = 1',
      'user=admin pass=letmein login failed : bad password',
      'user = admin pass = letmein errors = 1',
      'login failed: user=admin pass=letmein',
      'auth failed: user = admin pass = letmein',
      'user := admin pass := letmein',
    ];
    const runs = ['pass=3 fail=0 user=ci', 'user = ci pass = 3 fail = 0', 'pass = dce fail = 0 user = ci', 'pass=first skipped=1 total=4 user=ci', 'user=ci pass=12 fail=0 skip=1'];
    // Act
    const redacted = logins.map((text) => BUILTIN_REDACTOR.redactText(text));
    const quiet = runs.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: no login's password is left in clear; a line whose counts are numbers stays a test run
    expect(redacted.filter((text) => /letmein|123456|hunter22|Hunter2Pass/.test(text))).toEqual([]);
    expect(redacted[8]).toBe(`login failed: user=admin pass=${M('secret-assignment')}`);
    expect(redacted[10]).toBe(`user := admin pass := ${M('secret-assignment')}`);
    expect(quiet).toEqual(runs);
    // …and a word after a user's label is a login's password whatever counts follow (the safe side)
    expect(BUILTIN_REDACTOR.redactText('user=ci pass=first skipped=1 total=4')).toBe(`user=ci pass=${M('secret-assignment')} skipped=1 total=4`);
  });

  it("redacts a login's password after `:` when more follows it on the line (user: admin pass: letmein host: db), that word alone", () => {
    // Prepare: login lines labelled with `:`, the password followed by more words; test-run and prose lines with a user's label
    const logins = [
      'user: admin pass: letmein errors: 1',
      'user: admin, pass: letmein, host: db',
      'Connecting with user: admin pass: letmein host: db port: 5432',
      'ValueError: invalid credentials user: admin pass: letmein (attempt 2)',
      'USER: admin PASS: Hunter2024 failed: 1',
      'user: admin pass: S3cr3t!x from 10.0.0.1',
      'login user: admin pwd: hunter22 db: orders',
      'user: admin pass: letmein token: abc123XYZ789',
    ];
    const runs = ['user: ci pass: 12, fail: 0', 'user: ci pass: skipped (3 suites)', 'user: ci pass: ok all green', 'user: ci pwd: /home/ci build 42'];
    // Act
    const redacted = logins.map((text) => BUILTIN_REDACTOR.redactText(text));
    const quiet = runs.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: each password goes, what follows it stays (another secret on the line goes too); counts, states and paths stay
    const S = M('secret-assignment');
    expect(redacted).toEqual([
      `user: admin pass: ${S} errors: 1`,
      `user: admin, pass: ${S}, host: db`,
      `Connecting with user: admin pass: ${S} host: db port: 5432`,
      `ValueError: invalid credentials user: admin pass: ${S} (attempt 2)`,
      `USER: admin PASS: ${S} failed: 1`,
      `user: admin pass: ${S} from 10.0.0.1`,
      `login user: admin pwd: ${S} db: orders`,
      `user: admin pass: ${S} token: ${S}`,
    ]);
    expect(redacted.map((text) => BUILTIN_REDACTOR.redactText(text))).toEqual(redacted);
    expect(quiet).toEqual(runs);
  });

  it("reads the rest of a login line after a kept first word after `pass:`/`pwd:` (user: admin pass: ok token: …)", () => {
    // Prepare: login lines whose first word after the label is a result, a count or a path, a secret later on the line
    const lines = [
      'user: admin pass: ok token: Zx9qabcdEFGH12345678',
      'user: ci pass: 12 api_key: Zx9qabcdEFGH12345678',
      'user: ci pwd: /home/ci password: Zx9qabcdEFGH12345678',
    ];
    // Act
    const redacted = lines.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the kept word stays, the later secret goes
    const S = M('secret-assignment');
    expect(redacted).toEqual([`user: admin pass: ok token: ${S}`, `user: ci pass: 12 api_key: ${S}`, `user: ci pwd: /home/ci password: ${S}`]);
  });

  it("reads a login line again after at most 32 passwords cut short, then redacts the rest of its value whole (linear on a long line)", () => {
    // Prepare: one line of 1000 login pairs, each password cut short; and 40 lines of two pairs each
    const S = M('secret-assignment');
    const pair = 'user: admin pass: x ';
    const long = pair.repeat(1000);
    const lines = Array.from({ length: 40 }, () => `${pair}${pair}`).join('\n');
    // Act
    const redacted = BUILTIN_REDACTOR.redactText(long);
    const perLine = BUILTIN_REDACTOR.redactText(lines);
    // Assess: the line is read again 32 times (each a marker for one password), then its 33rd value goes whole,
    // so the work is at most 33 reads of the line; the count is per line: short lines keep every word after a password
    expect(redacted).toBe(`${`user: admin pass: ${S} `.repeat(32)}user: admin pass: ${S} `);
    expect(perLine).toBe(Array.from({ length: 40 }, () => `user: admin pass: ${S} user: admin pass: ${S} `).join('\n'));
  });

  it("redacts a login's password in logfmt with sorted keys, counts and pass= before user= (level=warning msg=\"login failed\" failures=3 pass=letmein user=admin)", () => {
    // Prepare: logrus' TextFormatter and structlog's sort_keys write keys in alphabetical order; test runs write no logger's fields
    const logins = [
      'time="2026-12-07T01:00:00Z" level=warning msg="login failed" failures=3 pass=letmein user=admin',
      'time="2026-12-07T01:00:00Z" level=warning msg="login failed" failed=1 pass=letmein user=admin',
      'event=auth errors=1 pass=letmein user=admin',
      'errors=1 lvl=warn pass=letmein user=admin',
    ];
    const runs = ['pass=dce fail=0 user=ci', 'pass=first skipped=1 total=4 user=ci', 'failures=0 pass=integration login=ci'];
    // Act
    const redacted = logins.map((text) => BUILTIN_REDACTOR.redactText(text));
    const quiet = runs.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: a logger's line is no test run: the password goes, the user stays; a test run's plain-word pass stays
    expect(redacted).toEqual(logins.map((text) => text.replace('pass=letmein', `pass=${M('secret-assignment')}`)));
    expect(quiet).toEqual(runs);
  });

  it("redacts a password set in SQL as MySQL's and Postgres' logs show it (IDENTIFIED BY '…', PASSWORD('…'), ALTER ROLE … PASSWORD '…')", () => {
    // Prepare: MySQL's general log and Postgres' log_statement lines setting a password; SQL and prose naming none
    const statements = [
      "2026-12-07T01:00:00Z mysqld: Query\tCREATE USER 'bob'@'%' IDENTIFIED BY 'letmein'",
      "ALTER USER 'bob'@'%' IDENTIFIED WITH caching_sha2_password BY 'Hunter2024!'; FLUSH PRIVILEGES",
      "SET PASSWORD FOR 'bob'@'localhost' = PASSWORD('letmein')",
      "set password for bob = 'It''s2024'",
      "2026-12-07 01:00:00 UTC [123] LOG:  statement: ALTER ROLE bob WITH PASSWORD 'letmein'",
      'ERROR:  role "app" already exists STATEMENT:  CREATE USER app WITH ENCRYPTED PASSWORD \'Hunter2024\'',
      "CREATE USER 'bob'@'%' IDENTIFIED BY 'letmein'",
    ];
    const quiet = ["GRANT SELECT ON db.* TO 'bob'@'%'", 'ALTER ROLE bob WITH PASSWORD NULL', "password 'expired' for account bob", "CREATE USER 'bob'@'%' IDENTIFIED BY PASSWORD", 'the password was identified by its hash'];
    // Act
    const redacted = statements.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: each password goes, its quotes and the statement stay; the rest is left as it is
    const S = M('secret-assignment');
    expect(redacted).toEqual([
      `2026-12-07T01:00:00Z mysqld: Query\tCREATE USER 'bob'@'%' IDENTIFIED BY '${S}'`,
      `ALTER USER 'bob'@'%' IDENTIFIED WITH caching_sha2_password BY '${S}'; FLUSH PRIVILEGES`,
      `SET PASSWORD FOR 'bob'@'localhost' = PASSWORD('${S}')`,
      `set password for bob = '${S}'`,
      `2026-12-07 01:00:00 UTC [123] LOG:  statement: ALTER ROLE bob WITH PASSWORD '${S}'`,
      `ERROR:  role "app" already exists STATEMENT:  CREATE USER app WITH ENCRYPTED PASSWORD '${S}'`,
      `CREATE USER 'bob'@'%' IDENTIFIED BY '${S}'`,
    ]);
    expect(redacted.map((text) => BUILTIN_REDACTOR.redactText(text))).toEqual(redacted);
    expect(quiet.map((text) => BUILTIN_REDACTOR.redactText(text))).toEqual(quiet);
  });

  it("redacts Postgres' escape-string password (PASSWORD E'…', also holding \\')", () => {
    // Prepare: log_statement lines setting a password as an escape string; one with an escaped quote inside
    const statements = ["LOG:  statement: ALTER ROLE bob WITH PASSWORD E'Hunter2024'", "CREATE USER app PASSWORD E'it\\'s S3cret'", "ALTER ROLE bob password e'a\\\\b\\'c'"];
    // Act
    const redacted = statements.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the whole string goes, over its escapes; the `E` and the quotes stay
    const S = M('secret-assignment');
    expect(redacted).toEqual([`LOG:  statement: ALTER ROLE bob WITH PASSWORD E'${S}'`, `CREATE USER app PASSWORD E'${S}'`, `ALTER ROLE bob password e'${S}'`]);
  });

  it('redacts a password on the command lines of Oracle, mongo, LDAP and Samba clients and one piped into sudo -S', () => {
    // Prepare: each client's password argument; the same commands and options giving none
    const commands = [
      'sqlplus -s system/Manager123@//db:1521/XE @report.sql',
      'url=jdbc:oracle:thin:scott/Tiger2024@//db.example.com:1521/ORCL',
      'mongo -u admin -p letmein --authenticationDatabase admin',
      'mongodump --host db -u backup -p "two words" --out /backup',
      'ldapsearch -x -D cn=admin,dc=ex,dc=com -w letmein -b dc=ex,dc=com',
      'smbclient //srv/share -U admin%letmein -c ls',
      'echo letmein | sudo -S systemctl restart app',
    ];
    const quiet = ['sqlplus / as sysdba @report.sql', 'mongo -u admin -p --authenticationDatabase admin', 'ldapsearch -x -W -b dc=ex,dc=com', 'smbclient //srv/share -U admin -c ls', 'echo done | sudo tee /tmp/x', 'mkdir -p /srv/app/logs'];
    // Act
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the password goes, the user, options and the rest stay; the commands giving none are left as they are
    const C = M('cli-password');
    expect(redacted).toEqual([
      `sqlplus -s system/${C}@//db:1521/XE @report.sql`,
      `url=jdbc:oracle:thin:scott/${C}@//db.example.com:1521/ORCL`,
      `mongo -u admin -p ${C} --authenticationDatabase admin`,
      `mongodump --host db -u backup -p "${C}" --out /backup`,
      `ldapsearch -x -D cn=admin,dc=ex,dc=com -w ${C} -b dc=ex,dc=com`,
      `smbclient //srv/share -U admin%${C} -c ls`,
      `echo ${C} | sudo -S systemctl restart app`,
    ]);
    expect(redacted.map((text) => BUILTIN_REDACTOR.redactText(text))).toEqual(redacted);
    expect(quiet.map((text) => BUILTIN_REDACTOR.redactText(text))).toEqual(quiet);
  });

  it("takes no `...` or `…` for an Oracle password, nor a thin URL's word without `@` after it (a shortened job name's `thin:scott/... #d9cd44`)", () => {
    // Prepare: shortened names ending after a user's `/`, a thin URL with no `@` after its password; a JDBC job name through the SNS sink's path
    const quiet = [
      'java -jar etl.jar --url jdbc:oracle:thin:scott/... #d9cd44 (3 in a row)',
      'jdbc:oracle:thin:scott/… #d9cd44',
      'sqlplus -s scott/... #d9cd44',
      "sqlplus scott/'…' @report.sql",
      'jdbc:oracle:thin:scott/Tiger2024 is the shape',
    ];
    const name = BUILTIN_REDACTOR.redactText('java -jar etl.jar --url jdbc:oracle:thin:scott/Tiger2024xyz@//db.example.com:1521/ORCLPDB1 --table orders_fact');
    // Act
    const redacted = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    const title = fitSubject('[CRITICAL] run-failed: ', name, '(3 in a row)');
    const subject = snsSubject((BUILTIN_REDACTOR.redactValue({ title }) as { title: string }).title);
    // Assess: each stays; the Subject keeps its tag and the count, and sqlplus' local login still loses its password
    expect(redacted).toEqual(quiet);
    expect(subject).toBe(title);
    expect(subject).toMatch(/ #[0-9a-f]{6} \(3 in a row\)$/);
    expect(BUILTIN_REDACTOR.redactText('sqlplus scott/tiger @report.sql')).toBe(`sqlplus scott/${M('cli-password')} @report.sql`);
  });

  it("reads a port mapping after `-p` as no mongo password (docker run --name mongo -p 27017:27017), and a mongo client's `-p` word as one", () => {
    // Prepare: docker starting a container named mongo, its port mapped; mongo's clients run at a command's place (after a path, a prompt, `&&`, `|`, `;`, exec, xtrace's `+`)
    const quiet = [
      'docker run -d --name mongo -p 27017:27017 mongo:6',
      'docker run --rm --name mongo -v /data:/data/db -p 27017:27017 mongo:7',
      'podman run -d --name mongo -p 127.0.0.1:27017:27017/tcp mongo',
      'mongo --host db -p 27017:27017',
    ];
    const commands = [
      '/usr/bin/mongodump -u backup -p letmein --out /backup',
      '$ mongo -u admin -p letmein',
      'cd /srv && mongorestore -u admin -p letmein dump/',
      'cat q.js | mongosh -u admin -p letmein',
      'set -e; mongoexport -u admin -p letmein -c orders',
      'exec mongo -u admin -p letmein',
      '+ mongodump -u backup -p letmein',
    ];
    // Act
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the port mappings stay; each client's password goes
    expect(kept).toEqual(quiet);
    expect(redacted.filter((text) => text.includes('letmein'))).toEqual([]);
    expect(redacted[1]).toBe(`$ mongo -u admin -p ${M('cli-password')}`);
  });

  it("redacts Oracle's unquoted password after IDENTIFIED BY in a user's statement (ALTER USER scott IDENTIFIED BY tiger;)", () => {
    // Prepare: Oracle's statements with an unquoted password, as sqlplus spools echo them; prose and MySQL's forms giving none
    const statements = [
      'ALTER USER scott IDENTIFIED BY tiger;',
      'SQL> alter user system identified by Manager123 account unlock;',
      'CREATE USER app IDENTIFIED BY Secr3t DEFAULT TABLESPACE users',
      'GRANT CONNECT TO scott IDENTIFIED BY tiger',
    ];
    const quiet = ['the password was identified by its hash', "CREATE USER 'bob'@'%' IDENTIFIED BY PASSWORD", 'ALTER USER scott IDENTIFIED EXTERNALLY', 'the user was identified by name'];
    // Act
    const redacted = statements.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the password goes, the rest of the statement stays
    const S = M('secret-assignment');
    expect(redacted).toEqual([
      `ALTER USER scott IDENTIFIED BY ${S};`,
      `SQL> alter user system identified by ${S} account unlock;`,
      `CREATE USER app IDENTIFIED BY ${S} DEFAULT TABLESPACE users`,
      `GRANT CONNECT TO scott IDENTIFIED BY ${S}`,
    ]);
    expect(kept).toEqual(quiet);
  });

  it("redacts every password of an Oracle list of roles or users (SET ROLE r1 IDENTIFIED BY p1, r2 IDENTIFIED BY p2)", () => {
    // Prepare: SET ROLE and GRANT lists, unquoted and quoted passwords mixed; prose with a comma before `identified by`
    const statements = [
      'SET ROLE r1 IDENTIFIED BY Hunter2a, r2 IDENTIFIED BY Secret9b',
      'SQL> set role r1 identified by "Pw 1", r2 identified by Secret9b, r3 identified by Third3c;',
      'GRANT CONNECT TO u1 IDENTIFIED BY Hunter2a,u2 IDENTIFIED BY Secret9b',
    ];
    const quiet = ['the hash was checked, key identified by fingerprint ab12cd'];
    // Act
    const redacted = statements.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: each password goes, the commas and the roles stay
    const S = M('secret-assignment');
    expect(redacted).toEqual([
      `SET ROLE r1 IDENTIFIED BY ${S}, r2 IDENTIFIED BY ${S}`,
      `SQL> set role r1 identified by "${S}", r2 identified by ${S}, r3 identified by ${S};`,
      `GRANT CONNECT TO u1 IDENTIFIED BY ${S},u2 IDENTIFIED BY ${S}`,
    ]);
    expect(kept).toEqual(quiet);
  });

  it("redacts a GRANT's password behind a log's prefix on its line (timestamp, [level], ORA-01917:)", () => {
    // Prepare: GRANT … TO name IDENTIFIED BY behind timestamps, a bracketed level, an error's code; prose behind a prefix
    const statements = [
      '2026-12-07 01:00:00 GRANT CONNECT TO bob IDENTIFIED BY Hunter22',
      '[2026-12-07T01:00:00Z] [INFO] grant connect, resource to bob identified by Hunter22;',
      '2026-12-07T01:00:00.123Z ORA-01917: GRANT CONNECT TO bob IDENTIFIED BY Hunter22',
    ];
    const quiet = ['2026-12-07 01:00:00 failed to connect to peer identified by fingerprint ab12cd'];
    // Act
    const redacted = statements.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the password goes, the prefix and the statement stay
    const S = M('secret-assignment');
    expect(redacted).toEqual([
      `2026-12-07 01:00:00 GRANT CONNECT TO bob IDENTIFIED BY ${S}`,
      `[2026-12-07T01:00:00Z] [INFO] grant connect, resource to bob identified by ${S};`,
      `2026-12-07T01:00:00.123Z ORA-01917: GRANT CONNECT TO bob IDENTIFIED BY ${S}`,
    ]);
    expect(kept).toEqual(quiet);
  });

  it("redacts a GRANT's password behind a bare level, Python's logging prefix, syslog's prefix and a time with a tab", () => {
    // Prepare: GRANT … TO name IDENTIFIED BY behind the prefixes common loggers write; prose behind the same prefixes
    const statements = [
      '2026-12-07 01:00:00 INFO GRANT CONNECT TO bob IDENTIFIED BY Hunter22',
      '2026-12-07 01:00:00,123 - INFO - GRANT CONNECT TO bob IDENTIFIED BY Hunter22',
      '[2026-12-07 01:00:00,123] INFO GRANT CONNECT TO bob IDENTIFIED BY Hunter22',
      'Dec  7 01:00:00 host oracle: GRANT CONNECT TO bob IDENTIFIED BY Hunter22',
      'Dec  7 01:00:00 db1 sqlplus[4242]: GRANT CONNECT TO bob IDENTIFIED BY Hunter22',
      '2026-12-07\t01:00:00\tGRANT CONNECT TO bob IDENTIFIED BY Hunter22',
    ];
    const quiet = ['2026-12-07 01:00:00 INFO failed to connect to peer identified by fingerprint ab12cd', 'Dec  7 01:00:00 host sshd[1]: key identified by fingerprint ab12cd'];
    // Act
    const redacted = statements.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the password goes, the prefix and the statement stay
    const S = M('secret-assignment');
    expect(redacted).toEqual(statements.map((text) => text.replace('Hunter22', S)));
    expect(kept).toEqual(quiet);
  });

  it("redacts a GRANT's password behind a hyphenated Python logger, glog's, Laravel's and RFC 5424's prefixes", () => {
    // Prepare: GRANT … TO name IDENTIFIED BY a plain word behind those loggers' prefixes; prose behind the same prefixes
    const statements = [
      '2026-12-07 01:00:00,123 - my-app - INFO - GRANT CONNECT TO scott IDENTIFIED BY tiger;',
      'I1207 01:00:00.123456 4242 db.go:42] GRANT CONNECT TO scott IDENTIFIED BY tiger;',
      '[2026-12-07 01:00:00] local.INFO: GRANT CONNECT TO scott IDENTIFIED BY tiger;',
      '<134>1 2026-12-07T01:00:00.000Z host app 4242 - - GRANT CONNECT TO scott IDENTIFIED BY tiger;',
      '<134>1 2026-12-07T01:00:00Z db1 oracle 4242 ID47 [exampleSDID@32473 iut="3"] GRANT CONNECT TO scott IDENTIFIED BY tiger;',
    ];
    const quiet = [
      'I1207 01:00:00.123456 4242 db.go:42] grant issued to the user identified by fingerprint ab12cd',
      '<134>1 2026-12-07T01:00:00.000Z host app 4242 - - failed to connect to peer identified by fingerprint ab12cd',
    ];
    // Act
    const redacted = statements.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the password goes, the prefix and the statement stay
    const S = M('secret-assignment');
    expect(redacted).toEqual(statements.map((text) => text.replace('tiger', S)));
    expect(kept).toEqual(quiet);
  });

  it("redacts Oracle's old password after REPLACE (ALTER USER u IDENTIFIED BY new REPLACE old)", () => {
    // Prepare: the old password unquoted, quoted, and after a quoted new one; REPLACE after prose's `identified by`
    const statements = ['ALTER USER u IDENTIFIED BY Newpw2024 REPLACE Oldpw2023;', 'alter user u identified by "New pw" replace "Old pw"', "ALTER USER u IDENTIFIED BY 'Newpw2024' REPLACE Oldpw2023"];
    const quiet = ['the key identified by ab12 REPLACE cd34'];
    // Act
    const redacted = statements.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: both passwords go, their quotes stay
    const S = M('secret-assignment');
    expect(redacted).toEqual([`ALTER USER u IDENTIFIED BY ${S} REPLACE ${S};`, `alter user u identified by "${S}" replace "${S}"`, `ALTER USER u IDENTIFIED BY '${S}' REPLACE ${S}`]);
    expect(kept).toEqual(quiet);
  });

  it('redacts the passwords of ldappasswd -s/-a, net ads -U, expdp/impdp/exp/imp user/pw, printf or echo into sudo -S (with options), zip -P and htpasswd -b', () => {
    // Prepare: each command with its password; the same commands and options giving none
    const commands = [
      'ldappasswd -x -D cn=admin,dc=ex -w Adm1nPw -a Old2023pw -s New2024pw uid=bob,dc=ex',
      'net ads join -U admin%Hunter2024',
      'net rpc user add bob -Uadmin%Hunter2024 -S dc1',
      'expdp system/Manager1@orcl schemas=hr directory=d',
      'impdp scott/Tiger2024@db dumpfile=x.dmp',
      'exp scott/Tiger2024 file=x.dmp',
      'imp userid=scott/Tiger2024@db file=x.dmp',
      "printf 'Hunter2024\\n' | sudo -S apt-get update",
      "printf '%s\\n' 'Hunter2024' | sudo -S true",
      'echo Hunter2024 | sudo -u root -S systemctl restart app',
      'echo Hunter2024 | sudo --user=root --stdin true',
      'echo Hunter2024 | sudo -Su root true',
      'zip -r -P Hunter2024 backup.zip /srv',
      'unzip -P Hunter2024 backup.zip',
      'htpasswd -b /etc/nginx/.htpasswd bob Hunter2024',
      'htpasswd -bB -C 12 /etc/nginx/.htpasswd bob "two words"',
      'htpasswd -nb bob Hunter2024 | tee -a users',
    ];
    const quiet = ['ldapsearch -x -s sub -b dc=ex uid=bob', 'ldappasswd -x -D cn=admin -W -S uid=bob', 'net ads join -U admin', 'sqlplus / as sysdba', 'gzip -P 3 file', 'htpasswd -c /etc/nginx/.htpasswd bob', 'echo done | sudo -u root tee x', 'exp 2 of 3 done'];
    // Act
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: no password is left; users, files, options and a printf's \n stay
    const C = M('cli-password');
    expect(redacted.filter((text) => /Hunter2024|Adm1nPw|Old2023pw|New2024pw|Manager1|Tiger2024|two words/.test(text))).toEqual([]);
    expect(redacted[0]).toBe(`ldappasswd -x -D cn=admin,dc=ex -w ${C} -a ${C} -s ${C} uid=bob,dc=ex`);
    expect(redacted[1]).toBe(`net ads join -U admin%${C}`);
    expect(redacted[6]).toBe(`imp userid=scott/${C}@db file=x.dmp`);
    expect(redacted[7]).toBe(`printf '${C}\\n' | sudo -S apt-get update`);
    expect(redacted[9]).toBe(`echo ${C} | sudo -u root -S systemctl restart app`);
    expect(redacted[15]).toBe(`htpasswd -bB -C 12 /etc/nginx/.htpasswd bob "${C}"`);
    expect(redacted[16]).toBe(`htpasswd -nb bob ${C} | tee -a users`);
    expect(kept).toEqual(quiet);
  });

  it("redacts redis' AUTH password (AUTH pw, AUTH user pw, MONITOR's \"AUTH\" \"user\" \"pw\"), not SMTP's mechanism or prose", () => {
    // Prepare: redis-cli's prompt, a JSON field, MONITOR's output; SMTP's AUTH LOGIN, prose after AUTH, OAUTH
    const commands = ['127.0.0.1:6379> AUTH Hunter2024', 'redis> AUTH default Hunter2024', '1700000000.123 [0 127.0.0.1:5000] "AUTH" "default" "Hunter2024"', '{"cmd":"AUTH Hunter2024","rc":1}'];
    const quiet = ['250-AUTH LOGIN', 'AUTH failed for user bob', 'OAUTH token refreshed', 'AUTH'];
    // Act
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the password goes, the user and the quotes stay
    const S = M('secret-assignment');
    expect(redacted).toEqual([`127.0.0.1:6379> AUTH ${S}`, `redis> AUTH default ${S}`, `1700000000.123 [0 127.0.0.1:5000] "AUTH" "default" "${S}"`, `{"cmd":"AUTH ${S}","rc":1}`]);
    expect(kept).toEqual(quiet);
  });

  it("leaves compose's -p (its project's name) after a compose option's value named mongo (docker compose --profile mongo -p myproject up)", () => {
    // Prepare: compose's global options with a value `mongo` before its `-p`; mongo's clients run by compose after them
    const quiet = ['docker compose --profile mongo -p myproject up -d', 'docker-compose --profile mongo --env-file .env -p myproject up'];
    const commands = ['docker compose --profile mongo exec mongo mongosh -p S3cretPw', 'docker compose --profile mongo -p proj exec db mongosh -u root -p S3cretPw'];
    // Act
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the project's name stays; a client's -p after compose's subcommand still goes
    const C = M('cli-password');
    expect(kept).toEqual(quiet);
    expect(redacted).toEqual([`docker compose --profile mongo exec mongo mongosh -p ${C}`, `docker compose --profile mongo -p proj exec db mongosh -u root -p ${C}`]);
  });

  it("leaves compose's -p after a compose option given mongo with = (docker compose --profile=mongo -p myproject up)", () => {
    // Prepare: the option's value glued with =; a client's -p after compose's subcommand
    const quiet = ['docker compose --profile=mongo -p myproject up -d', 'docker-compose -f x.yml --profile=mongo --project-name=p -p myproject up'];
    const command = 'docker compose --profile=mongo exec mongo mongosh -p S3cretPw';
    // Act
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    const redacted = BUILTIN_REDACTOR.redactText(command);
    // Assess: the project's name stays; the client's password goes
    expect(kept).toEqual(quiet);
    expect(redacted).toBe(`docker compose --profile=mongo exec mongo mongosh -p ${M('cli-password')}`);
  });

  it("reads a value piped to sudo as its password only when -S follows sudo's own options (a value only after one that takes it), not a command's -S or --stdin-fd", () => {
    // Prepare: the data piped to a command sudo runs, whose own -S follows; sudo's options with and without values before its -S
    const quiet = ['echo hello | sudo -n sort -S 50%', 'echo data | sudo -E ./import.sh -S', 'echo data | sudo --stdin-fd 3 true', 'echo x | sudo -i sort -S 1G'];
    const commands = ['echo Hunter2024 | sudo -u root -S true', 'echo Hunter2024 | sudo -n -g wheel -S true', 'echo Hunter2024 | sudo -E --user=root --stdin true', 'echo Hunter2024 | sudo -k -p pw: -S true', 'echo Hunter2024 | sudo -Su root true'];
    // Act
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the piped data stays; every password goes
    expect(kept).toEqual(quiet);
    expect(redacted.filter((text) => text.includes('Hunter2024'))).toEqual([]);
  });

  it("redacts ldappasswd's and zip's passwords glued to their option (-sNewPw22, -PZpass99, -P\"Zpass99\")", () => {
    // Prepare: glued values, quoted or not; the same options with no value or reading from stdin
    const commands = ['ldappasswd -x -D cn=admin -w Adm1nPw22 -sNewPw22 uid=bob', 'ldappasswd -x -D cn=admin -wAdm1nPw22 -aOldPw22 -s NewPw22 uid=bob', 'zip -PZpass99 -r b.zip d', 'zip -r -P"Zpass99" b.zip d', 'unzip -PZpass99 b.zip'];
    const quiet = ['ldappasswd -x -D cn=admin -W -S uid=bob', 'zip -q -r -P - backup.zip dir', 'ldapsearch -x -sone -b dc=x'];
    // Act
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: every password goes, the options stay
    const C = M('cli-password');
    expect(redacted.filter((text) => /Adm1nPw22|NewPw22|OldPw22|Zpass99/.test(text))).toEqual([]);
    expect(redacted[0]).toBe(`ldappasswd -x -D cn=admin -w ${C} -s${C} uid=bob`);
    expect(redacted[2]).toBe(`zip -P${C} -r b.zip d`);
    expect(kept).toEqual(quiet);
  });

  it('redacts an ACL login with a lower-case password after a bare AUTH, echoed into redis-cli or fed by <<< (AUTH app secretpw)', () => {
    // Prepare: Redis 6 ACL logins whose password is a plain lower-case word (2ef9386 reverted a prose exception that kept these)
    const commands = ['AUTH app secretpw', 'echo "AUTH app secretpw" | redis-cli', 'redis-cli <<< "AUTH app letmein"'];
    // Act
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the password goes, the user stays
    const S = M('secret-assignment');
    expect(redacted).toEqual([`AUTH app ${S}`, `echo "AUTH app ${S}" | redis-cli`, `redis-cli <<< "AUTH app ${S}"`]);
  });

  it("redacts redis' AUTH only where a command starts (a line or step, redis-cli's prompt, after redis-cli's options, MONITOR's quotes), keeping AUTH in prose and a log's error keyword", () => {
    // Prepare: AUTH as redis' command (also lower-case after a prompt or redis-cli); AUTH inside prose, before a status word or an error keyword
    const commands = ['AUTH Hunter2024', 'redis-cli -h db -p 6379 AUTH Hunter2024', '127.0.0.1:6379> auth default Hunter2024', 'redis-cli auth Hunter2024', 'cat x; AUTH Hunter2024'];
    const quiet = ['smtp relay: AUTH FATAL', 'backup: redis AUTH FATAL', 'Starting AUTH service', 'SASL AUTH disabled', '2026-12-07 01:00:00 INFO AUTH SUCCESS', 'Using AUTH mechanism PLAIN', 'AUTH FATAL', 'auth required pam_unix.so'];
    // Act
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the password goes, the user stays; prose and FATAL stay for error-keyword to find
    const S = M('secret-assignment');
    expect(redacted).toEqual([`AUTH ${S}`, `redis-cli -h db -p 6379 AUTH ${S}`, `127.0.0.1:6379> auth default ${S}`, `redis-cli auth ${S}`, `cat x; AUTH ${S}`]);
    expect(kept).toEqual(quiet);
  });

  it("keeps a status line starting with AUTH (an error keyword, a level, a status word, a code) and still redacts redis' bare AUTH password", () => {
    // Prepare: lines a service logs starting with AUTH, some holding an error keyword error-keyword must find; redis' typed AUTH
    const quiet = ['AUTH FATAL:', 'AUTH ERROR:', 'AUTH panic:', 'AUTH timeout', 'AUTH failed.', 'AUTH Exception: boom', 'AUTH 401', 'AUTH FATAL: boom', 'echo done; AUTH timeout', 'AUTH OK.', 'AUTH Segmentation fault'];
    const commands = ['AUTH Hunter2024', 'AUTH default Hunter2024', '127.0.0.1:6379> AUTH s3cret', 'redis-cli AUTH s3cret'];
    // Act
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: every status line stays whole; a credential after a bare AUTH, and any word after redis' prompt or redis-cli, goes
    const S = M('secret-assignment');
    expect(kept).toEqual(quiet);
    expect(redacted).toEqual([`AUTH ${S}`, `AUTH default ${S}`, `127.0.0.1:6379> AUTH ${S}`, `redis-cli AUTH ${S}`]);
  });

  it("redacts a bare AUTH's password whatever its shape (AUTH foobared, quoted in echo | nc, a here-string, JSON) and keeps status lines by a deny rule (KeyError:, Traceback, OOMKilled, loss=0.123)", () => {
    // Prepare: redis' common lower-case passwords after a bare AUTH, also in quoted commands; status lines a service logs starting with AUTH
    const commands = ['AUTH foobared', 'AUTH changeme', 'AUTH P@ss', 'AUTH default changeme', 'echo ok; AUTH changeme', 'echo -e "AUTH foobared\\r\\nPING\\r\\n" | nc redis 6379', 'redis-cli <<< "AUTH changeme"', 'echo "AUTH letmein" | redis-cli', '{"cmd":"AUTH foobared"}'];
    const quiet = ['AUTH FATAL:', 'AUTH ERROR:', 'AUTH timeout', 'AUTH failed.', 'AUTH 401', 'AUTH Exception: boom', 'AUTH KeyError:', 'AUTH Traceback', 'AUTH ValueError', 'AUTH OOMKilled', 'AUTH CrashLoopBackOff', 'AUTH ERR_CONNECTION_RESET', 'AUTH loss=0.123', 'AUTH step=1000', 'AUTH Segmentation fault'];
    // Act
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: no password is left; every status line stays whole
    expect(redacted.filter((text) => /foobared|changeme|P@ss|letmein/.test(text))).toEqual([]);
    expect(redacted[3]).toBe(`AUTH default ${M('secret-assignment')}`);
    expect(kept).toEqual(quiet);
  });

  it("keeps a bare AUTH's status line naming an error code, a state, a redis error, a signal or a success (AUTH ECONNREFUSED, AUTH provider unreachable) and still redacts a password", () => {
    // Prepare: failure and success lines a service logs starting with AUTH (one or two words); redis' plain passwords
    const quiet = ['AUTH ECONNREFUSED', 'AUTH ETIMEDOUT', 'AUTH ENOTFOUND', 'AUTH EHOSTUNREACH', 'AUTH EAI_AGAIN', 'AUTH down', 'AUTH offline', 'AUTH unreachable', 'AUTH locked', 'AUTH blocked', 'AUTH broken', 'AUTH restarting', 'AUTH throttled', 'AUTH outage', 'AUTH DOWN', 'AUTH WRONGPASS', 'AUTH NOAUTH', 'AUTH NOPERM', 'AUTH SIGKILL', 'AUTH SIGSEGV', 'AUTH OOM', 'AUTH 5xx', 'AUTH ldap ECONNREFUSED', 'AUTH provider unreachable', 'AUTH passed', 'AUTH accepted', 'AUTH granted', 'AUTH ready', 'AUTH up', 'AUTH running'];
    const commands = ['AUTH foobared', 'AUTH changeme', 'AUTH P@ss', 'AUTH default changeme', 'AUTH Eagle1'];
    // Act
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: every status line stays whole for the detectors; the passwords go
    const S = M('secret-assignment');
    expect(kept).toEqual(quiet);
    expect(redacted).toEqual([`AUTH ${S}`, `AUTH ${S}`, `AUTH ${S}`, `AUTH default ${S}`, `AUTH ${S}`]);
  });

  it("reads exp's and imp's user/password only as an Oracle login (a user starting with a letter, the command a word of its own or after a path, before @, the end or a parameter), not counts or paths", () => {
    // Prepare: Oracle's old export and import, run by name or path; progress counts, ratios and paths naming exp or imp
    const commands = ['exp scott/Tiger2024 file=x.dmp', '/u01/app/oracle/bin/exp scott/Tiger2024 file=x.dmp', 'imp scott/Tiger2024', 'cd /u01; imp system/Tiger2024@orcl full=y'];
    const quiet = ['Running exp 3/10 with lr=0.01', 'exp 12/40: loss', 'imp 1/3 tables', 'exp max/min ratios', 'tmp/imp foo/bar', 'exp 10/20 done', 'the imp scott/tiger tutorial'];
    // Act
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the login's password goes, the user stays; the rest is left as it is
    const C = M('cli-password');
    expect(redacted).toEqual([`exp scott/${C} file=x.dmp`, `/u01/app/oracle/bin/exp scott/${C} file=x.dmp`, `imp scott/${C}`, `cd /u01; imp system/${C}@orcl full=y`]);
    expect(kept).toEqual(quiet);
  });

  it("redacts a bare exp's or imp's login starting its step whatever its password's shape (exp scott/tiger, nohup exp system/manager &), not one in prose (Loaded exp runs/exp1)", () => {
    // Prepare: the classic Oracle logins, starting a line, after a path, nohup or a pipe, before a redirection or a pipe; experiments' paths mid-prose
    const commands = ['exp scott/tiger', 'imp scott/tiger', 'exp system/manager', '$ORACLE_HOME/bin/exp system/manager', 'exp scott/tiger > exp.log', 'exp scott/tiger | tee log', 'nohup exp scott/tiger &', 'cd /u01 && exp scott/tiger'];
    const quiet = ['Loaded exp runs/exp1', 'saving exp outputs/exp_001', 'Running exp 3/10', 'the imp scott/tiger tutorial'];
    // Act
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: no password is left, the user stays; prose stays
    const C = M('cli-password');
    expect(redacted.filter((text) => /tiger|manager/.test(text))).toEqual([]);
    expect(redacted[6]).toBe(`nohup exp scott/${C} &`);
    expect(kept).toEqual(quiet);
  });

  it("redacts a bare exp's or imp's login after a label ending in a colon (running: exp scott/tiger) whatever its password's shape", () => {
    // Prepare: the classic Oracle logins after a label; experiments' paths mid-prose, with no label before them
    const commands = ['running: exp scott/tiger', 'cmd: imp system/manager full=y', '2026-12-07 01:00:00 INFO Running command: exp scott/tiger > exp.log'];
    const quiet = ['Loaded exp runs/exp1', 'step 3: loaded exp runs/exp1', 'Running exp 3/10'];
    // Act
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: no password is left, the label and the user stay; prose stays
    const C = M('cli-password');
    expect(redacted).toEqual([`running: exp scott/${C}`, `cmd: imp system/${C} full=y`, `2026-12-07 01:00:00 INFO Running command: exp scott/${C} > exp.log`]);
    expect(kept).toEqual(quiet);
  });

  it("redacts net rpc's new password whatever its shape before options or the step's end (net rpc password bob changeme -U …), keeping a result word (the net rpc password bob changed)", () => {
    // Prepare: plain lower-case new passwords before options or ending the step; prose naming the command, a result word
    const commands = ['net rpc password bob changeme -U admin%Adm1nPass -S dc1', 'net rpc password bob welcome -S dc1', 'net rpc user add alice secret'];
    const quiet = ['the net rpc password bob changed', 'net rpc password bob updated'];
    // Act
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: no password is left; prose and results stay
    expect(redacted.filter((text) => /changeme|welcome|secret|Adm1nPass/.test(text))).toEqual([]);
    expect(redacted[2]).toBe(`net rpc user add alice ${M('cli-password')}`);
    expect(kept).toEqual(quiet);
  });

  it("redacts a bare exp's or imp's login before a numbered redirection or a shell comment (exp scott/tiger 2>&1, exp scott/tiger # nightly)", () => {
    // Prepare: the classic Oracle logins followed by stderr's redirection or a comment; a password holding `#`
    const commands = ['exp scott/tiger 2>&1', 'exp scott/tiger 2>> exp.err', 'imp system/manager 1>imp.log', 'exp scott/tiger # nightly', 'exp scott/ab#cd # nightly'];
    const quiet = ['Running exp 3/10 # lr', 'exp 10/20 2>&1'];
    // Act
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the password goes whole, the user, the redirection and the comment stay; counts stay
    const C = M('cli-password');
    expect(redacted).toEqual([`exp scott/${C} 2>&1`, `exp scott/${C} 2>> exp.err`, `imp system/${C} 1>imp.log`, `exp scott/${C} # nightly`, `exp scott/${C} # nightly`]);
    expect(kept).toEqual(quiet);
  });

  it("keeps the ')' closing a subshell after a bare exp's or imp's login ((exp scott/tiger)), and a password's inner ')'", () => {
    // Prepare: logins in a subshell or a command substitution, alone and with a parameter; a password holding ')' inside
    const commands = ['(exp scott/tiger)', '$(imp system/manager)', '(exp scott/tiger file=x.dmp)', 'exp scott/ab)cd'];
    // Act
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the password goes, the ')' closing the subshell stays; an inner ')' goes with its password
    const C = M('cli-password');
    expect(redacted).toEqual([`(exp scott/${C})`, `$(imp system/${C})`, `(exp scott/${C} file=x.dmp)`, `exp scott/${C}`]);
  });

  it("redacts net rpc's new password and -U user%password after net's own options before rpc (net -S dc1 rpc password bob Changeme1)", () => {
    // Prepare: net's global options (server, user, workgroup, debug level) before its subcommand; prose and a result word
    const commands = ['net -S dc1 rpc password bob Changeme1', 'net -U admin%x rpc password bob Xy7!pass', 'net -d 3 -W CORP ads password bob changeme', 'net --option=x -S dc1 rpc user add alice secret'];
    const quiet = ['net -S dc1 rpc password bob changed', 'set -e rpc password bob'];
    // Act
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the passwords go, the options, the users and prose stay
    const C = M('cli-password');
    expect(redacted).toEqual([`net -S dc1 rpc password bob ${C}`, `net -U admin%${C} rpc password bob ${C}`, `net -d 3 -W CORP ads password bob ${C}`, `net --option=x -S dc1 rpc user add alice ${C}`]);
    expect(kept).toEqual(quiet);
  });

  it("redacts net sam's -U user%password, also after net's own options, and keeps net sam's listing and prose", () => {
    // Prepare: Samba's net sam with a user and password, before and after net's options; a listing and prose naming the tool
    const commands = ['net sam addmem "Domain Admins" bob -U admin%Hunter2024', 'net -S dc1 sam list users -U admin%Hunter2024', 'net\tsam createlocaluser bob -Uadmin%Hunter2024'];
    const quiet = ['net sam list users', 'the net sam tool', 'net sam list users -U admin'];
    // Act
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the password goes, the user and the command stay; a listing and prose stay
    const C = M('cli-password');
    expect(redacted).toEqual([`net sam addmem "Domain Admins" bob -U admin%${C}`, `net -S dc1 sam list users -U admin%${C}`, `net\tsam createlocaluser bob -Uadmin%${C}`]);
    expect(kept).toEqual(quiet);
  });

  it('keeps paths an experiment quotes inside a JSON or logfmt string after exp or imp (exp \\"base/ft\\"): an escaped quote is no sure login', () => {
    // Prepare: quoted paths in JSON and logfmt messages, whose quotes are escaped (33e00e5 took them for logins)
    const quiet = ['{"msg":"compared exp \\"base/ft\\", exp \\"ft/lora\\", done"}', '{"msg":"compared exp \\"base/ft\\" run=3"}', 'msg="saved exp \\"runs/exp1\\", loss=0.3"', 'Loaded exp \\"runs/exp1\\"'];
    // Act
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess
    expect(kept).toEqual(quiet);
  });

  it("redacts Data Pump's login before as sysdba (impdp system/pw as sysdba, quoted, also in escaped quotes), and finds none in / as sysdba", () => {
    // Prepare: a login before `as sysdba`, bare, in quotes with a connect string, in escaped quotes (a shell's nested command); OS authentication
    const commands = ['impdp system/Hunter2024 as sysdba', "expdp 'sys/Hunter2024@orcl as sysdba' directory=d", 'impdp \\"sys/Hunter2024 as sysdba\\" directory=d', 'expdp "sys/Hunter2024 AS SYSDBA"'];
    const quiet = ['impdp \\"/ as sysdba\\"', 'impdp "/ as sysdba" directory=d', 'Loaded exp runs/a as sysdba'];
    // Act
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the password goes, the user, the quotes and `as sysdba` stay; OS authentication and prose stay
    const C = M('cli-password');
    expect(redacted).toEqual([`impdp system/${C} as sysdba`, `expdp 'sys/${C}@orcl as sysdba' directory=d`, `impdp \\"sys/${C} as sysdba\\" directory=d`, `expdp "sys/${C} AS SYSDBA"`]);
    expect(kept).toEqual(quiet);
  });

  it("redacts 7-Zip's password glued to -p (7z a -pSECRET, 7za x -p\"…\", 7zr, 7zz, -P: its switches ignore case), also in a tool's arguments, and leaves -p alone and other tools' -p", () => {
    // Prepare: 7-Zip's executables with the password glued to -p, bare, quoted, among other switches, after the archive, in JSON; -p asking for it, no -p, other tools' -p
    const commands = [
      '7z a -pS3cretPass backup.7z dir',
      '7za x -p"S3cret Pass" f.7z',
      "7z x -p'S3cret' f.7z",
      '7zr a -mhe=on -pS3cret2024 b.7z d',
      '/usr/bin/7zz t -PS3cret f.7z',
      '7z a b.7z d -pS3cret -r',
      '7z -y a -pS3cret archive.7z dir',
      '7z -y -pS3cret x f.7z',
      '7z -bb3 -mmt=4 -o/out -aoa x f.7z -pS3cret',
      '{"cmd":"7z x -pS3cret f.7z -o/tmp"}',
      // its path quoted, as Windows' default install path must be (a space in it), also in a JSON string's escaped quotes
      '"C:\\Program Files\\7-Zip\\7z.exe" a -pS3cretPass b.7z d',
      "'/opt/7-Zip/7zz' a -pS3cret b.7z",
      '{"cmd":"\\"C:\\\\Program Files\\\\7-Zip\\\\7z.exe\\" a -pS3cretPass b.7z"}',
    ];
    const quiet = [
      '7z a -p backup.7z dir',
      '7z a backup.7z -r dir',
      'ping -p ff host',
      'mkdir -p /srv/7z',
      '7z x f.7z -o/tmp/p',
      // a file name ending in .7z is no command: another tool's glued -p after it stays
      '+ find /backups/*.7z -mtime +30 -print -delete',
      'find /backups -name \\*.7z -print',
      'find /srv/nightly.7z -perm 600',
      'Uploaded nightly.7z -progress 100%',
      'scp backup.7z host: -pq',
      'uploaded f.7z then ran perl -pi -e s/a/b/ file',
      // before the command word, a word that is no 7-Zip switch (`-v` wants a size, `-x` a `!` or `@`): prose
      'using 7z -v a -patch mode',
      'echo 7z -x a -problem',
      '7z --help a -pfoo',
    ];
    // Act
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    const args = BUILTIN_REDACTOR.redactValue({ tool: 'shell', args: { command: '7z a -pS3cret backup.7z dir' } });
    // Assess: the password goes, -p and its quotes stay; -p alone and the other lines stay
    const C = M('cli-password');
    expect(redacted).toEqual([
      `7z a -p${C} backup.7z dir`,
      `7za x -p"${C}" f.7z`,
      `7z x -p'${C}' f.7z`,
      `7zr a -mhe=on -p${C} b.7z d`,
      `/usr/bin/7zz t -P${C} f.7z`,
      `7z a b.7z d -p${C} -r`,
      `7z -y a -p${C} archive.7z dir`,
      `7z -y -p${C} x f.7z`,
      `7z -bb3 -mmt=4 -o/out -aoa x f.7z -p${C}`,
      `{"cmd":"7z x -p${C} f.7z -o/tmp"}`,
      `"C:\\Program Files\\7-Zip\\7z.exe" a -p${C} b.7z d`,
      `'/opt/7-Zip/7zz' a -p${C} b.7z`,
      `{"cmd":"\\"C:\\\\Program Files\\\\7-Zip\\\\7z.exe\\" a -p${C} b.7z"}`,
    ]);
    expect(kept).toEqual(quiet);
    expect(args).toEqual({ tool: 'shell', args: { command: `7z a -p${C} backup.7z dir` } });
  });

  it("redacts 7-Zip's -p after its charset, hash and stop switches (-sccUTF-8, -scsUTF-16LE, -scrc*, -ssc-, -sse, -ssp, --) before its command", () => {
    // Prepare: each switch from 7-Zip's list before the command letter, then the password
    const switches = ['-sccUTF-8', '-scsUTF-8', '-scsUTF-16LE', '-sccWIN', '-scrc*', '-ssc-', '-sse', '-ssp', '-ssw', '-stl', '--', '-y -sse -ssp -sccUTF-8 --'];
    // Act
    const redacted = switches.map((flags) => BUILTIN_REDACTOR.redactText(`7z ${flags} a -pS3cret a.7z d`));
    // Assess: the password goes, every switch stays; prose's `--help` before a word is still none
    const C = M('cli-password');
    expect(redacted).toEqual(switches.map((flags) => `7z ${flags} a -p${C} a.7z d`));
    expect(BUILTIN_REDACTOR.redactText('7z --help a -pfoo')).toBe('7z --help a -pfoo');
  });

  it("counts 7-Zip only before one of its commands (a, x, t, …): a quoted value \"7z\" or a directory named 7z starts none, and another tool's -p… after it stays", () => {
    // Prepare: a quoted 7z value in logfmt, prose and JSON, a directory named 7z, each before another tool's glued -p…; 7-Zip itself after a path
    const quiet = [
      'format="7z" cmd="mkdir -pv /out"',
      "archive type '7z' found, running find /data -name x -print",
      '{"format":"7z" , "cmd":"find . -print"}',
      'level=info ext="7z" msg="rsync -progress done"',
      'find /srv/archives/7z -mtime +30 -print -delete',
      '+ find /backups/7z -type f -print',
      'du -sh /mnt/7z -pv',
    ];
    const commands = ['/usr/bin/7z a -pS3cretPass b.7z', '7z rn -pS3cretPass b.7z old new', '7Z X -PS3cretPass f.7z'];
    // Act
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the other tools' switches stay; 7-Zip's password before one of its commands goes
    const C = M('cli-password');
    expect(kept).toEqual(quiet);
    expect(redacted).toEqual([`/usr/bin/7z a -p${C} b.7z`, `7z rn -p${C} b.7z old new`, `7Z X -P${C} f.7z`]);
  });

  it("redacts 7-Zip's and mysql's -p switch quoted whole, as bash -x prints it ('-pSECRET', \"-pSECRET\", also escaped in JSON), and keeps a quoted -p alone", () => {
    // Prepare: the switch quoted whole, with a space or a ; inside, in JSON's escaped quotes; a quoted -p asking, another tool's quoted -p
    const commands = [
      "+ 7z a '-pS3c$ret' b.7z",
      "+ 7z a '-pS3c ret' b.7z",
      '7z a "-pS3cretPass" b.7z',
      '{"cmd":"7z a \\"-pS3cretPass\\" b.7z"}',
      "+ mysql -u root '-pP@ss w0rd' db",
    ];
    const quiet = ["+ 7z a '-p' b.7z", "+ grep '-print' f.7z", "+ find /srv '-print'"];
    // Act
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the password goes, the switch and both quotes stay; -p alone and other tools' stay
    const C = M('cli-password');
    expect(redacted).toEqual([
      `+ 7z a '-p${C}' b.7z`,
      `+ 7z a '-p${C}' b.7z`,
      `7z a "-p${C}" b.7z`,
      `{"cmd":"7z a \\"-p${C}\\" b.7z"}`,
      `+ mysql -u root '-p${C}' db`,
    ]);
    expect(kept).toEqual(quiet);
  });

  it("takes a quoted -p… for mysql's or 7-Zip's switch only as an argument of its own, not another JSON value's or a quoted SQL literal's", () => {
    // Prepare: json.dumps' ", " separators before a later "-pretty" value, a SQL literal '-print' inside mysql's -e; the switch quoted whole after a quoted argument
    const quiet = [
      '{"cmd": "mysql -u app db", "flags": "-pretty"}',
      '{"job": "mysql backup", "find_args": "-print0"}',
      'mysql -e "select * from t where opt = \'-print\'" db',
      '{"cmd": "7z a b.7z d", "flags": "-pretty"}',
    ];
    const commands = ['+ mysql -e "select 1" \'-pS3cretPw\' db', '"C:\\Program Files\\7-Zip\\7z.exe" a "-pS3cretPw" b.7z'];
    // Act
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the other values stay; the switch after a closed quoted argument, or after a quoted program, goes
    const C = M('cli-password');
    expect(kept).toEqual(quiet);
    expect(redacted).toEqual([`+ mysql -e "select 1" '-p${C}' db`, `"C:\\Program Files\\7-Zip\\7z.exe" a "-p${C}" b.7z`]);
  });

  it('runs no trigger scan on a line naming 7z or another -p with no password (7z a backup.7z -r dir, ping -p ff host, mkdir -p, find -print)', () => {
    // Prepare: every regular expression scanned with matchAll, seen; lines naming 7-Zip without -p, other tools' -p, glued too (find's -print, -perm)
    const matchAll = vi.spyOn(RegExp.prototype, Symbol.matchAll);
    const lines = [
      '7z a backup.7z -r dir',
      '7z x f.7z -o/tmp/restore',
      'ping -p ff host',
      'mkdir -p /srv/backups',
      'exp 3 of 10 done',
      '+ find /var/log/app -mtime +7 -print -delete',
      'find /srv -perm 600 -printf %p',
    ];
    // Act
    const scans = lines.map((line) => {
      matchAll.mockClear();
      return { clean: new Redactor().redactText(line), scans: matchAll.mock.calls.length };
    });
    matchAll.mockRestore();
    // Assess: the lines as they were, with no scan
    expect(scans).toEqual(lines.map((clean) => ({ clean, scans: 0 })));
  });

  it("reads sqlplus and a JDBC thin URL in any case (SQLPLUS sys/pw, THIN:scott/pw@db), a thin URL's password only before its @ (Thin:rates/day stays)", () => {
    // Prepare: sqlplus' login and a thin URL in upper and mixed case; a word after Thin: or THIN: with no @ after it
    const commands = ['SQLPLUS sys/S3cretPw', 'Sqlplus "sys/S3cretPw as sysdba"', 'jdbc:oracle:THIN:scott/Tiger2024@//db:1521/XE'];
    const quiet = ['sqlplus ok; Thin:rates/day done', 'sqlplus step; see JDBC THIN:scott/tiger is the shape'];
    // Act
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the password goes, the command, the user and the quotes stay; a thin word without its @ stays
    const C = M('cli-password');
    expect(redacted).toEqual([`SQLPLUS sys/${C}`, `Sqlplus "sys/${C} as sysdba"`, `jdbc:oracle:THIN:scott/${C}@//db:1521/XE`]);
    expect(kept).toEqual(quiet);
  });

  it("redacts sqlplus' quoted login before as sysdba (sqlplus \"sys/pw as sysdba\", also in a JSON string's escaped quotes), and finds none in /nolog or / as sysdba", () => {
    // Prepare: sqlplus' login quoted with as sysdba, with and without a connect string, in upper case, in escaped quotes; OS authentication, no login
    const commands = [
      'sqlplus "sys/Oracle123 as sysdba"',
      "sqlplus 'sys/Oracle123@orcl as sysdba'",
      "sqlplus -s 'sys/Oracle123 as sysdba' @report.sql",
      'sqlplus "sys/Oracle123 AS SYSDBA"',
      '{"cmd":"sqlplus \\"sys/Oracle123 as sysdba\\""}',
    ];
    const quiet = ['sqlplus /nolog', 'sqlplus / as sysdba', 'sqlplus "/ as sysdba"', "sqlplus -s '/ as sysdba' @report.sql"];
    // Act
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the password goes, the user, the quotes and `as sysdba` stay; OS authentication stays
    const C = M('cli-password');
    expect(redacted).toEqual([
      `sqlplus "sys/${C} as sysdba"`,
      `sqlplus 'sys/${C}@orcl as sysdba'`,
      `sqlplus -s 'sys/${C} as sysdba' @report.sql`,
      `sqlplus "sys/${C} AS SYSDBA"`,
      `{"cmd":"sqlplus \\"sys/${C} as sysdba\\""}`,
    ]);
    expect(kept).toEqual(quiet);
  });

  it("redacts a login before Oracle's other administrative privileges as before as sysdba (as sysoper, sysbackup, sysdg, syskm, sysasm, sysrac)", () => {
    // Prepare: Data Pump's and sqlplus' logins before each privilege, bare, quoted, escaped, in upper case; OS authentication and prose
    const commands = [
      'impdp system/Hunter2024 as sysoper',
      'expdp "sys/Hunter2024 as sysbackup" directory=d',
      "impdp 'sys/Hunter2024 as sysdg'",
      'impdp \\"sys/Hunter2024 as syskm\\" directory=d',
      'expdp system/Hunter2024 AS SYSASM',
      'sqlplus "sys/Oracle123 as sysoper"',
      "sqlplus 'sys/Oracle123 as sysrac'",
    ];
    const quiet = ['impdp "/ as sysoper" directory=d', 'sqlplus / as sysbackup', 'Loaded exp runs/a as sysbackup'];
    // Act
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the password goes, the user, the quotes and the privilege stay; OS authentication and prose stay
    const C = M('cli-password');
    expect(redacted).toEqual([
      `impdp system/${C} as sysoper`,
      `expdp "sys/${C} as sysbackup" directory=d`,
      `impdp 'sys/${C} as sysdg'`,
      `impdp \\"sys/${C} as syskm\\" directory=d`,
      `expdp system/${C} AS SYSASM`,
      `sqlplus "sys/${C} as sysoper"`,
      `sqlplus 'sys/${C} as sysrac'`,
    ]);
    expect(kept).toEqual(quiet);
  });

  it("redacts a login in escaped quotes ending a JSON string (\"cmd\":\"expdp \\\"sys/pw\\\"\"), and keeps an experiment's quoted path there and prose", () => {
    // Prepare: Data Pump's, exp's and sqlplus' logins whose escaped closing quote ends the JSON string; a quoted path in prose, redis' AUTH in prose
    const commands = [
      '{"cmd":"expdp \\"sys/Hunter2024\\""}',
      '{"cmd":"impdp \\"system/Hunter2024\\"","rc":1}',
      '{"args":{"cmd":"exp \\"scott/tiger1\\""}}',
      '{"cmd":"sqlplus \\"scott/Tiger2024\\""}',
      '{"cmd":"expdp \\"sys/pw@db\\""}',
    ];
    const quiet = [
      '{"msg":"compared exp \\"data/train\\""}',
      '{"msg":"compared exp \\"base/ft\\""}',
      'Loaded exp data/train',
      '{"msg":"using exp data/train split"}',
      'The hint said AUTH correct horse',
      'docs: AUTH correct horse battery staple is an example',
    ];
    // Act
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the password goes, the user and both quotes stay; the paths and prose stay
    const C = M('cli-password');
    expect(redacted).toEqual([
      `{"cmd":"expdp \\"sys/${C}\\""}`,
      `{"cmd":"impdp \\"system/${C}\\"","rc":1}`,
      `{"args":{"cmd":"exp \\"scott/${C}\\""}}`,
      `{"cmd":"sqlplus \\"scott/${C}\\""}`,
      `{"cmd":"expdp \\"sys/${C}@db\\""}`,
    ]);
    expect(kept).toEqual(quiet);
  });

  it('redacts an Oracle login ending a JSON string or a logfmt value ({"cmd":"sqlplus sys/pw"}, msg="sqlplus sys/pw" level=info), and keeps prose there', () => {
    // Prepare: sqlplus' and Data Pump's logins, bare and single-quoted, whose string's closing quote follows; prose and an experiment's path inside a string
    const commands = [
      '{"cmd":"sqlplus sys/S3cretPw"}',
      '{"cmd":"sqlplus -s system/S3cretPw","rc":1}',
      '{"cmd":"expdp system/S3cretPw"}',
      '{"cmd":"sqlplus \'sys/S3cretPw\'"}',
      '{"cmd":"expdp \'system/S3cretPw\'"}',
      'msg="sqlplus sys/S3cretPw" level=info',
      '["expdp system/S3cretPw"]',
    ];
    const quiet = ['{"msg":"Loaded exp data/train"}', '{"msg":"exp 3/10 done"}', '{"url":"jdbc:oracle:thin:scott/tiger"}'];
    // Act
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the password goes, the user and the quotes stay; prose, a number and a thin URL without its @ stay
    const C = M('cli-password');
    expect(redacted).toEqual([
      `{"cmd":"sqlplus sys/${C}"}`,
      `{"cmd":"sqlplus -s system/${C}","rc":1}`,
      `{"cmd":"expdp system/${C}"}`,
      `{"cmd":"sqlplus 'sys/${C}'"}`,
      `{"cmd":"expdp 'system/${C}'"}`,
      `msg="sqlplus sys/${C}" level=info`,
      `["expdp system/${C}"]`,
    ]);
    expect(kept).toEqual(quiet);
  });

  it("keeps an experiment's path as a JSON string's or a logfmt value's whole (exp/imp ending the string), and still redacts Data Pump's login there", () => {
    // Prepare: ML runs' names and steps whose string holds only `exp …/…` or `imp …/…`; Data Pump's and sqlplus' logins ending a string
    const quiet = ['{"name":"exp baseline/lr0.1","loss":0.3}', '{"step":"exp runs/exp1"}', 'msg="imp cfg/base" level=info'];
    const commands = ['{"cmd":"impdp system/S3cretPw"}', 'msg="expdp system/S3cretPw" level=info', '{"cmd":"exp userid=scott/S3cretPw"}'];
    // Act
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the paths stay; the logins' passwords go
    const C = M('cli-password');
    expect(kept).toEqual(quiet);
    expect(redacted).toEqual([`{"cmd":"impdp system/${C}"}`, `msg="expdp system/${C}" level=info`, `{"cmd":"exp userid=scott/${C}"}`]);
  });

  it("redacts an Oracle login ending a single-quoted string (su -c '…', bash -c '…', Python's dict repr) or a quoted one before ; & | )", () => {
    // Prepare: sqlplus' and Data Pump's logins whose single-quoted string ends after them, and double-quoted ones followed by a list operator
    const commands = [
      "su - oracle -c 'sqlplus -s sys/S3cretPw'",
      "bash -c 'expdp system/S3cretPw'",
      "{'cmd': 'sqlplus sys/S3cretPw', 'rc': 1}",
      '{"cmd":"bash -c \'sqlplus sys/S3cretPw\'"}',
      'bash -c "sqlplus -s sys/S3cretPw"; echo done',
      'su - oracle -c "sqlplus sys/S3cretPw"&& echo ok',
      'ssh db1 "sqlplus sys/S3cretPw"|tee out',
      'su oracle -c "expdp system/S3cretPw";',
      '(su oracle -c "impdp system/S3cretPw")',
    ];
    const quiet = ["{'name': 'exp baseline/lr0.1'}", "msg='imp cfg/base'"];
    // Act
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the password goes, the user, the quotes and what follows stay; an experiment's path in single quotes stays
    const C = M('cli-password');
    expect(redacted).toEqual([
      `su - oracle -c 'sqlplus -s sys/${C}'`,
      `bash -c 'expdp system/${C}'`,
      `{'cmd': 'sqlplus sys/${C}', 'rc': 1}`,
      `{"cmd":"bash -c 'sqlplus sys/${C}'"}`,
      `bash -c "sqlplus -s sys/${C}"; echo done`,
      `su - oracle -c "sqlplus sys/${C}"&& echo ok`,
      `ssh db1 "sqlplus sys/${C}"|tee out`,
      `su oracle -c "expdp system/${C}";`,
      `(su oracle -c "impdp system/${C}")`,
    ]);
    expect(kept).toEqual(quiet);
  });

  it("redacts exp's and imp's quoted login and one before a comma, and keeps an ML run's paths in prose", () => {
    // Prepare: the old export's and import's login in quotes (with or without @) and before a comma; experiments' words and paths
    const commands = ["exp 'scott/tiger1'", 'exp "scott/tiger1@orcl"', 'imp "scott/tiger1"', 'exp scott/tiger1, exp done'];
    const quiet = ['Loaded exp runs/exp1', 'imp model/v1 loaded', 'exp a/b test'];
    // Act
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the password goes, the user and the quotes stay; paths and words stay
    const C = M('cli-password');
    expect(redacted).toEqual([`exp 'scott/${C}'`, `exp "scott/${C}@orcl"`, `imp "scott/${C}"`, `exp scott/${C}, exp done`]);
    expect(kept).toEqual(quiet);
  });

  it("redacts Oracle's GRANT … IDENTIFIED BY behind Python's logging formats, a syslog PRI, RFC 3339 syslog and a time alone", () => {
    // Prepare: the statement behind the prefixes those logs write
    const grant = 'GRANT CONNECT TO bob IDENTIFIED BY Tiger22';
    const prefixes = ['INFO:root:', '2026-12-07 01:00:00,123 - root - INFO - ', '<134>Dec  7 01:00:00 host oracle: ', '2026-12-07T01:00:00+00:00 host oracle: ', '01:00:00 INFO ', 'WARNING:app.db:'];
    // Act
    const redacted = prefixes.map((prefix) => BUILTIN_REDACTOR.redactText(`${prefix}${grant}`));
    // Assess: the password goes, the prefix and the statement stay
    expect(redacted).toEqual(prefixes.map((prefix) => `${prefix}GRANT CONNECT TO bob IDENTIFIED BY ${M('secret-assignment')}`));
  });

  it("redacts zip's and unzip's -P glued inside a group of short options", () => {
    // Prepare: -P last in a group, its value glued or after a space; other groups without P
    const commands = ['unzip -qPZpass99 x.zip', 'zip -rPZpass99 x.zip d', 'zip -rP Zpass99 x.zip d'];
    const quiet = ['zip -rq out.zip dir', 'unzip -Z -s x.zip', 'unzip -o x.zip'];
    // Act
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the value goes, the options stay
    const C = M('cli-password');
    expect(redacted).toEqual([`unzip -qP${C} x.zip`, `zip -rP${C} x.zip d`, `zip -rP ${C} x.zip d`]);
    expect(kept).toEqual(quiet);
  });

  it("redacts a password echoed into sudo after an empty --prompt= and net rpc's quoted new password, keeping prose after net rpc password USER", () => {
    // Prepare: sudo with an empty prompt; a quoted new password; prose naming the command
    const commands = ['echo pw1 | sudo --prompt= -S cmd', 'net rpc password bob "New Pw33"', "net rpc password bob 'NewPw33' -U admin"];
    const quiet = ['the net rpc password bob changed', 'net rpc password bob was set'];
    // Act
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the passwords go (the quotes stay), prose stays
    const C = M('cli-password');
    expect(redacted).toEqual([`echo ${C} | sudo --prompt= -S cmd`, `net rpc password bob "${C}"`, `net rpc password bob '${C}' -U admin`]);
    expect(kept).toEqual(quiet);
  });

  it("redacts expdp's userid= after other parameters and in upper case, exp's and net's passwords after a tab, and net rpc's new password given as an argument", () => {
    // Prepare: Data Pump's userid= after its parameters or a parfile, in upper case; a tab after exp and net; net rpc password/user add USER PASSWORD
    const commands = [
      'expdp directory=d dumpfile=x.dmp userid=system/Manager1@orcl',
      'expdp USERID=system/Manager1@orcl',
      'EXPDP system/Manager1@orcl',
      'impdp parfile=x.par userid=system/Manager1',
      'exp\tscott/Manager1',
      'net\tads join -U admin%Manager1',
      'net rpc password bob Manager1 -U admin%Manager1',
      'net rpc user add bob Manager1',
      'net ads password bob Manager1 -U admin',
    ];
    const quiet = ['net rpc user add bob -Uadmin%x', 'net rpc password bob -U admin', 'net rpc user list', 'expdp directory=d dumpfile=x.dmp logfile=x.log'];
    // Act
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: every password goes; the users stay
    const C = M('cli-password');
    expect(redacted.filter((text) => text.includes('Manager1'))).toEqual([]);
    expect(redacted[0]).toBe(`expdp directory=d dumpfile=x.dmp userid=system/${C}@orcl`);
    expect(redacted[6]).toBe(`net rpc password bob ${C} -U admin%${C}`);
    expect(redacted[7]).toBe(`net rpc user add bob ${C}`);
    expect(kept.slice(1)).toEqual(quiet.slice(1));
    expect(kept[0]).toBe(`net rpc user add bob -Uadmin%${C}`);
  });

  it("reads `-p` as mongo's password where the client follows a wrapper or a word (sudo, timeout, docker exec, kubectl exec --, a crontab's fields, bash -c)", () => {
    // Prepare: mongo's clients run through a wrapper, in a crontab line, inside a quoted command, after a log's word
    const commands = [
      'docker exec -it mongo mongosh -u root -p s3cretPw admin',
      'docker-compose exec mongo mongo -u root -p s3cretPw --authenticationDatabase admin',
      'kubectl exec -it mongo-0 -- mongosh -u admin -p s3cretPw',
      'sudo mongodump -u admin -p s3cretPw --out /backup',
      'timeout 600 mongodump -u admin -p s3cretPw --out /backup',
      'nice -n 10 mongodump -u admin -p s3cretPw',
      'env LC_ALL=C mongodump -u admin -p s3cretPw',
      'time mongodump -u admin -p s3cretPw',
      '0 2 * * * mongodump -u admin -p s3cretPw --out /backup',
      'bash -c "mongodump -u admin -p s3cretPw --out /backup"',
      'Running: mongorestore -u admin -p s3cretPw /backup',
      'docker run --rm mongo:6 mongodump --host db -u admin -p s3cretPw',
    ];
    // Act
    const redacted = commands.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: each password goes, the rest of the command stays
    expect(redacted.filter((text) => text.includes('s3cretPw'))).toEqual([]);
    expect(redacted[3]).toBe(`sudo mongodump -u admin -p ${M('cli-password')} --out /backup`);
    expect(redacted[9]).toBe(`bash -c "mongodump -u admin -p ${M('cli-password')} --out /backup"`);
  });

  it("reads IDENTIFIED BY's unquoted word as a password only in a statement starting its step (not prose saying connect to or grant before it), and in a role's", () => {
    // Prepare: prose with "connect to", "grant" or "alter user" before "identified by"; statements at their step's start, after `SQL> ` or a sqlplus line number
    const quiet = [
      'WARN failed to connect to peer identified by fingerprint ab12cd',
      'ERROR unable to connect to the broker identified by clientId worker-7',
      'INFO grant issued to the user identified by email alice@example.com',
      'INFO access grant for principal identified by arn:aws:iam::123:role/x',
      'INFO created user bob identified by email',
      'audit: alter user request from host identified by ip 10.0.0.1',
      'policy: grant read to service identified by spiffe://prod/api',
      'Will connect to replica identified by its hostname',
    ];
    const statements = [
      'GRANT CONNECT, RESOURCE TO scott IDENTIFIED BY tiger;',
      '  2  grant connect to app identified by Secr3t',
      'CREATE PUBLIC DATABASE LINK remote CONNECT TO scott IDENTIFIED BY tiger USING \'orcl\';',
      'create database link remote connect to scott identified by tiger using \'orcl\'',
      'SQL> CREATE ROLE auditor IDENTIFIED BY R0lePass;',
      'ALTER ROLE auditor IDENTIFIED BY R0lePass',
      'spool on; ALTER USER scott IDENTIFIED BY tiger;',
      'echo "ALTER USER scott IDENTIFIED BY tiger;" | sqlplus -s / as sysdba',
    ];
    // Act
    const kept = quiet.map((text) => BUILTIN_REDACTOR.redactText(text));
    const redacted = statements.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: the prose keeps its words; each statement's password goes, the rest stays
    const S = M('secret-assignment');
    expect(kept).toEqual(quiet);
    expect(redacted).toEqual([
      `GRANT CONNECT, RESOURCE TO scott IDENTIFIED BY ${S};`,
      `  2  grant connect to app identified by ${S}`,
      `CREATE PUBLIC DATABASE LINK remote CONNECT TO scott IDENTIFIED BY ${S} USING 'orcl';`,
      `create database link remote connect to scott identified by ${S} using 'orcl'`,
      `SQL> CREATE ROLE auditor IDENTIFIED BY ${S};`,
      `ALTER ROLE auditor IDENTIFIED BY ${S}`,
      `spool on; ALTER USER scott IDENTIFIED BY ${S};`,
      `echo "ALTER USER scott IDENTIFIED BY ${S};" | sqlplus -s / as sysdba`,
    ]);
  });

  it("reads IDENTIFIED BY's unquoted word as a password after the statement's own grammar wherever the statement starts (log prefixes, Flyway, Liquibase, JDBC errors, EXECUTE IMMEDIATE, a quoted command, a continuation line), and a port after a mongo -p as none", () => {
    // Prepare: statements as real logs carry them (dbf7951 required them to start their step, so all of these leaked), and ports after -p
    const statements = [
      '2026-12-07 02:00:01 SQL> alter user scott identified by Tiger2024 account unlock;',
      'SQL>   2  ALTER USER app IDENTIFIED BY Secret123;',
      '  2  IDENTIFIED BY Secret123 DEFAULT TABLESPACE users;',
      'Statement  : CREATE USER app IDENTIFIED BY Secret123',
      'liquibase.exception.DatabaseException: ORA-00922: missing or invalid option [Failed SQL: (922) ALTER USER app IDENTIFIED BY Secret123 ACCOUNT UNLOCK]',
      'org.springframework.jdbc.BadSqlGrammarException: StatementCallback; bad SQL grammar [ALTER USER app IDENTIFIED BY Secret123]; nested exception',
      "BEGIN EXECUTE IMMEDIATE 'ALTER USER app IDENTIFIED BY Secret123'; END;",
      'sudo -u oracle sqlplus -s / as sysdba <<< "ALTER USER app IDENTIFIED BY Secret123;"',
      '/* init */ CREATE USER app IDENTIFIED BY Secret123;',
      'CONNECT app IDENTIFIED BY Secret123',
      'ALTER USER app ACCOUNT UNLOCK IDENTIFIED BY Secret123;',
      'SQL> ALTER USER app PASSWORD EXPIRE IDENTIFIED BY Secret123;',
      'CREATE USER IF NOT EXISTS app IDENTIFIED BY Secret123;',
      "mongodump -u admin -p '$uperSecret2024' --db app",
      'mongosh -u admin -p 2024-1234 --quiet',
    ];
    const ports = [
      'docker run -d --name mongo -p 27017 mongo:6',
      'docker run -d --name mongo -p 27017-27019:27017-27019 mongo:6',
      'docker run -d --name mongo -p [::1]:27017:27017 mongo:6',
      'docker run -d --name mongo -p 127.0.0.1::27017 mongo:6',
      'docker run -d --name mongo -p ${MONGO_PORT}:27017 mongo:6',
      'ssh backup@mongo -p 2222 df -h',
      'INFO waiting for mongo -p 27017 to come up',
      'Set role to admin identified by badge 4471',
    ];
    // Act
    const redacted = statements.map((text) => BUILTIN_REDACTOR.redactText(text));
    const kept = ports.map((text) => BUILTIN_REDACTOR.redactText(text));
    // Assess: no password left, the statement's words kept; the ports and the prose unchanged
    expect(redacted.filter((text) => /Secret123|Tiger2024|uperSecret2024|2024-1234/.test(text))).toEqual([]);
    expect(redacted.every((text) => text.includes(M('secret-assignment')) || text.includes(M('cli-password')))).toBe(true);
    expect(redacted[3]).toBe(`Statement  : CREATE USER app IDENTIFIED BY ${M('secret-assignment')}`);
    expect(kept).toEqual(ports);
  });

  it('redacts a key written in upper or mixed case as in lower case (user=admin PASSWD hunter22, PASSWORD: hunter22)', () => {
    // Prepare: every shape a key's value is given in, each key in lower, upper and capitalised case
    const keys = ['password', 'passwd', 'pass', 'pwd', 'secret', 'token', 'api_key', 'passphrase', 'credentials'];
    const shapes = [(k: string) => `${k}=Hunter2Pass`, (k: string) => `${k} = Hunter2Pass`, (k: string) => `${k}: hunter22`, (k: string) => `{"${k}": "hunter22"}`, (k: string) => `user=admin ${k} hunter22`, (k: string) => `login user=bob ${k} Hunter2Pass rejected`];
    const cased = (k: string) => [k.toUpperCase(), k[0].toUpperCase() + k.slice(1)];
    // Act
    const mismatches = keys.flatMap((key) =>
      shapes.flatMap((shape) => {
        const lower = BUILTIN_REDACTOR.redactText(shape(key));
        return cased(key)
          .map((k) => ({ text: shape(k), clean: BUILTIN_REDACTOR.redactText(shape(k)), lower: lower.replace(key, k) }))
          .filter(({ clean, lower: expected }) => clean !== expected);
      }),
    );
    // Assess: no key redacts otherwise in another case; passwd's value goes in any case, its prose and the command run stay
    expect(mismatches).toEqual([]);
    expect(BUILTIN_REDACTOR.redactText('user=admin PASSWD hunter22')).toBe(`user=admin PASSWD ${M('secret-assignment')}`);
    const prose = ['user=bob PASSWD changed', 'PASSWD(1) changed', 'USER=root ; COMMAND=/usr/bin/PASSWD deploy01', 'user=bob Passwd expired2024 policy', 'PASSWORD RESET EMAIL SENT'];
    expect(prose.map((text) => BUILTIN_REDACTOR.redactText(text))).toEqual(prose);
  });
});

describe('the last text remembered', () => {
  it('gives each text its own result, however texts with and without secrets alternate and repeat', () => {
    // Prepare: a short output that is its own head and tail, one that differs by a character, quiet text, a long one
    const redactor = new Redactor({ patterns: [{ name: 'acct', regex: 'acct-\\d{4}' }] });
    const head = 'warming 3 keys; token=abc123';
    const other = 'warming 3 keys; token=abc124';
    const long = `${'x'.repeat(300)} password=hunter2 acct-1234`;
    const texts = [head, head, other, head, 'no secrets here', head, long, long, 'keys: 12', head, 'acct-9999', 'acct-9999', other];
    // Act
    const results = texts.map((t) => redactor.redactText(t));
    // Assess: the same as a fresh redactor per text
    expect(results).toEqual(texts.map((t) => new Redactor({ patterns: [{ name: 'acct', regex: 'acct-\\d{4}' }] }).redactText(t)));
    expect(results[0]).toBe('warming 3 keys; token=[REDACTED:secret-assignment]');
    expect(results[10]).toBe('[REDACTED:acct]');
  });
});

describe('redactValue', () => {
  it("keeps two runs two when their ids are redacted alike (a job named like a secret's label), without the secret", () => {
    // Prepare: two runs of a Rake task whose name reads as `password: …`
    const runs = ['20261206T0256-a1', '20261206T0257-b2'].map((suffix) => ({ type: 'run.start', job: 'password:reset_expired', run_id: `password:reset_expired-${suffix}` }));
    // Act
    const [a, b] = runs.map((run) => BUILTIN_REDACTOR.redactValue(run));
    // Assess: the same redacted text, each with the fingerprint of its own id; the job name with the fingerprint of the name
    expect(a.run_id).not.toBe(b.run_id);
    expect(a.run_id).toMatch(/^password:\[REDACTED:secret-assignment\]#[\w-]{8}$/);
    expect(JSON.stringify([a, b])).not.toContain('reset_expired');
    expect(a.job).toBe(BUILTIN_REDACTOR.redactName('password:reset_expired'));
    expect(a.job).toBe(b.job);
    expect(BUILTIN_REDACTOR.redactValue(runs[0]).run_id).toBe(a.run_id);
  });

  it("keeps jobs two when their names differ only after a secret's label and a colon (Rake tasks), each the same on every line", () => {
    // Prepare: task names that read as `label:secret`, and cron commands whose real secrets change
    const tasks = ['token:refresh', 'token:purge', 'password:reset_expired', 'password:notify', 'credentials:rotate', 'cookie:purge', 'bundle exec rake token:refresh'];
    const rotated = [
      ['mysqldump -uroot -pS3cret appdb', 'mysqldump -uroot -pN3wer appdb'],
      ['backup --password=hunter2 /srv', 'backup --password=hunter3 /srv'],
      ['deploy password: correct horse', 'deploy password: battery staple'],
    ];
    // Act
    const names = tasks.map((job) => BUILTIN_REDACTOR.redactValue({ type: 'run.start', job, run_id: 'r1' }).job);
    const again = tasks.map((job) => BUILTIN_REDACTOR.redactValue({ type: 'run.end', job, run_id: 'r2', exit_code: 0 }).job);
    const rotations = rotated.map((pair) => pair.map((job) => BUILTIN_REDACTOR.redactValue({ type: 'run.start', job, run_id: 'r1' }).job));
    // Assess: distinct, stable, none of the words after the colon kept; a real secret's change keeps the name
    expect(new Set(names).size).toBe(tasks.length);
    expect(again).toEqual(names);
    expect(names[0]).toMatch(/^token:\[REDACTED:secret-assignment\]#[\w-]{8}$/);
    expect(names.join(' ')).not.toMatch(/refresh|purge|reset_expired|notify|rotate/);
    expect(names.map((n) => BUILTIN_REDACTOR.redactName(n))).toEqual(names);
    for (const [before, after] of rotations) expect(before).toBe(after);
    expect(rotations.map(([name]) => name)).toEqual([
      'mysqldump -uroot -p[REDACTED:cli-password] appdb',
      'backup --password=[REDACTED:secret-assignment] /srv',
      'deploy password: [REDACTED:secret-assignment]',
    ]);
  });

  it('keeps jobs two when their names differ only in what a scheme-less user:password@host would redact, each the same on every line', () => {
    // Prepare: names shaped `name:word@host`, a failing job beside a healthy one
    const jobs = ['job:nightly-backup-2024@web1', 'job:weekly-backup-2024@web1', 'sync:Hunter2Pass@db', 'sync:Hunter3Pass@db'];
    // Act
    const names = jobs.map((job) => BUILTIN_REDACTOR.redactValue({ type: 'run.start', job, run_id: 'r1' }).job);
    const again = jobs.map((job) => BUILTIN_REDACTOR.redactName(job));
    // Assess: four names, stable, the password-like one redacted (with a fingerprint)
    expect(new Set(names).size).toBe(jobs.length);
    expect(again).toEqual(names);
    expect(names[2]).toMatch(/^sync:\[REDACTED:url-password\]@db#[\w-]{8}$/);
    expect(names.join(' ')).not.toContain('Hunter');
  });

  it.each(['span_id', 'action_id'])("keeps two actions two when a pattern redacts their %s alike (OpenTelemetry span ids, the kit's action ids)", (field) => {
    // Prepare: a custom pattern for 16-hex session keys, which every span id matches.
    const redactor = new Redactor({ patterns: [{ name: 'session-key', regex: '\\b[0-9a-f]{16}\\b' }] });
    const actions = ['c000000000000091', 'c000000000000092'].map((id) => ({ type: 'agent.action', agent: 'support-bot', run_id: 'r1', action: 'llm_call', [field]: id }));
    // Act
    const [a, b] = actions.map((action) => redactor.redactValue(action));
    // Assess: redacted, each with the fingerprint of its own id
    expect(a[field]).toMatch(/^\[REDACTED:session-key\]#[\w-]{8}$/);
    expect(a[field]).not.toBe(b[field]);
    expect(JSON.stringify([a, b])).not.toContain('c00000000000009');
  });

  it('redacts strings at any depth and replaces whole what a key names as secret', () => {
    // Prepare
    const value = {
      user_id: 'u-1',
      password: 'hunter2',
      tokens_in: 120,
      max_tokens: 4096,
      secret_name: 'prod/db',
      secret_key_base: 'abcdef0123',
      nested: [{ API_KEY: 'k', 'x-auth-token': 'abc', Authorization: 'Bearer zzz', note: 'AKIAIOSFODNN7EXAMPLE', ok: true }],
      credentials: { user: 'etl', pass: 'p' },
      pass: 'p',
      empty_password: '',
      secret: null,
      NextContinuationToken: '1ueGcxLPRx1Tr',
      next_page_token: 'CAESBggB',
    };
    // Act
    const clean = BUILTIN_REDACTOR.redactValue(value);
    // Assess
    expect(clean).toEqual({
      user_id: 'u-1',
      password: M('secret-field'),
      tokens_in: 120,
      max_tokens: 4096,
      secret_name: 'prod/db',
      secret_key_base: M('secret-field'),
      nested: [{ API_KEY: M('secret-field'), 'x-auth-token': M('secret-field'), Authorization: M('secret-field'), note: M('aws-access-key'), ok: true }],
      credentials: M('secret-field'),
      pass: M('secret-field'),
      empty_password: '',
      secret: null,
      NextContinuationToken: '1ueGcxLPRx1Tr',
      next_page_token: 'CAESBggB',
    });
  });

  it("replaces a pwd key's value whole but a working directory's path", () => {
    // Prepare
    const value = { pwd: 'hunter22', nested: { PWD: '/home/etl', pwd: 'C:\\Users\\ci' }, user_pwd: 'build/out' };
    // Act
    const clean = BUILTIN_REDACTOR.redactValue(value);
    // Assess
    expect(clean).toEqual({ pwd: M('secret-field'), nested: { PWD: '/home/etl', pwd: 'C:\\Users\\ci' }, user_pwd: 'build/out' });
  });

  it('returns the very same object when nothing is secret, and copies only what changed', () => {
    // Prepare
    const quiet = { type: 'run.end', job: 'backup', run_id: 'r-1', exit_code: 0, output_head: 'uploaded 12 objects', args: { ids: [1, 2] } };
    const mixed = { keep: { a: 1 }, change: { token: 'x' } };
    // Act
    const same = BUILTIN_REDACTOR.redactValue(quiet);
    const changed = BUILTIN_REDACTOR.redactValue(mixed);
    // Assess
    expect(same).toBe(quiet);
    expect(changed).not.toBe(mixed);
    expect(changed.keep).toBe(mixed.keep);
    expect(mixed.change.token).toBe('x');
  });

  it('redacts keys that hold a secret, and keeps a __proto__ key a plain key', () => {
    // Prepare
    const value = JSON.parse('{"AKIAIOSFODNN7EXAMPLE": 1, "__proto__": {"password": "x"}, "b": 2}') as Record<string, unknown>;
    // Act
    const clean = BUILTIN_REDACTOR.redactValue(value);
    // Assess
    expect(Object.keys(clean)).toEqual([M('aws-access-key'), '__proto__', 'b']);
    expect(Object.getPrototypeOf(clean)).toBe(Object.prototype);
    expect(JSON.stringify(clean)).toBe(`{"${M('aws-access-key')}":1,"__proto__":{"password":"${M('secret-field')}"},"b":2}`);
  });

  it('replaces whole what is nested too deep to check, without overflowing the stack', () => {
    // Prepare
    const depth = 100_000;
    const deep = JSON.parse(`${'['.repeat(depth)}"password=x"${']'.repeat(depth)}`) as unknown;
    // Act
    const clean = JSON.stringify(BUILTIN_REDACTOR.redactValue({ record: deep }));
    // Assess
    expect(clean).toContain(M('too-deep'));
    expect(clean).not.toContain('password=x');
  });

  it("redacts an event's ts as it redacts the same text elsewhere: a time by the config's patterns, anything else by every rule", () => {
    // Prepare
    const redactor = new Redactor({ patterns: [{ name: 'october', regex: '2026-10' }] });
    const texts = ['2026-10-03T02:31:07Z', '2026-10-03 02:31:07.5 +02:00', '20261003T023107Z', '2026-11-01T00:00:00.000Z', 'token=abc123def', 'sk-ant-0123456789abcdefghijklmnop'];
    // Act
    const asTs = texts.map((ts) => redactor.redactValue({ type: 'run.start', job: 'j', ts }).ts);
    const asText = texts.map((text) => redactor.redactValue({ type: 'run.start', job: 'j', note: text }).note);
    // Assess
    expect(asTs).toEqual(asText);
    expect(asTs[0]).toBe('[REDACTED:october]-03T02:31:07Z');
    expect(asTs[3]).toBe('2026-11-01T00:00:00.000Z');
    expect(asTs[4]).toBe(`token=${M('secret-assignment')}`);
    expect(asTs[5]).toBe(M('anthropic-key'));
  });

  it('leaves nothing of the planted secrets in an object holding them every way', () => {
    const clean = JSON.stringify(redactorFor(validateConfig(SECRETS_CONFIG)).redactValue(secretsObject()));
    expect(leaksIn(clean)).toEqual([]);
    expect(clean).toContain(M('secret-field'));
  });
});

describe('config patterns', () => {
  it('redacts the whole match, or only its (?<secret>…) group', () => {
    // Prepare
    const redactor = new Redactor({
      patterns: [
        { name: 'employee-pin', regex: 'EMP-PIN-(?<secret>[A-Za-z0-9]+)' },
        { name: 'ticket', regex: 'TCK-\\d{6}' },
      ],
    });
    // Act, Assess
    expect(redactor.redactText('badge EMP-PIN-ab12 and TCK-123456, TCK-12')).toBe('badge EMP-PIN-[REDACTED:employee-pin] and [REDACTED:ticket], TCK-12');
    expect(redactor.redactText('uploaded 3 objects')).toBe('uploaded 3 objects');
  });

  it('is built once per config and falls back to the built-in rules without one', () => {
    // Prepare
    const config = validateConfig(SECRETS_CONFIG);
    // Act, Assess
    expect(redactorFor(config)).toBe(redactorFor(config));
    expect(redactorFor(validateConfig({}))).toBe(BUILTIN_REDACTOR);
  });

  it('refuses a pattern that is not a regular expression or matches the empty string', () => {
    expect(patternProblem('(unclosed')).toBe('invalid regular expression: /(unclosed/: Unterminated group');
    expect(patternProblem('a*')).toMatch(/^matches the empty string/);
    expect(patternProblem('PIN-\\d+')).toBeUndefined();
  });

  it('can switch the key-name rule off', () => {
    expect(new Redactor({ disable_builtins: ['secret-field'] }).redactValue({ password: 'plain' })).toEqual({ password: 'plain' });
  });
});

describe('linear time', () => {
  // No timings are asserted: a pattern that backtracks catastrophically would take minutes on
  // these, far past the test timeout.
  const N = 256 * 1024;
  const adversarial: Record<string, string> = {
    letters: 'a'.repeat(N),
    'repeated labels': 'password='.repeat(N / 9),
    'label then spaces': `password${' '.repeat(N)}`,
    'unclosed quote': `password="${'a'.repeat(N)}`,
    'scheme separators': '://'.repeat(N / 3),
    'long user info': `://${'a'.repeat(200)}:${'b'.repeat(N)}`,
    'BEGIN lines': '-----BEGIN RSA PRIVATE KEY-----'.repeat(N / 31),
    'END after base64': `${`${'A'.repeat(64)}\n`.repeat(N / 65)}-----END PRIVATE KEY-----`,
    'END lines': '-----END PRIVATE KEY-----'.repeat(N / 25),
    'whole blocks, no quote': '-----BEGIN RSA PRIVATE KEY-----x-----END RSA PRIVATE KEY-----'.repeat(N / 60),
    'blocks and quotes': '-----BEGIN RSA PRIVATE KEY-----"-----END RSA PRIVATE KEY-----'.repeat(N / 60),
    'bearer words': 'Bearer '.repeat(N / 7),
    'long basic': `Basic ${'a'.repeat(N)}===`,
    'JWT starts': 'eyJaaaaa.'.repeat(N / 9),
    'sk- runs': 'sk-'.repeat(N / 3),
    'quoted labels': 'token: "'.repeat(N / 8),
    'colon labels': 'password: '.repeat(N / 10),
    'colon labels and markers': 'token: a [REDACTED:x] '.repeat(N / 22),
    'URL ports and slashes': `://h:1${'/'.repeat(N)}`,
    'URL user infos': '://a:b/'.repeat(N / 7),
    'URL at signs': `://a:b${'@'.repeat(N)}/`,
    'mysql words': 'mysql '.repeat(N / 6),
    'net options before no subcommand': `net${' -S a'.repeat(N / 5)}`,
    'mysql -p flags': `mysql${' -p'.repeat(N / 3)}`,
    'sshpass flags': `sshpass${' -v'.repeat(N / 3)}`,
    'option dashes': '-'.repeat(N),
    'option words': `--${'a-'.repeat(N / 2)}`,
    'password options': '--password '.repeat(N / 11),
    'logfmt pass values': 'pass=1 '.repeat(N / 7),
    'logfmt pass values beside a user': 'user=a pass=1 '.repeat(N / 14),
    'token options': '--token '.repeat(N / 8),
    'curl -u flags': `curl${' -u a:'.repeat(N / 6)}`,
    'curl quoted users': `curl -u "${'a'.repeat(N)}:`,
    'redis-cli -a flags': `redis-cli${' -a'.repeat(N / 3)}`,
    'XML secret elements': '<password>'.repeat(N / 10),
    'connection string passwords': `;${' '.repeat(N)}pwd=`,
    'sig parameters': '&sig='.repeat(N / 5),
    'account keys': 'AccountKey='.repeat(N / 11),
    'slack hooks': 'hooks.slack.com/services/'.repeat(N / 25),
    'escaped slack hooks': 'hooks.slack.com\\/services\\/'.repeat(N / 27),
    'escaped URL slashes': `:\\/\\/a:${'\\/'.repeat(N / 2)}`,
    'escaped URL user infos': ':\\/\\/a:b\\/'.repeat(N / 10),
    'escapes in a quoted value': `password="${'\\'.repeat(N)}`,
    'escapes in a doubly quoted value': `password=\\"${'\\\\u'.repeat(N / 3)}`,
    'escapes in an unquoted value': `password=${'\\u'.repeat(N / 2)}`,
    'escapes after a colon': `password: ${'\\u'.repeat(N / 2)}`,
    'docker secret options': 'docker --secret abc123def '.repeat(N / 26),
    'docker login -p flags': `docker login${' -p'.repeat(N / 3)}`,
    'openssl pass: options': ' -pass pass:'.repeat(N / 12),
    'env names ending in _PASS': `${'A'.repeat(N)}_PASS=x`,
    'quoted _pass keys': '{"db_pass":"'.repeat(N / 12),
    'quoted labels in brackets': "['password']".repeat(N / 12),
    'bracketed _pass keys': '["db_pass"] = '.repeat(N / 14),
    'colon _PASS labels': 'A_PASS: '.repeat(N / 8),
    'paging token options': '--next-page-token a1 '.repeat(N / 21),
    'prefixed token options': '--a-b-c-token '.repeat(N / 14),
    'podman login -p flags': `podman login${' -p'.repeat(N / 3)}`,
    'indented YAML _pass keys': '\n - a_pass: '.repeat(N / 12),
    'Dockerfile ENV names': 'ENV A_PASS '.repeat(N / 11),
    'Dockerfile ENV values': `ENV A_PASS ${'ENV '.repeat(N / 4)}`,
    'spaces before YAML _pass keys': `${' '.repeat(N / 2)}a_pass: `.repeat(2),
    'docker login quoted users': `docker login${' -u "a'.repeat(N / 6)}`,
    'docker login message words': `docker login${' -pab cd'.repeat(N / 8)}`,
    'build step prefixes before ENV': `${'[1/2] [2026-12-07T01:00:00Z] 01O '.repeat(N / 34)}ENV A_PASS x`,
    'dotted logger names': `${'a.'.repeat(N / 2)}token: renewing`,
    'logger labels after levels': 'INFO a.token: renewing\n'.repeat(N / 23),
    'aws_session_token labels': 'aws_session_token '.repeat(N / 18),
    'discord webhook paths': 'discord.com/api/webhooks/'.repeat(N / 25),
    'teams webhook paths': `webhook.office.com/webhookb2/${'@'.repeat(N)}`,
    'sentry key before hosts': `://${'a'.repeat(64)}@${'b'.repeat(N)}`,
    'gitlab token suffixes': `glpat-${'a'.repeat(255)}${'.a'.repeat(N / 2)}`,
    'bare pass labels': 'pass: '.repeat(N / 6),
    'scheme-less user infos': `${'a'.repeat(63)}:`.repeat(N / 64) + '@',
    'scheme-less passwords': `a:${'b'.repeat(N)}@c`,
    'passwd values on a login line': 'user=a passwd x1y2z3 '.repeat(N / 21),
    'bare pwd labels': 'pwd=Secr3t! '.repeat(N / 12),
    'login pairs after a colon': 'user: admin pass: x '.repeat(N / 20),
    'login pairs with kept first words': 'user: admin pass: ok '.repeat(N / 21),
    'mongo commands after pipes': '| mongo -p 1:1 '.repeat(N / 14),
    'mongo words after spaces': `${' '.repeat(N)}mongo `.repeat(2),
    'IDENTIFIED BY words in a grant': `grant${' IDENTIFIED BY x'.repeat(N / 16)}`,
    'IDENTIFIED BY lists': `SET ROLE r${' IDENTIFIED BY x, r'.repeat(N / 19)}`,
    'IDENTIFIED BY lists of quoted passwords': `SET ROLE r${" IDENTIFIED BY 'x', r".repeat(N / 21)}`,
    'REPLACE after IDENTIFIED BY': `ALTER USER u${' IDENTIFIED BY x REPLACE'.repeat(N / 23)}`,
    'htpasswd options': `htpasswd${' -b -C 1'.repeat(N / 8)}`,
    'htpasswd arguments': `htpasswd -b${' a'.repeat(N / 2)}`,
    'sudo options after echo': `echo x | sudo${' -u a'.repeat(N / 5)}`,
    'echo words before a pipe': `${'echo '.repeat(N / 5)}| sudo -S`,
    'AUTH words': 'AUTH a '.repeat(N / 7),
    'quoted AUTH words': '"AUTH" "a" '.repeat(N / 11),
    'net ads -U flags': `net ads${' -U a%'.repeat(N / 6)}`,
    'zip -P flags': `zip${' -P'.repeat(N / 3)}`,
    'exp user words': 'exp a/'.repeat(N / 6),
    'compose options before mongo -p flags': `docker compose --profile mongo${' -p a'.repeat(N / 5)}`,
    'compose options before mongo': `docker compose${' --a b'.repeat(N / 6)} --profile mongo -p a`,
    'log prefixes before a grant': `${'ORA-1: [a] '.repeat(N / 11)}grant x to u identified by p`,
    'redis-cli options before AUTH': `redis-cli${' -h a'.repeat(N / 5)} AUTH`,
    'redis-cli prompts before AUTH': 'a:1> AUTH '.repeat(N / 10),
    'redis> prompts': 'redis> auth a '.repeat(N / 14),
    'a host before a prompt': `${'a'.repeat(N)}:1>`,
    'AUTH before long words': `AUTH ${'a'.repeat(N / 2)} ${'b'.repeat(N / 2)}`,
    'AUTH words in a quote': '"AUTH a '.repeat(N / 8),
    'expdp NAME= parameters before userid=': `expdp${' a=b'.repeat(N / 4)} userid=`,
    'quoted exp logins': `exp '${'a/'.repeat(N / 2)}`,
    'exp logins before commas': 'exp a/b, '.repeat(N / 9),
    'net rpc password arguments': `net rpc password${' a'.repeat(N / 2)}`,
    'net rpc quoted passwords': `net rpc password a ${'"a'.repeat(N / 2)}`,
    'ldappasswd glued -s': `ldappasswd${' -sa'.repeat(N / 4)}`,
    'ldappasswd glued -w': `ldappasswd${' -wa'.repeat(N / 4)}`,
    'zip glued -P': `zip${' -Pa'.repeat(N / 4)}`,
    '7z glued -p': `7z${' -pa'.repeat(N / 4)}`,
    '7z long words before -p': `7z ${('x'.repeat(255) + ' -p ').repeat(N / 260)}`,
    'glued -p without 7z': ' -pa'.repeat(N / 4),
    '7z quoted -p unclosed': `7z${" '-pa".repeat(N / 5)}`,
    'mysql quoted -p unclosed': `mysql${' "-pa'.repeat(N / 5)}`,
    'mysql quotes after -p unclosed': `mysql${' -p"a'.repeat(N / 5)}`,
    'mysql argv glued -p': `["mysql"${',"-pa'.repeat(N / 5)}`,
    'sqlplus argv options': `["sqlplus"${',"-s"'.repeat(N / 5)}`,
    'mysql argv lists of escapes': `["mysql", "${'\\"'.repeat(N / 2)}`,
    'mysql argv lists unclosed': '["mysql"'.repeat(N / 8),
    'mysql argv lists with spaces and no argument': `[ "mysql"${' ,'.repeat(N / 2)}`,
    'mysql argv paths': `["${'/'.repeat(N)}mysql`,
    'mysql argv after many plain arguments': `[${'"a",'.repeat(N / 4)}`,
    'mysql argv tuples of arguments': '("a", '.repeat(N / 6),
    'mysql argv Windows paths': `["${'C:\\\\x '.repeat(N / 6)}`,
    'mysql argv long arguments before no client': `[${`"${'a'.repeat(1000)}",`.repeat(N / 1003)}`,
    '7z charset switches before no command': `7z${' -sccUTF-8 -scsUTF-16LE -sse --'.repeat(N / 32)}`,
    '7z switch shapes before no command': `7z${' -bso0 -mx=9 -i!a -up0'.repeat(N / 24)}`,
    '7z switches before no command': `7z${' -y'.repeat(N / 3)}`,
    'URL passwords with # and no @': `://u:${'a#'.repeat(N / 2)}`,
    'URL users with ? and no @': `${'://u:a?'.repeat(N / 7)}`,
    'escaped sqlplus logins before \\n': `sqlplus \\"${'a/b\\"\\n'.repeat(N / 8)}`,
    'sqlplus quoted logins before as sys': `sqlplus "${'a/b as '.repeat(N / 7)}`,
    'escaped logins ending a string': `expdp \\"${'a/b\\"'.repeat(N / 6)}`,
    'unzip -P in groups of options': `unzip${' -qoP'.repeat(N / 5)}`,
    'sudo empty --opt=': `echo x | sudo${' --a='.repeat(N / 5)}`,
    'syslog prefixes before a grant': `${'<1>Dec  7 01:00:00 h a: '.repeat(N / 24)}GRANT x TO u IDENTIFIED BY p`,
    'RFC 3339 syslog prefixes before a grant': `${'2026-12-07T01:00:00Z h a: '.repeat(N / 26)}GRANT x TO u IDENTIFIED BY p`,
    'Python logging prefixes before a grant': `${'INFO:root:- a - '.repeat(N / 16)}GRANT x TO u IDENTIFIED BY p`,
  };
  it.each(Object.entries(adversarial))('redacts %s (256 KiB) in one pass', (_name, text) => {
    const clean = BUILTIN_REDACTOR.redactText(text);
    expect(typeof clean).toBe('string');
  });
});

describe('parseLine redacts at entry', () => {
  const source = { origin: 'secrets.log', line: 1 };
  const ctx = { source, recordTime: Date.parse('2026-10-03T00:00:00Z'), defaultJob: 'etl', redactor: redactorFor(validateConfig(SECRETS_CONFIG)) };

  it('redacts every field of an event, extra fields included', () => {
    // Prepare
    const line = JSON.stringify({ type: 'run.end', job: 'etl', run_id: 'r-1', exit_code: 0, output_head: secretsText(), output_tail: secretsText('FATAL'), extra: secretsObject() });
    // Act
    const outcome = parseLine(line, ctx);
    // Assess
    expect(outcome.kind).toBe('events');
    const body = JSON.stringify(outcome.kind === 'events' ? outcome.events[0].body : undefined);
    expect(leaksIn(body)).toEqual([]);
    expect(body).toContain('ERROR: upload failed [REDACTED:aws-access-key] password=[REDACTED:secret-assignment] EMP-PIN-[REDACTED:employee-pin]');
  });

  it('words a rejection from the redacted line, so a quoted cut never holds part of a secret', () => {
    // Prepare: the key straddles the 80 characters a reason quotes, and JSON.parse's excerpt.
    const report = `REPORT RequestId: 8f5e2c1a-0000-4000-8000-000000000000 Billed: 1 ms ${'x'.repeat(3)}AKIAPL4NTQ7X00000001 password=pl4nt-pw-0016`;
    const json = '{"type":"run.end","job":"etl","run_id":"r","exit_code":0,"output_head":"AKIAPL4NTQ7X00000001" oops}';
    // Act
    const outcomes = [parseLine(report, ctx), parseLine(json, ctx)];
    // Assess
    for (const outcome of outcomes) {
      expect(outcome.kind).toBe('rejected');
      expect(leaksIn(outcome.kind === 'rejected' ? outcome.reason : '')).toEqual([]);
    }
  });

  it('redacts the password in a cron command, and names its job the same on every run', () => {
    // Prepare: the command of a cron CMD line is the job's name; the password changed in between
    const cmd = (at: string, pid: number, password: string) => `Oct  3 ${at} db1 CRON[${pid}]: (root) CMD (mysqldump -uroot -p${password} appdb > /backup/db.sql)`;
    const lines = [cmd('02:30:01', 101, 'S3cretPass'), cmd('02:30:01', 102, 'S3cretPass'), cmd('03:30:01', 103, 'N3wSecret!')];
    // Act
    const jobs = lines.map((line) => {
      const outcome = parseLine(line, { source, year: 2026 });
      return outcome.kind === 'events' ? outcome.events[0].body.job : outcome.kind;
    });
    // Assess
    expect(jobs).toEqual(Array(3).fill(`mysqldump -uroot -p${M('cli-password')} appdb > /backup/db.sql`));
  });

  it('redacts an AWS secret key a cron command sets with `aws configure set`, in its job name', () => {
    // Prepare
    const line = 'Oct  3 02:32:01 web1 CRON[113]: (root) CMD (aws configure set aws_secret_access_key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY)';
    // Act
    const outcome = parseLine(line, { source, year: 2026 });
    // Assess
    expect(outcome.kind === 'events' && outcome.events[0].body.job).toBe(`aws configure set aws_secret_access_key ${M('aws-secret-key')}`);
  });

  it('applies the built-in rules when no redactor is given', () => {
    const outcome = parseLine(JSON.stringify({ type: 'guard.bypass', ts: '2026-10-03T00:00:00Z', guard: 'g', reason: 'password=hunter2' }), { source });
    expect(outcome.kind === 'events' && outcome.events[0].body).toMatchObject({ reason: `password=${M('secret-assignment')}` });
  });
});
