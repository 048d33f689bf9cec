import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { closeSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { newRunId, PIPE_GRACE_MS, REDACTION_MARGIN_BYTES, type RunLine, runExec, type SignalSource } from '../../lambdas/cli/exec-command.ts';
import { runScan } from '../../lambdas/cli/scan-command.ts';
import { DEFAULT_CONFIG, loadConfig } from '../../lambdas/config.ts';
import { OUTPUT_EXCERPT_BYTES } from '../../lambdas/core/output-capture.ts';
import { parseLine } from '../../lambdas/core/parse/index.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const node = process.execPath;
const cliPath = join(repo, 'bin/silent-audit.mjs');

/** A sink that keeps every byte written to it. */
function byteSink() {
  const chunks: Buffer[] = [];
  const stream = new PassThrough();
  stream.on('data', (d: Buffer) => chunks.push(d));
  return { stream, bytes: () => Buffer.concat(chunks), text: () => Buffer.concat(chunks).toString('utf8') };
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'sa-exec-'));
}

/** Whether the process `pid` is still running (signal 0 checks, sends nothing). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function logLines(path: string): RunLine[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RunLine);
}

async function exec(command: string[], extra: Partial<Parameters<typeof runExec>[0]> = {}) {
  const out = byteSink();
  const err = byteSink();
  const log = join(tempDir(), 'job.log');
  const result = await runExec({ job: 'nightly-backup', command, log, stdout: out.stream, stderr: err.stream, stdin: 'ignore', ...extra });
  return { result, out, err, log };
}

describe('silent-audit exec: output', () => {
  it('passes stdout and stderr through unchanged, byte for byte, each to its own stream', async () => {
    // Prepare: every byte value on stdout, invalid UTF-8 and CRLF on stderr, in several writes
    const script = `
      const all = Buffer.alloc(256); for (let i = 0; i < 256; i++) all[i] = i;
      process.stdout.write(all);
      process.stderr.write(Buffer.from([0xff, 0xfe, 0x0d, 0x0a, 0xc3]));
      process.stdout.write('caf\\u00e9 \\u{1F600}\\r\\n');
      process.stderr.write('warning: disk 91% full\\n');`;
    const expectedOut = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from('café 😀\r\n')]);
    const expectedErr = Buffer.concat([Buffer.from([0xff, 0xfe, 0x0d, 0x0a, 0xc3]), Buffer.from('warning: disk 91% full\n')]);
    // Act
    const { result, out, err } = await exec([node, '-e', script]);
    // Assess
    expect(out.bytes().equals(expectedOut)).toBe(true);
    expect(err.bytes().equals(expectedErr)).toBe(true);
    expect(result.exitCode).toBe(0);
    expect(result.end).toMatchObject({ exit_code: 0, output_bytes: expectedOut.length + expectedErr.length, stdout_bytes: expectedOut.length, stderr_bytes: expectedErr.length });
  });

  it('counts bytes and lines of stdout and stderr together, and keeps the whole of a short output as head and tail', async () => {
    // An unfinished last line on each stream counts once per stream, whichever stream's chunk came first.
    const { result } = await exec(['sh', '-c', 'echo "uploaded 1204 objects"; printf "took 40 min" >&2; printf "done"']);
    expect(result.end).toMatchObject({ output_bytes: 37, output_lines: 3, stdout_bytes: 26, stderr_bytes: 11 });
    expect(String(result.end.output_head)).toContain('uploaded 1204 objects\n');
    expect(result.end.output_tail).toBe(result.end.output_head);
  });

  it('keeps head and tail within 2 KiB of UTF-8 after redaction, whose markers are longer than the secrets they replace', async () => {
    // Prepare: a 1-character password at the start and at the end of 3 KiB of output.
    const script = "process.stdout.write('password=x\\n' + 'a'.repeat(3000) + '\\npassword=y\\n')";

    // Act
    const { result, log } = await exec([node, '-e', script]);

    // Assess: redacted, cut back to 2 KiB, the head keeping its start and the tail its end, as written to the log.
    const [, end] = logLines(log);
    expect(String(end.output_head)).toMatch(/^password=\[REDACTED:secret-assignment\]\naaa/);
    expect(String(end.output_tail)).toMatch(/aaa\npassword=\[REDACTED:secret-assignment\]\n$/);
    expect(Buffer.byteLength(String(end.output_head))).toBe(2048);
    expect(Buffer.byteLength(String(end.output_tail))).toBe(2048);
    expect(result.end).toEqual(end);
  });

  it.each([
    ['a labelled AWS secret key', 'AWS_SECRET_ACCESS_KEY=', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws-secret-key'],
    ['a GitHub token', 'deploy with ', 'ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8', 'github-token'],
  ])('redacts %s that the tail of an output over 4 KiB starts inside of, its label before the cut', async (_name, label, secret, rule) => {
    // Prepare: 3,001 bytes, then the secret, its first 12 characters before the tail's 2 KiB
    const after = ' '.padEnd(OUTPUT_EXCERPT_BYTES - (secret.length - 12) - 1, 'z');
    const script = `process.stdout.write('y'.repeat(3000) + '\\n' + ${JSON.stringify(label + secret + after)} + '\\n')`;
    // Act
    const { result, log } = await exec([node, '-e', script]);
    // Assess: no piece of the secret written; the tail is 2 KiB, ending as the output did
    const [, end] = logLines(log);
    const text = readFileSync(log, 'utf8');
    for (let i = 0; i + 8 <= secret.length; i++) expect(text).not.toContain(secret.slice(i, i + 8));
    expect(String(end.output_tail)).toMatch(new RegExp(`^.{0,30}\\] ${after.slice(1, 10)}`));
    expect(String(end.output_tail)).toContain(`${rule}]`);
    expect(String(end.output_tail).endsWith(`${after}\n`)).toBe(true);
    expect(Buffer.byteLength(String(end.output_tail))).toBe(OUTPUT_EXCERPT_BYTES);
    expect(result.end).toEqual(end);
  });

  it('redacts a token that the head of an output over 4 KiB ends inside of, too short there for its rule', async () => {
    // Prepare: the head's 2 KiB end 12 characters into the token (ghp_ and 8: a GitHub token has 20 or more after ghp_)
    const token = 'ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
    const script = `process.stdout.write('x'.repeat(${OUTPUT_EXCERPT_BYTES - 13}) + ' ' + ${JSON.stringify(token)} + ' ' + 'y'.repeat(4000) + '\\n')`;
    // Act
    const { log } = await exec([node, '-e', script]);
    // Assess: the head ends in the token's marker, cut to 2 KiB; none of the token written
    const [, end] = logLines(log);
    expect(readFileSync(log, 'utf8')).not.toContain(token.slice(0, 8));
    expect(String(end.output_head)).toMatch(/x \[REDACTED:gi$/);
    expect(Buffer.byteLength(String(end.output_head))).toBe(OUTPUT_EXCERPT_BYTES);
  });

  it('never shows the piece of a secret that the start of the tail\'s margin cut off, however much redaction shortens the rest', async () => {
    // Prepare: the 3 KiB the tail and its margin hold start 100 characters into a 300-character
    // labelled secret, then eleven GitHub tokens, each 236 bytes shorter once redacted.
    const secret = 'Q'.repeat(300);
    const tokens = Array.from({ length: 11 }, (_, i) => `ghp_${String.fromCharCode(65 + i).repeat(255)}\n`).join('');
    const last = `${secret.slice(100)}\n${tokens}${'b'.repeat(11)}`;
    expect(Buffer.byteLength(last)).toBe(OUTPUT_EXCERPT_BYTES + REDACTION_MARGIN_BYTES);
    const script = `process.stdout.write(${JSON.stringify(`${'a'.repeat(3000)}\npassword=${secret.slice(0, 100)}${last}`)})`;
    // Act
    const { log } = await exec([node, '-e', script]);
    // Assess: the tail is what follows the line the margin cut, redacted
    const [, end] = logLines(log);
    expect(end.output_tail).toBe(`${'[REDACTED:github-token]\n'.repeat(11)}${'b'.repeat(11)}`);
    expect(readFileSync(log, 'utf8')).not.toContain('QQQQ');
  });

  it('keeps exactly the first and last 2 KiB of a 10 MiB output, passes all of it on, and holds no more than its 4 KiB of excerpts and their margins', async () => {
    // Prepare: 10 MiB of numbered 64-byte lines, streamed by a child process
    const line = (i: number) => `line ${String(i).padStart(8, '0')} ${'x'.repeat(49)}\n`;
    const lines = (10 * 1024 * 1024) / 64;
    const script = `
      const line = ${line.toString()};
      let i = 0;
      (function more() {
        while (i < ${lines}) {
          let chunk = ''; for (const end = i + 1024; i < end; i++) chunk += line(i);
          if (!process.stdout.write(chunk)) return process.stdout.once('drain', more);
        }
      })();`;
    const expectedHash = createHash('sha256');
    for (let i = 0; i < lines; i++) expectedHash.update(line(i));
    const seen = createHash('sha256');
    let passed = 0;
    const stdout = new Writable({
      write(chunk: Buffer, _enc, done) {
        seen.update(chunk);
        passed += chunk.length;
        done();
      },
    });
    // Act
    const { result } = await exec([node, '-e', script], { stdout });
    // Assess
    expect(passed).toBe(10 * 1024 * 1024);
    expect(seen.digest('hex')).toBe(expectedHash.digest('hex'));
    let head = '';
    for (let i = 0; i < 32; i++) head += line(i);
    let tail = '';
    for (let i = lines - 32; i < lines; i++) tail += line(i);
    expect(result.end).toMatchObject({ output_bytes: 10 * 1024 * 1024, output_lines: lines, output_head: head, output_tail: tail });
    expect(result.capture.retainedBytes).toBeLessThanOrEqual(2 * (OUTPUT_EXCERPT_BYTES + REDACTION_MARGIN_BYTES));
  });
});

describe('silent-audit exec: exit codes', () => {
  it("exits with the command's own exit code", async () => {
    const { result, log } = await exec([node, '-e', 'process.exit(3)']);
    expect(result.exitCode).toBe(3);
    expect(logLines(log)[1]).toMatchObject({ type: 'run.end', exit_code: 3 });
  });

  it('reports a command killed by a signal as 128 + its number', async () => {
    const { result, log } = await exec([node, '-e', "process.kill(process.pid, 'SIGTERM'); setTimeout(() => {}, 5000)"]);
    expect(result.exitCode).toBe(143);
    expect(logLines(log)[1]).toMatchObject({ type: 'run.end', exit_code: 143, signal: 'SIGTERM' });
  });

  it('reports a command that cannot be found with 127, a run.end and a clear message', async () => {
    // Act
    const { result, err, log } = await exec(['no-such-command-4f1a', '--now']);
    // Assess
    expect(result.exitCode).toBe(127);
    expect(err.text()).toBe('silent-audit exec: cannot run no-such-command-4f1a (command not found in PATH, ENOENT)\n');
    const [start, end] = logLines(log);
    expect(start).toMatchObject({ type: 'run.start', command: 'no-such-command-4f1a' });
    expect(end).toMatchObject({ type: 'run.end', run_id: start.run_id, exit_code: 127, output_bytes: 0, error: 'cannot run no-such-command-4f1a (command not found in PATH, ENOENT)' });
  });

  it('reports a file that is not executable with 126', async () => {
    const script = join(tempDir(), 'backup.sh');
    writeFileSync(script, '#!/bin/sh\necho hi\n', { mode: 0o644 });
    const { result, err } = await exec([script]);
    expect(result.exitCode).toBe(126);
    expect(err.text()).toBe(`silent-audit exec: cannot run ${script} (permission denied, EACCES); is it executable?\n`);
  });

  it('keeps its own error whole in run.end when the command is named like a secret label (passwd, token)', async () => {
    // Prepare: a file named passwd that is not executable, and a missing one named …-token
    const dir = tempDir();
    const passwd = join(dir, 'passwd');
    writeFileSync(passwd, 'root:x:0:0\n', { mode: 0o644 });
    // Act
    const notExecutable = await exec([passwd]);
    const missing = await exec([join(dir, 'rotate-token')]);
    // Assess
    expect(logLines(notExecutable.log)[1].error).toBe(`cannot run ${passwd} (permission denied, EACCES); is it executable?`);
    expect(logLines(missing.log)[1].error).toBe(`cannot run ${join(dir, 'rotate-token')} (no such file, ENOENT)`);
  });

  it('forwards SIGTERM and SIGINT to the command, and stops listening when it is done', async () => {
    // Prepare
    const signals = new EventEmitter();
    const out = new PassThrough();
    out.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) signals.emit('SIGINT', 'SIGINT');
    });
    // Act
    const result = await runExec({
      job: 'nightly-backup',
      command: [node, '-e', "process.stdout.write('ready\\n'); setTimeout(() => {}, 30000)"],
      stdout: out,
      stderr: new PassThrough(),
      stdin: 'ignore',
      signals: signals as unknown as SignalSource,
      processGroup: 'own',
    });
    // Assess
    expect(result.exitCode).toBe(130);
    expect(result.end).toMatchObject({ exit_code: 130, signal: 'SIGINT' });
    expect(signals.listenerCount('SIGTERM') + signals.listenerCount('SIGINT')).toBe(0);
  });
});

describe('silent-audit exec: signals', () => {
  it('at a terminal, keeps the command in its group and passes on SIGTERM, not SIGINT nor SIGHUP (they reach the whole group from the terminal)', async () => {
    // Prepare
    const signals = new EventEmitter();
    const out = new PassThrough();
    out.on('data', (d: Buffer) => {
      if (!d.toString().includes('ready')) return;
      signals.emit('SIGINT', 'SIGINT');
      signals.emit('SIGHUP', 'SIGHUP');
      setTimeout(() => signals.emit('SIGTERM', 'SIGTERM'), 200);
    });
    const script = "for (const s of ['SIGINT', 'SIGHUP']) process.on(s, () => console.log('got', s)); process.stdout.write('ready\\n'); setTimeout(() => {}, 30000)";
    // Act
    const result = await runExec({ job: 'prompt', command: [node, '-e', script], stdout: out, stderr: new PassThrough(), stdin: 'ignore', signals: signals as unknown as SignalSource, processGroup: 'shared' });
    // Assess: neither SIGINT nor SIGHUP came from exec; SIGTERM did
    expect(result.end).toMatchObject({ exit_code: 143, signal: 'SIGTERM', output_head: 'ready\n' });
  });

  it('at a terminal, the command keeps the terminal (it can open /dev/tty)', () => {
    // Prepare: a terminal made by script(1)
    const line = `${JSON.stringify(node)} ${JSON.stringify(cliPath)} exec --job tty -- sh -c 'exec 3</dev/tty && echo tty-ok'`;
    // Act
    const run = spawnSync('script', ['-qec', line, '/dev/null'], { encoding: 'utf8', timeout: 15_000 });
    // Assess
    expect(run.stdout).toContain('tty-ok');
    expect(run.status).toBe(0);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('without a terminal, a %s sent to its whole process group (timeout, systemd, Ctrl-C) reaches the command once', async (signal) => {
    // Prepare: exec in a group of its own, as under timeout or a systemd unit; a job that counts the signals it gets
    const script = `let n = 0; process.on('${signal}', () => { if (n++ === 0) setTimeout(() => { console.log('got', n); process.exit(0); }, 500); }); console.log('ready'); setInterval(() => {}, 1000)`;
    const child = spawn(node, [cliPath, 'exec', '--job', 'group', '--', node, '-e', script], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    const status = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Act
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('ready')) resolve();
      }),
    );
    process.kill(-(child.pid as number), signal);
    // Assess
    expect(await status).toBe(0);
    expect(stdout).toContain('got 1\n');
  });

  it.each(['SIGUSR1', 'SIGUSR2', 'SIGQUIT', 'SIGALRM'] as const)('passes a %s sent to it on to the command, writes its run.end and exits as the command did (never opening a debugger)', async (signal) => {
    // Prepare: exec without a terminal, as under cron; a command that dies of the signal, as it would unwrapped
    const log = join(tempDir(), 'signal.log');
    const child = spawn(node, [cliPath, 'exec', '--job', 'sig', '--log', log, '--', 'sh', '-c', 'echo ready; exec sleep 30'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const status = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Act
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
    child.kill(signal);
    // Assess: Node's SIGUSR1 default starts its inspector and says "Debugger listening on ws://127.0.0.1:9229/…"
    const code = 128 + constants.signals[signal];
    expect(await status).toBe(code);
    expect(logLines(log)[1]).toMatchObject({ type: 'run.end', job: 'sig', exit_code: code, signal });
    expect(stderr).not.toMatch(/debugger|inspector/i);
  }, 20_000);

  it.each([
    ['', [], {}],
    [', when only a debugger port was given (--inspect-port, which opens none)', ['--inspect-port=0'], {}],
    [', when NODE_OPTIONS names only the debugger process id file option (--inspect-publish-uid)', [], { NODE_OPTIONS: '--inspect-publish-uid=stderr,http' }],
  ])("closes Node's debugger when a SIGUSR1 opened it as Node started, before silent-audit's code ran, and says so%s", async (_, nodeArgs, env) => {
    // Prepare: a debugger open before the launcher runs, as Node's own SIGUSR1 action leaves it (on a free port here, not 9229)
    const dir = tempDir();
    const opened = join(dir, 'opened.mjs');
    writeFileSync(opened, "import inspector from 'node:inspector';\ninspector.open(0);\n");
    const child = spawn(node, [...nodeArgs, '--import', opened, cliPath, 'exec', '--job', 'early', '--log', join(dir, 'run.log'), '--', 'sh', '-c', 'echo ready; sleep 1'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const status = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Act: once the command runs, try the debugger's port
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
    const port = Number(/ws:\/\/127\.0\.0\.1:(\d+)\//.exec(stderr)?.[1]);
    const reached = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => resolve(true)).on('error', () => resolve(false));
      socket.unref();
      setTimeout(() => socket.destroy(), 500);
    });
    // Assess
    expect(port).toBeGreaterThan(0);
    expect(reached).toBe(false);
    expect(stderr).toMatch(/^silent-audit: Node's debugger was opened .*closed it$/m);
    expect(await status).toBe(0);
  }, 20_000);

  it('at a terminal, passes on SIGUSR1, SIGUSR2 and SIGALRM, which no terminal sends, but not SIGQUIT (Ctrl-\\ reaches the whole group from the terminal)', async () => {
    // Prepare
    const signals = new EventEmitter();
    const out = new PassThrough();
    out.on('data', (d: Buffer) => {
      if (!d.toString().includes('ready')) return;
      for (const s of ['SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGALRM']) signals.emit(s, s);
      setTimeout(() => signals.emit('SIGTERM', 'SIGTERM'), 300);
    });
    const script = "for (const s of ['SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGALRM']) process.on(s, () => console.log('got', s)); process.stdout.write('ready\\n'); setTimeout(() => {}, 30000)";
    // Act
    const result = await runExec({ job: 'prompt', command: [node, '-e', script], stdout: out, stderr: new PassThrough(), stdin: 'ignore', signals: signals as unknown as SignalSource, processGroup: 'shared' });
    // Assess
    expect(result.end).toMatchObject({ exit_code: 143, signal: 'SIGTERM' });
    expect(String(result.end.output_head).split('\n').filter(Boolean).sort()).toEqual(['got SIGALRM', 'got SIGUSR1', 'got SIGUSR2', 'ready']);
  });
});

describe('silent-audit exec: a process left in the background', () => {
  it('ends the run when the command exits, not when a background process it started lets go of the output; a signal then stops the wait', async () => {
    // Prepare: a job that starts a background process holding its output pipes (its pid in a file), and exits at once
    const signals = new EventEmitter();
    const dir = tempDir();
    const log = join(dir, 'bg.log');
    const pidFile = join(dir, 'bg.pid');
    const events: string[] = [];
    onTestFinished(() => {
      const left = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined;
      if (left !== undefined && isRunning(left)) process.kill(left, 'SIGKILL');
    });
    // Act
    const running = runExec({
      job: 'bg',
      command: ['sh', '-c', `sleep 1000 & echo $! > '${pidFile}'; echo started; exit 0`],
      log,
      stdout: new PassThrough().resume(),
      stderr: new PassThrough().resume(),
      stdin: 'ignore',
      signals: signals as unknown as SignalSource,
    }).then((result) => {
      events.push('exec done');
      return result;
    });
    let ended: RunLine | undefined;
    while (!ended) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      ended = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RunLine).find((l) => l.type === 'run.end');
    }
    const background = Number(readFileSync(pidFile, 'utf8'));
    events.push(`run.end written, the background process ${isRunning(background) ? 'still running' : 'gone'}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    signals.emit('SIGTERM', 'SIGTERM');
    events.push('signalled');
    const result = await running;
    // Assess: run.end while the background process still held the pipes, with the exit's code and the output before it; exec waits on until the signal
    expect(events).toEqual(['run.end written, the background process still running', 'signalled', 'exec done']);
    expect(ended).toMatchObject({ exit_code: 0, output_head: 'started\n', output_bytes: 8 });
    expect(Number(ended?.duration_ms)).toBeLessThan(PIPE_GRACE_MS);
    expect(result.exitCode).toBe(0);
    expect(signals.listenerCount('SIGTERM')).toBe(0);
  }, 20_000);

  it('exits on a signal after run.end, dropping the output it held for a reader that takes none (timeout, systemd stop)', async () => {
    // Prepare: a command that exits at once, leaving a background writer of 20 MB on the output; a reader of exec's stdout that takes nothing
    const log = join(tempDir(), 'bg-stuck.log');
    const child = spawn(node, [cliPath, 'exec', '--job', 'bg-stuck', '--log', log, '--', 'sh', '-c', 'seq 1 3000000 & exit 0'], { stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout.pause();
    const events: string[] = [];
    const status = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => {
        events.push('exited');
        resolve(code);
      }),
    );
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    while (!(existsSync(log) && readFileSync(log, 'utf8').includes('"run.end"'))) await new Promise((resolve) => setTimeout(resolve, 50));
    events.push('run.end written');
    // Act: left alone, it would wait for ever (the writer's output has no reader); the test's own timeout fails a hang
    child.kill('SIGTERM');
    events.push('signalled');
    const exited = await status;
    // Assess: the command's own exit code, on the signal
    expect(events).toEqual(['run.end written', 'signalled', 'exited']);
    expect(exited).toBe(0);
    expect(logLines(log)[1]).toMatchObject({ type: 'run.end', exit_code: 0 });
  }, 20_000);
});

describe('silent-audit exec: a stdout that fails or reads slowly', () => {
  it('never reports a run whose output could not be written (a full disk) as a success: the command sees its write fail, exec exits 1 and says why, run.end is a failure', async () => {
    // Prepare: a stdout whose writes fail as a full disk's do, and a command that reports its own write errors and exits 0
    const stdout = new Writable({
      write(_chunk: Buffer, _enc, done) {
        done(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' }));
      },
    });
    const script = "trap '' PIPE; echo first; sleep 0.5; echo second || echo 'second write failed' >&2; exit 0";
    const log = join(tempDir(), 'db-dump.log');
    // Act
    const { result, err } = await exec(['sh', '-c', script], { stdout, log });
    const scanned = await runScan({ paths: [log], config: DEFAULT_CONFIG, json: true, stdout: new PassThrough(), stderr: new PassThrough() });
    // Assess
    expect(err.text()).toContain('second write failed');
    expect(err.text()).toMatch(/^silent-audit exec: .*ENOSPC.*$/m);
    expect(result.exitCode).toBe(1);
    expect(result.end).toMatchObject({ exit_code: 1, error: expect.stringContaining('ENOSPC') });
    expect(logLines(log)[1]).toEqual(result.end);
    expect(scanned.findings.map((f) => [f.detector, f.subject])).toEqual([['run-failed', 'nightly-backup']]);
    expect(scanned.findings[0]?.message).toContain('ENOSPC');
  });

  it('gives the command a broken pipe, not a connection reset, when the reader of its stdout goes away with its output waiting unread (| head -1)', async () => {
    // Prepare: a reader that takes 300 ms over its first chunk and is then gone (EPIPE), while the command's output waits unread in exec's end of the pipe
    const goneReader = () => {
      let writes = 0;
      return new Writable({
        write(_chunk: Buffer, _enc, done) {
          const gone = () => done(Object.assign(new Error('EPIPE: broken pipe, write'), { code: 'EPIPE', errno: -32, syscall: 'write' }));
          if (writes++ === 0) return void setTimeout(gone, 300);
          gone();
        },
      });
    };
    // Act: a command that writes 8 KiB at a time and stops when a write fails, SIGPIPE ignored so that it names the error it got
    const { result, err } = await exec(['sh', '-c', "trap '' PIPE; while head -c 8192 /dev/zero; do :; done; echo stopped >&2"], { stdout: goneReader() });
    // Assess: EPIPE, as a gone reader gives it unwrapped; a reset would say "Connection reset by peer"
    expect(err.text()).toMatch(/^head: .*Broken pipe\nstopped$/m);
    expect(err.text()).not.toMatch(/reset/i);
    expect(result.end).toMatchObject({ exit_code: 0 });
    expect(result.end).not.toHaveProperty('error');
  });

  it("keeps the command's own failing exit code when its output could not be written, and names the write error in run.end", async () => {
    // Prepare: a stdout that fails, and a command that exits 3 of its own accord
    const stdout = new Writable({
      write(_chunk: Buffer, _enc, done) {
        done(Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO', errno: -5, syscall: 'write' }));
      },
    });
    // Act
    const { result } = await exec(['sh', '-c', 'echo out; exit 3'], { stdout });
    // Assess
    expect(result.exitCode).toBe(3);
    expect(result.end).toMatchObject({ exit_code: 3, error: expect.stringContaining('EIO') });
  });

  it('still exits 1 and says why when the output held for a slow reader fails after run.end was written', async () => {
    // Prepare: a stdout that takes 300 ms for its first write and fails the next (the disk filled up meanwhile); a command whose output fits in the pipe, done at once
    let writes = 0;
    const stdout = new Writable({
      write(_chunk: Buffer, _enc, done) {
        if (writes++ === 0) return void setTimeout(done, 300);
        done(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' }));
      },
    });
    // Act
    const { result, err } = await exec(['sh', '-c', 'head -c 150000 /dev/zero'], { stdout });
    // Assess: run.end was written when the pipes closed; exec's own exit tells what happened after
    expect(result.end).toMatchObject({ exit_code: 0, stdout_bytes: 150000 });
    expect(result.exitCode).toBe(1);
    expect(err.text()).toMatch(/^silent-audit exec: .*ENOSPC.*after run\.end was written.*$/m);
  });

  it('exits 1 with a message when its stdout is a full device (> /dev/full), where the command run alone fails', () => {
    // Prepare
    const full = openSync('/dev/full', 'w');
    const dir = tempDir();
    // Act
    const run = spawnSync(node, [cliPath, 'exec', '--job', 'db-dump', '--log', join(dir, 'run.log'), '--', 'sh', '-c', 'head -c 300000 /dev/zero | od'], { stdio: ['ignore', full, 'pipe'], encoding: 'utf8' });
    closeSync(full);
    // Assess
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/silent-audit exec: .*ENOSPC/);
    expect(logLines(join(dir, 'run.log'))[1]).toMatchObject({ type: 'run.end', exit_code: run.status, error: expect.stringContaining('ENOSPC') });
  });

  it('counts and passes on all of the output, to its last line, when the reader of its stdout is slow (| ssh), the command exited and no one holds the pipe', async () => {
    // Prepare: a reader taking 16 KiB every 200 ms (~80 KB/s), and a command writing 350 KB then a FATAL line and exiting
    const passed: Buffer[] = [];
    const stdout = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _enc, done) {
        passed.push(chunk);
        setTimeout(done, 200 * Math.ceil(chunk.length / (16 * 1024)));
      },
    });
    const script = 'seq 1 60000; echo "FATAL: upload failed"';
    const expected = spawnSync('sh', ['-c', script]).stdout;
    // Act
    const { result } = await exec(['sh', '-c', script], { stdout });
    // Assess
    expect(result.end).toMatchObject({ exit_code: 0, stdout_bytes: expected.length, output_bytes: expected.length });
    expect(String(result.end.output_tail).endsWith('59999\n60000\nFATAL: upload failed\n')).toBe(true);
    await new Promise<void>((resolve) => (stdout.writableLength === 0 ? resolve() : stdout.once('drain', () => resolve())));
    expect(Buffer.concat(passed).equals(expected)).toBe(true);
  }, 30_000);
});

describe('silent-audit exec: run lines', () => {
  it('writes run.start and run.end that the parser reads as valid events of the job', async () => {
    // Prepare
    const before = Date.now();
    // Act
    const { result, log } = await exec([node, '-e', "setTimeout(() => console.log('uploaded 12 objects'), 150)"]);
    // Assess
    const text = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    expect(text).toHaveLength(2);
    const events = text.map((l, i) => parseLine(l, { source: { origin: log, line: i + 1 } }));
    expect(events.map((e) => e.kind)).toEqual(['events', 'events']);
    const [start, end] = events.flatMap((e) => (e.kind === 'events' ? e.events : []));
    expect(start.body).toMatchObject({ type: 'run.start', job: 'nightly-backup', run_id: result.start.run_id });
    expect(end.body).toMatchObject({ type: 'run.end', job: 'nightly-backup', run_id: result.start.run_id, exit_code: 0, output_bytes: 20, output_lines: 1 });
    expect(result.start.run_id).toMatch(/^nightly-backup-\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    expect(start.at).toBeGreaterThanOrEqual(before);
    expect(Number(result.end.duration_ms)).toBeGreaterThanOrEqual(150);
    expect(end.at - start.at).toBeGreaterThanOrEqual(150);
  });

  it('appends to the --log file, run after run', async () => {
    const log = join(tempDir(), 'nested', 'dir', 'nightly-backup.log');
    await exec([node, '-e', ''], { log });
    await exec([node, '-e', 'process.exit(1)'], { log });
    expect(logLines(log).map((l) => `${l.type} ${l.exit_code ?? ''}`.trim())).toEqual(['run.start', 'run.end 0', 'run.start', 'run.end 1']);
  });

  it('starts its lines on a line of their own when the --log ends in half a line (an append cut short by a full disk)', async () => {
    // Prepare: a run.end that a full disk cut off part-way
    const log = join(tempDir(), 'fill.log');
    const cut = '{"type":"run.end","ts":"2026-10-03T02:31:00.000Z","job":"fill","run_id":"fill-20261003T023000Z-3f9a1c","exit_code":0,"output_he';
    writeFileSync(log, cut);
    // Act
    const { result } = await exec(['sh', '-c', 'echo uploaded 3 objects'], { job: 'fill', log });
    // Assess: the cut line stays alone (rejected by a reader), the new run's lines are whole
    const lines = readFileSync(log, 'utf8').split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe(cut);
    expect(JSON.parse(lines[1])).toEqual(result.start);
    expect(JSON.parse(lines[2])).toEqual(result.end);
    expect(lines[3]).toBe('');
  });

  it.each([
    ['a command that stops writing on a write error', [node, '-e', "const w = () => process.stdout.write('y'.repeat(1024) + '\\n', (e) => { if (!e) w(); }); w()"]],
    ['`yes`', ['yes']],
  ])(
    'lets %s learn that the reader of its output went away (| head -1), as unwrapped, and still writes run.end',
    async (_, command) => {
      // Prepare: our stdout a real pipe (a FIFO) read by `head -1`, which closes it after the first line while the command writes forever
      const fifo = join(tempDir(), 'stdout.fifo');
      spawnSync('mkfifo', [fifo]);
      const head = spawn('sh', ['-c', 'head -1 < "$0" > /dev/null', fifo], { stdio: 'ignore' });
      const stdout = createWriteStream(fifo);
      // Act: bounded by the test's timeout, not a timed assertion: unfixed, the command never ends
      const { result } = await exec(command, { stdout });
      // Assess: ended by its write error (or SIGPIPE), not by us
      expect(result.exitCode).not.toBe(0);
      expect(result.end).toMatchObject({ type: 'run.end', exit_code: result.exitCode });
      expect(Number(result.end.stdout_bytes)).toBeGreaterThan(0);
      expect(head.exitCode ?? (await new Promise((resolve) => head.once('exit', resolve)))).toBe(0);
    },
    20_000,
  );

  it('without --log, writes the run lines to stderr around the command’s own stderr', async () => {
    const { err } = await exec(['sh', '-c', 'echo oops >&2'], { log: undefined });
    const lines = err.text().trim().split('\n');
    expect(JSON.parse(lines[0])).toMatchObject({ type: 'run.start' });
    expect(lines[1]).toBe('oops');
    expect(JSON.parse(lines[2])).toMatchObject({ type: 'run.end', output_head: 'oops\n' });
  });

  it('still runs the command when the --log file cannot be written, and says so', async () => {
    // Prepare: a log path below a regular file
    const blocker = join(tempDir(), 'not-a-dir');
    writeFileSync(blocker, '');
    // Act
    const { result, out, err } = await exec(['sh', '-c', 'echo backed up'], { log: join(blocker, 'job.log') });
    // Assess
    expect(result.exitCode).toBe(0);
    expect(out.text()).toBe('backed up\n');
    expect(err.text()).toMatch(/^silent-audit exec: cannot write to --log .*not-a-dir\/job\.log \(ENOTDIR\); writing the run lines to stderr\n\{"type":"run\.start"/);
    expect(err.text().trim().split('\n').pop()).toMatch(/^\{"type":"run\.end"/);
  });

  it('creates the missing folders of the --log file, however many', async () => {
    // Prepare
    const log = join(tempDir(), 'var', 'log', 'silent-audit', 'job.log');
    // Act
    const { result } = await exec(['sh', '-c', 'echo backed up'], { log });
    // Assess
    expect(logLines(log).map((l) => l.type)).toEqual(['run.start', 'run.end']);
    expect(result.end).toMatchObject({ exit_code: 0 });
  });

  it.skipIf(!existsSync('/proc/self'))('still runs the command when the --log folder cannot be made though its parent is there (/proc), and says so', () => {
    // Prepare: /proc answers ENOENT to a mkdir; Node's recursive mkdirSync spins on it forever
    const log = '/proc/silent-audit-no-such-dir/job.log';
    // Act: in a child process, which a spin would never let end
    const run = spawnSync(node, [cliPath, 'exec', '--job', 'nightly-backup', '--log', log, '--', 'sh', '-c', 'echo backed up'], { encoding: 'utf8', timeout: 20_000 });
    // Assess
    expect(run.signal).toBeNull();
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('backed up\n');
    expect(run.stderr).toMatch(/^silent-audit exec: cannot write to --log \/proc\/silent-audit-no-such-dir\/job\.log \(ENOENT\); writing the run lines to stderr\n\{"type":"run\.start"/);
    expect(run.stderr.trim().split('\n').pop()).toMatch(/^\{"type":"run\.end".*"exit_code":0/);
  }, 30_000);

  it('gives what a scan of its log needs to find a run that printed nothing', async () => {
    // Prepare
    const log = join(tempDir(), 'nightly-backup.log');
    // Act
    await exec([node, '-e', ''], { log });
    const scanned = await runScan({ paths: [log], config: DEFAULT_CONFIG, json: true, stdout: new PassThrough(), stderr: new PassThrough() });
    // Assess
    expect(scanned.findings.map((f) => [f.detector, f.subject, f.message])).toEqual([['empty-output', 'nightly-backup', 'exited 0 but wrote no output (0 B)']]);
  });

  it.each([
    ['back 5 s (an NTP step)', -5000],
    ['back 2 h', -7_200_000],
    ['forward 2 h', 7_200_000],
  ])('stamps run.end from its start and the measured duration when the wall clock steps %s during the run, so a scan reads the run as ended', async (_step, step) => {
    // Prepare: two nightly runs; during the second, the wall clock steps (every read after the first is off by the step)
    const log = join(tempDir(), 'nightly.log');
    const first = Date.parse('2026-12-07T02:30:00Z');
    const second = first + 86_400_000;
    let reads = 0;
    const steppedClock = () => (reads++ === 0 ? second : second + 300 + step);
    // Act
    await exec(['sh', '-c', 'echo backup ok; sleep 0.3'], { job: 'nightly', log, clock: () => first });
    const { result } = await exec(['sh', '-c', 'echo backup ok; sleep 0.3'], { job: 'nightly', log, clock: steppedClock });
    const scanned = await runScan({ paths: [log], config: DEFAULT_CONFIG, json: true, now: second + 10 * 3_600_000, stdout: new PassThrough(), stderr: new PassThrough() });
    // Assess
    expect(Date.parse(String(result.end.ts)) - Date.parse(String(result.start.ts))).toBe(result.end.duration_ms);
    expect(scanned.findings.map((f) => [f.detector, f.message])).toEqual([]);
  });

  it('gives what a scan needs to judge an output whose secret its head and tail cut in two (an empty result with a 3 KB access token)', async () => {
    // Prepare: 3,050 bytes, all but 50 of them a token; its tail half has no label of its own
    const token = 'a1B2c3D4'.repeat(375);
    const log = join(tempDir(), 'search.log');
    // Act
    const { result } = await exec([node, '-e', `console.log(JSON.stringify({ access_token: '${token}', results: [] }))`], { job: 'search', log });
    const scanned = await runScan({ paths: [log], config: DEFAULT_CONFIG, json: true, stdout: new PassThrough(), stderr: new PassThrough() });
    // Assess: no piece of the token written; judged empty by the output as it was, redacted whole
    expect(result.end.output_bytes).toBe(token.length + 33);
    expect(readFileSync(log, 'utf8')).not.toContain(token.slice(0, 16));
    expect(scanned.findings.map((f) => [f.detector, f.message])).toEqual([
      ['empty-output', 'exited 0 but wrote JSON whose arrays are all empty: {"access_token":"[REDACTED:secret-assignment]","results":[]}'],
    ]);
  });

  it('gives a job name of up to 256 characters (400 bytes) a run id the readers accept, the same job part on every run', async () => {
    // Prepare: the longest ASCII name, a 233-character one (run id 257 without shortening), and 200 two-byte characters (400 bytes)
    const jobs = ['j'.repeat(256), 'k'.repeat(233), 'é'.repeat(200)];
    const at = Date.parse('2026-10-03T02:30:00Z');
    // Act
    const ids = jobs.map((job) => [newRunId(job, at, '3f9a1c'), newRunId(job, at + 86_400_000, 'a0b1c2')]);
    const dir = tempDir();
    const scanned = [];
    for (const [i, job] of jobs.entries()) {
      const log = join(dir, `job-${i}.log`);
      await exec([node, '-e', 'process.exit(3)'], { job, log });
      scanned.push(await runScan({ paths: [log], config: DEFAULT_CONFIG, json: true, stdout: new PassThrough(), stderr: new PassThrough() }));
    }
    // Assess
    for (const [today, tomorrow] of ids) {
      expect(today.length).toBeLessThanOrEqual(256);
      expect(Buffer.byteLength(today, 'utf8')).toBeLessThanOrEqual(400);
      expect(today.slice(0, -24)).toBe(tomorrow.slice(0, -24));
      expect(today.slice(0, -24)).toMatch(/…[0-9a-f]{8}$/);
    }
    expect(scanned.map((s) => [s.counts.rejected, s.findings.map((f) => [f.detector, f.subject])])).toEqual(jobs.map((job) => [0, [['run-failed', job]]]));
  });

  it('still runs a job whose name is over 256 characters, and names it in its run lines by a stable short form, saying so', async () => {
    // Prepare
    const job = `nightly-${'x'.repeat(300)}`;
    const dir = tempDir();
    // Act
    const first = await exec(['sh', '-c', 'echo ran; exit 3'], { job, log: join(dir, 'a.log') });
    const second = await exec(['sh', '-c', 'exit 3'], { job, log: join(dir, 'b.log') });
    const scanned = await runScan({ paths: [join(dir, 'a.log')], config: DEFAULT_CONFIG, json: true, stdout: new PassThrough(), stderr: new PassThrough() });
    // Assess
    expect(first.result.exitCode).toBe(3);
    expect(first.out.text()).toBe('ran\n');
    const short = String(first.result.start.job);
    expect(short).toMatch(/^nightly-x{192}…[0-9a-f]{8}$/);
    expect(second.result.start.job).toBe(short);
    expect(first.err.text()).toContain(`silent-audit exec: --job is 308 characters (308 bytes); a job name is at most 256 characters and 400 bytes, so the run lines name this job "${short}"; give a shorter --job\n`);
    expect(scanned.counts.rejected).toBe(0);
    expect(scanned.findings.map((f) => [f.detector, f.subject])).toEqual([['run-failed', short]]);
  });

  it('bounds a job name that fits but grows past 256 characters when redacted, naming it as a config key for the job does', async () => {
    // Prepare: 249 characters, 275 once the secret becomes its marker; a config naming the job as --job gives it
    const job = `${'a'.repeat(240)} token=ab`;
    const dir = tempDir();
    const configFile = join(dir, 'silent-audit.config.yaml');
    writeFileSync(configFile, `jobs:\n  ${JSON.stringify(job)}:\n    max_runtime_minutes: 120\n`);
    const config = loadConfig(configFile);
    const log = join(dir, 'x.log');
    // Act
    const { result, err } = await exec(['sh', '-c', 'exit 3'], { job, log });
    const scanned = await runScan({ paths: [log], config, json: true, stdout: new PassThrough(), stderr: new PassThrough() });
    // Assess: no line rejected, the run judged under the config's name for the job, no secret in the lines
    const [configured] = Object.keys(config.jobs);
    expect(result.exitCode).toBe(3);
    expect(scanned.counts.rejected).toBe(0);
    expect(scanned.findings.map((f) => [f.detector, f.subject])).toEqual([['run-failed', configured]]);
    expect(result.start.job).toBe(configured);
    expect(readFileSync(log, 'utf8')).not.toContain('token=ab');
    expect(err.text()).toContain('--job is 249 characters (249 bytes), 275 characters (275 bytes) with its secrets redacted; a job name is at most 256 characters');
  });

  it('bounds a run id that redaction makes longer (a job name ending in a label, whose value the run id’s time becomes)', async () => {
    // Prepare: a 232-character name ending in `token=`: its run id, 256 characters, reads as `token=-20261003T…`
    const job = `${'b'.repeat(225)} token=`;
    const log = join(tempDir(), 'x.log');
    // Act
    const { result } = await exec(['sh', '-c', 'exit 3'], { job, log });
    const scanned = await runScan({ paths: [log], config: DEFAULT_CONFIG, json: true, stdout: new PassThrough(), stderr: new PassThrough() });
    // Assess
    expect(String(result.start.run_id).length).toBeLessThanOrEqual(256);
    expect(scanned.counts.rejected).toBe(0);
    expect(scanned.findings.map((f) => [f.detector, f.subject])).toEqual([['run-failed', job]]);
  });

  it("keeps two jobs named like a secret's label and a word (token:refresh, token:purge) two, the config of each applied to it", async () => {
    // Prepare: a config that expects token:refresh to say what it refreshed
    const dir = tempDir();
    const log = join(dir, 'jobs.log');
    const configFile = join(dir, 'silent-audit.config.yaml');
    writeFileSync(configFile, 'jobs:\n  "token:refresh":\n    expect_pattern: "refreshed \\\\d+ tokens"\n');
    const config = loadConfig(configFile);
    // Act
    const refresh = await exec(['sh', '-c', 'echo refresh failed quietly'], { job: 'token:refresh', log });
    const purge = await exec(['sh', '-c', 'echo purged 4 tokens'], { job: 'token:purge', log });
    const scanned = await runScan({ paths: [log], config, json: true, stdout: new PassThrough(), stderr: new PassThrough() });
    // Assess
    expect(refresh.result.start.job).not.toBe(purge.result.start.job);
    expect(logLines(log).map((l) => `${l.job} ${l.run_id}`).join(' ')).not.toMatch(/refresh|purge/);
    expect(scanned.findings.map((f) => [f.detector, f.subject])).toEqual([['expected-pattern-missing', refresh.result.start.job]]);
    expect(Object.keys(config.jobs)).toEqual([refresh.result.start.job]);
  });

  it('names a run after its job, its start time and a random part', () => {
    expect(newRunId('nightly-backup', Date.parse('2026-10-03T02:30:00.123Z'), '3f9a1c')).toBe('nightly-backup-20261003T023000Z-3f9a1c');
  });
});

describe('the silent-audit exec command', () => {
  it('wraps a command line as written after --, keeping its exit code; refuses a missing --job with 2', () => {
    // Prepare
    const log = join(tempDir(), 'etl.log');
    // Act
    const run = spawnSync(node, [cliPath, 'exec', '--job', 'etl', '--log', log, '--', 'sh', '-c', 'echo "$0 $1"; exit 4', '--job', 'x'], { encoding: 'utf8' });
    const usage = spawnSync(node, [cliPath, 'exec', '--', 'true'], { encoding: 'utf8' });
    // Assess
    expect(run.status).toBe(4);
    expect(run.stdout).toBe('--job x\n');
    expect(logLines(log).map((l) => [l.type, l.job, l.exit_code])).toEqual([
      ['run.start', 'etl', undefined],
      ['run.end', 'etl', 4],
    ]);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain("required option '--job <name>' not specified");
  });

  it('passes options after the command to the command, even without --: df -h runs df, a help flag is the command\'s', () => {
    // Prepare
    const dir = tempDir();
    const log = join(dir, 'disk.log');
    const grepLog = join(dir, 'grep.log');
    // Act
    const df = spawnSync(node, [cliPath, 'exec', '--job', 'disk-report', '--log', log, 'df', '-h'], { encoding: 'utf8' });
    const shHelp = spawnSync(node, [cliPath, 'exec', '--job', 'j', '--log', log, 'sh', '-c', 'echo "$0"', '-h'], { encoding: 'utf8' });
    const grep = spawnSync(node, [cliPath, 'exec', '--job', 'g', '--log', grepLog, 'sh', '-c', 'echo "$@"', 'x', '--log', 'y'], { encoding: 'utf8' });
    const late = spawnSync(node, [cliPath, 'exec', 'echo', 'hi', '--job', 'x'], { encoding: 'utf8' });
    // Assess
    expect(df.status).toBe(0);
    expect(df.stdout).not.toContain('Usage:');
    expect(df.stdout).toMatch(/Filesystem/);
    expect(shHelp.status).toBe(0);
    expect(shHelp.stdout).toBe('-h\n');
    expect(logLines(log).map((l) => [l.type, l.job, l.exit_code])).toEqual([
      ['run.start', 'disk-report', undefined],
      ['run.end', 'disk-report', 0],
      ['run.start', 'j', undefined],
      ['run.end', 'j', 0],
    ]);
    expect(grep.stdout).toBe('--log y\n');
    expect(logLines(grepLog).map((l) => l.type)).toEqual(['run.start', 'run.end']);
    expect(late.status).toBe(2);
    expect(late.stdout).toBe('');
    expect(late.stderr).toContain("required option '--job <name>' not specified");
  });

  it('gives the command its environment as exec was given it (AWS_SDK_UA_APP_ID, which a library of ours sets on load)', () => {
    // Prepare
    const { AWS_SDK_UA_APP_ID: _ours, ...without } = process.env;
    const command = [cliPath, 'exec', '--job', 'env', '--', 'printenv', 'AWS_SDK_UA_APP_ID'];
    // Act
    const given = spawnSync(node, command, { encoding: 'utf8', env: { ...without, AWS_SDK_UA_APP_ID: 'myapp' } });
    const unset = spawnSync(node, command, { encoding: 'utf8', env: without });
    // Assess: printenv prints it as given, and finds none when it was not set
    expect(given.stdout).toBe('myapp\n');
    expect(unset.stdout).toBe('');
    expect(unset.status).toBe(1);
  });

  it("redacts the run lines with the config's patterns; with a broken config, warns and runs the job anyway", () => {
    // Prepare
    const dir = tempDir();
    const good = join(dir, 'good.yaml');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(good, 'redact:\n  patterns: [{ name: employee-pin, regex: "EMP-PIN-\\\\d+" }]\n');
    writeFileSync(bad, 'redact:\n  patterns: [{ name: pin, regex: "(" }]\n');
    const printing = ['--', node, '-e', "console.log('EMP-PIN-4821 password=hunter2')"];
    // Act
    const withPatterns = spawnSync(node, [cliPath, 'exec', '--job', 'pins', '--log', join(dir, 'good.log'), '--config', good, ...printing], { encoding: 'utf8' });
    const withBroken = spawnSync(node, [cliPath, 'exec', '--job', 'pins', '--log', join(dir, 'bad.log'), '--config', bad, ...printing], { encoding: 'utf8' });
    // Assess
    expect(withPatterns.status).toBe(0);
    expect(withPatterns.stdout).toBe('EMP-PIN-4821 password=hunter2\n');
    expect(logLines(join(dir, 'good.log'))[1].output_head).toBe('[REDACTED:employee-pin] password=[REDACTED:secret-assignment]\n');
    expect(withBroken.status).toBe(0);
    expect(withBroken.stderr).toContain('redact.patterns.0.regex: invalid regular expression');
    expect(withBroken.stderr).toContain('running anyway; the run lines are redacted with the built-in rules only');
    expect(logLines(join(dir, 'bad.log'))[1].output_head).toBe('EMP-PIN-4821 password=[REDACTED:secret-assignment]\n');
  });

  it("redacts the run lines with the patterns of a UTF-16 config (PowerShell 5's `>`): read with its byte order mark; without it, refused with the fix yet its patterns kept", () => {
    // Prepare: read as UTF-8 it was "expected a mapping", and the job's lines kept the user's secrets
    const dir = tempDir();
    const yaml = 'redact:\n  patterns: [{ name: employee-pin, regex: "EMP-PIN-\\\\d+" }]\n';
    const marked = join(dir, 'marked.yaml');
    const unmarked = join(dir, 'unmarked.yaml');
    writeFileSync(marked, Buffer.from(`\uFEFF${yaml}`, 'utf16le'));
    writeFileSync(unmarked, Buffer.from(yaml, 'utf16le'));
    const printing = ['--', node, '-e', "console.log('EMP-PIN-4821 password=hunter2')"];
    // Act
    const withMarked = spawnSync(node, [cliPath, 'exec', '--job', 'pins', '--log', join(dir, 'marked.log'), '--config', marked, ...printing], { encoding: 'utf8' });
    const withUnmarked = spawnSync(node, [cliPath, 'exec', '--job', 'pins', '--log', join(dir, 'unmarked.log'), '--config', unmarked, ...printing], { encoding: 'utf8' });
    // Assess
    expect([withMarked.status, withMarked.stderr]).toEqual([0, '']);
    expect(logLines(join(dir, 'marked.log'))[1].output_head).toBe('[REDACTED:employee-pin] password=[REDACTED:secret-assignment]\n');
    expect(withUnmarked.status).toBe(0);
    expect(withUnmarked.stderr).toContain(`the file is UTF-16LE (without a byte order mark); save it as UTF-8: iconv -f UTF-16LE -t UTF-8 ${unmarked}`);
    expect(withUnmarked.stderr).toContain("running anyway; the run lines are redacted with the built-in rules and the config's redact patterns that passed (employee-pin)");
    expect(logLines(join(dir, 'unmarked.log'))[1].output_head).toBe('[REDACTED:employee-pin] password=[REDACTED:secret-assignment]\n');
  });

  it('refuses a redact pattern prone to catastrophic backtracking: warns, runs the job and writes its run.end (it no longer hangs on the output)', () => {
    // Prepare: `(a+)+$` against `aaaa…ab` would take exponential time once the job had exited
    const dir = tempDir();
    const config = join(dir, 'redos.yaml');
    writeFileSync(config, 'redact:\n  patterns:\n    - { name: x, regex: "(a+)+$" }\n');
    // Act
    const run = spawnSync(node, [cliPath, 'exec', '--job', 'redos', '--log', join(dir, 'redos.log'), '--config', config, '--', node, '-e', `console.log('${'a'.repeat(36)}b')`], { encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL' });
    // Assess
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(`${'a'.repeat(36)}b\n`);
    expect(run.stderr).toContain('redact.patterns.0.regex: prone to catastrophic backtracking');
    expect(run.stderr).toContain('(line 3)');
    expect(logLines(join(dir, 'redos.log')).map((l) => [l.type, l.exit_code])).toEqual([['run.start', undefined], ['run.end', 0]]);
  });

  it("keeps every redact pattern that passes when another key of the config is refused: only the refused pattern is dropped, with a warning", () => {
    // Prepare: a refused redact pattern and a refused expect_pattern beside a good redact pattern
    const dir = tempDir();
    const config = join(dir, 'partly.yaml');
    writeFileSync(config, 'redact:\n  patterns:\n    - { name: emp, regex: "EMP-PIN-[0-9]{4}" }\n    - { name: x, regex: "(a+)+$" }\njobs:\n  payroll: { schedule: "0 2 * * *", expect_pattern: "(\\\\w+\\\\s?)+done" }\n');
    // Act
    const run = spawnSync(node, [cliPath, 'exec', '--job', 'payroll', '--log', join(dir, 'partly.log'), '--config', config, '--', node, '-e', "console.log('paid EMP-PIN-4821 password=hunter2')"], { encoding: 'utf8' });
    // Assess
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('paid EMP-PIN-4821 password=hunter2\n');
    expect(run.stderr).toContain('redact.patterns.1.regex: prone to catastrophic backtracking');
    expect(run.stderr).toContain('jobs.payroll.expect_pattern: prone to catastrophic backtracking');
    expect(run.stderr).toContain("running anyway; the run lines are redacted with the built-in rules and the config's redact patterns that passed (emp)");
    expect(logLines(join(dir, 'partly.log'))[1].output_head).toBe('paid [REDACTED:emp] password=[REDACTED:secret-assignment]\n');
  });

  it('runs the command when the current directory has been deleted: in HOME, with a warning (Node cannot start in a deleted directory)', () => {
    // Prepare: a shell left in a folder that was removed under it
    const dir = tempDir();
    const gone = join(dir, 'gone');
    const home = join(dir, 'home');
    mkdirSync(gone);
    mkdirSync(home);
    const log = join(dir, 'gone.log');
    // Act
    const run = spawnSync('sh', ['-c', `cd "${gone}" && rmdir "${gone}" && exec "${node}" "${cliPath}" exec --job gone --log "${log}" -- pwd`], { encoding: 'utf8', env: { ...process.env, HOME: home }, timeout: 20_000 });
    // Assess
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(`${home}\n`);
    expect(run.stderr).toBe(`silent-audit: the current directory no longer exists; running in ${home}, and so does the command\n`);
    expect(logLines(log).map((l) => [l.type, l.exit_code])).toEqual([['run.start', undefined], ['run.end', 0]]);
  });

  it('runs the command in / when the current directory has been deleted and HOME cannot be entered (a file, not a folder)', () => {
    // Prepare: HOME names a file, so moving there fails (ENOTDIR), as a HOME the user may not enter does (EACCES)
    const dir = tempDir();
    const gone = join(dir, 'gone');
    const home = join(dir, 'home');
    mkdirSync(gone);
    writeFileSync(home, '');
    const log = join(dir, 'gone.log');
    // Act
    const run = spawnSync('sh', ['-c', `cd "${gone}" && rmdir "${gone}" && exec "${node}" "${cliPath}" exec --job gone --log "${log}" -- pwd`], { encoding: 'utf8', env: { ...process.env, HOME: home }, timeout: 20_000 });
    // Assess
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('/\n');
    expect(run.stderr).toBe('silent-audit: the current directory no longer exists; running in /, and so does the command\n');
    expect(logLines(log).map((l) => [l.type, l.exit_code])).toEqual([['run.start', undefined], ['run.end', 0]]);
  });

  it('leaves the deploy-list warning out of the job\'s stderr: a cron run deploys nothing, and its mail is the job\'s', () => {
    // Prepare: a config the deploy refuses (a log group in both deploy lists), valid for exec's redaction
    const dir = tempDir();
    const config = join(dir, 'silent-audit.config.yaml');
    writeFileSync(config, 'deploy:\n  log_groups: [/jobs/cron]\n  kinesis_log_groups: [/jobs/cron]\n');
    // Act
    const run = spawnSync(node, [cliPath, 'exec', '--job', 'nightly', '--log', join(dir, 'run.log'), '--config', config, '--', node, '-e', "console.error('job says')"], { encoding: 'utf8' });
    // Assess: the job's own stderr alone, and its run lines written
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('job says\n');
    expect(logLines(join(dir, 'run.log')).map((l) => l.type)).toEqual(['run.start', 'run.end']);
  });

  it("exits with the command's own code when its stderr cannot be written (a full disk, a reader gone)", async () => {
    // Prepare: stderr on a full device (a cron line's 2>> on a full disk), and a stderr pipe closed by its reader (2>&1 | true)
    const full = openSync('/dev/full', 'w');
    const command = ['exec', '--job', 'x', '--', 'sh', '-c', 'echo out; sleep 0.3; exit 3'];
    // Act
    const toFullDisk = spawnSync(node, [cliPath, ...command], { stdio: ['ignore', 'pipe', full], encoding: 'utf8' });
    closeSync(full);
    const toGoneReader = spawn(node, [cliPath, ...command], { stdio: ['ignore', 'ignore', 'pipe'] });
    toGoneReader.stderr.destroy();
    const goneStatus = await new Promise<number | null>((resolve) => toGoneReader.once('exit', (code) => resolve(code)));
    // Assess
    expect(toFullDisk.stdout).toBe('out\n');
    expect(toFullDisk.status).toBe(3);
    expect(goneStatus).toBe(3);
  });

  it("lets the command write to a stdout that is a read-write /dev/null (a launcher's stdio 'ignore', daemon(3)), as unwrapped", () => {
    // Prepare: the stdout Node's spawn gives with 'ignore', glibc's daemon(3) and Python's DEVNULL: /dev/null opened read-write
    const log = join(tempDir(), 'run.log');
    const devNull = openSync('/dev/null', 'r+');
    // Act
    const run = spawnSync(node, [cliPath, 'exec', '--job', 'quiet', '--log', log, '--', 'sh', '-c', 'echo out; echo "rc=$?" >&2'], { stdio: ['ignore', devNull, 'pipe'], encoding: 'utf8' });
    closeSync(devNull);
    // Assess: the write succeeded, as it does unwrapped, and the run is a success
    expect(run.stderr).toBe('rc=0\n');
    expect(run.status).toBe(0);
    expect(logLines(log)[1]).toMatchObject({ type: 'run.end', job: 'quiet', exit_code: 0 });
  });

  it('passes a SIGTERM sent to it on to the command, and exits 143 like it', async () => {
    // Prepare
    const log = join(tempDir(), 'long.log');
    const child = spawn(node, [cliPath, 'exec', '--job', 'long', '--log', log, '--', node, '-e', "process.stdout.write('ready\\n'); setTimeout(() => {}, 30000)"], { stdio: ['ignore', 'pipe', 'pipe'] });
    const status = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Act
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
    child.kill('SIGTERM');
    // Assess
    expect(await status).toBe(143);
    expect(logLines(log)[1]).toMatchObject({ type: 'run.end', job: 'long', exit_code: 143, signal: 'SIGTERM' });
  });
});
