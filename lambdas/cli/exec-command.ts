import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readSync, writeFileSync } from 'node:fs';
import { constants, hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Readable, Writable } from 'node:stream';
import { type Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig, passingRedactPatterns } from '../config.ts';
import { MAX_ID_BYTES, MAX_ID_CHARS } from '../core/events.ts';
import { OUTPUT_EXCERPT_BYTES, OutputCapture, utf8Prefix, utf8Suffix } from '../core/output-capture.ts';
import { boundKeyFieldsOf, shortenName } from '../core/parse/derived-name.ts';
import { BUILTIN_REDACTOR, type Redactor, redactorFor } from '../core/redact.ts';
import { LAUNCH_ENV } from './launch-env.ts';

/**
 * Signals `exec` passes on to the command, so that stopping the wrapper stops the job: those that
 * end a process unless it handles them and that a sender may use for a job (`timeout -s`,
 * systemd's KillSignal=, `kill -QUIT`, SIGUSR1/SIGUSR2 to reopen logs or report progress).
 * Unheard, one would end `exec` with no run.end and leave a command in its own group running.
 * SIGUSR1 above all: Node's own handler for it opens a debugger on 127.0.0.1:9229 that any local
 * user may attach to (bin/silent-audit.mjs gives it its default until a run hears it). Job control
 * (SIGTSTP, SIGCONT) and SIGWINCH are a terminal's, which sends them to the whole group of a
 * command that shares ours (`shared`); one in a group of its own has no terminal to need them.
 */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGALRM'];

/** Signals a terminal sends to its whole foreground group (Ctrl-C, a hangup, Ctrl-\): a command in `exec`'s group gets them from it. */
const TERMINAL_SIGNALS: ReadonlySet<NodeJS.Signals> = new Set(['SIGINT', 'SIGHUP', 'SIGQUIT']);

/**
 * Where the command runs. `own`: in a process group (and session) of its own, each signal `exec`
 * gets passed on once to that whole group, as dumb-init does: a signal sent to `exec`'s group
 * (Ctrl-C, `timeout`, systemd's KillMode=control-group) reaches the job once, from `exec`, not
 * twice. `shared`: in `exec`'s group, keeping `exec`'s controlling terminal (a person at a prompt:
 * the job reads the terminal, `sudo` and `ssh` can ask for a password); SIGINT, SIGHUP and SIGQUIT
 * come from the terminal to the whole group, so only the others are passed on.
 */
export type ProcessGroup = 'own' | 'shared';

/** `shared` when `exec` has a controlling terminal (run at a prompt), else `own` (cron, systemd, CI). */
export function defaultProcessGroup(): ProcessGroup {
  if (process.platform === 'win32') return 'shared';
  try {
    closeSync(openSync('/dev/tty', 'r'));
    return 'shared';
  } catch {
    return 'own';
  }
}

/** Exit codes a shell gives a command it cannot run: not found, found but not executable. */
export const EXIT_NOT_FOUND = 127;
export const EXIT_CANNOT_EXECUTE = 126;

/** Where forwarded signals come from: the process, or a stand-in in tests. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

export interface ExecOptions {
  readonly job: string;
  /** The command and its arguments, run without a shell. */
  readonly command: readonly string[];
  /** Append the run lines to this file; default: our stderr. */
  readonly log?: string;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** The command's stdin: ours (default), or none. */
  readonly stdin?: 'inherit' | 'ignore';
  readonly signals?: SignalSource;
  /**
   * Wall-clock time for run.start's `ts` and the run id, epoch ms; read once. run.end's `ts` is
   * that time plus the measured (monotonic) duration, so a clock stepped during the run (an NTP
   * step, a VM resumed) never puts the end before its start or makes a short run look hours long.
   */
  readonly clock?: () => number;
  readonly host?: string;
  /** Cleans secrets from the run lines (the output's head and tail above all); default: the built-in rules. */
  readonly redactor?: Redactor;
  /** Where the command runs (ProcessGroup); default: `defaultProcessGroup()`. */
  readonly processGroup?: ProcessGroup;
  /** The command's environment; default: ours as we were started (LAUNCH_ENV), before a library changed it. */
  readonly env?: Readonly<NodeJS.ProcessEnv>;
}

/** A contract §1a line as `exec` writes it; extra fields (`command`, `stdout_bytes`, …) are ours. */
export type RunLine = Record<string, unknown> & { readonly type: 'run.start' | 'run.end'; readonly job: string; readonly run_id: string };

export interface ExecResult {
  /** The command's own exit code; 128+n when signal n killed it; 127/126 when it could not start. */
  readonly exitCode: number;
  /** The run lines as written: redacted. */
  readonly start: RunLine;
  readonly end: RunLine;
  readonly capture: OutputCapture;
  /**
   * A signal stopped the waiting after the command exited: what is still queued for our stdout
   * (held for a slow reader) was dropped, and the caller should exit now, not once a reader that
   * may never take it has taken it (an in-flight write of a dropped queue keeps Node running).
   */
  readonly signalled: boolean;
}

/**
 * `nightly-backup-20261003T023000Z-3f9a1c`: the job, the start time (ISO 8601 basic), a random part.
 * A run id is an identifier (at most 256 characters, 400 bytes): for a job name too long to take
 * the 24 characters after it, the job part is its first 200 characters, '…' and a digest of the
 * whole, the same on every run.
 */
export function newRunId(job: string, at: number, random: string = randomBytes(3).toString('hex')): string {
  const iso = new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
  const suffix = `-${iso}-${random}`;
  return `${shortenName(job, suffix.length)}${suffix}`;
}

/** A signal's exit status as a shell reports it: 128 + its number (SIGTERM → 143). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/**
 * Writes run lines, one JSON object per line, each in one append (so that concurrent wrappers
 * writing the same file do not interleave), secrets redacted: the output's head and tail go into
 * logs that are kept. If the log file cannot be written, the job still runs: the lines go to
 * stderr instead, after a message saying why.
 */
class RunLineWriter {
  private file: string | undefined;

  constructor(
    file: string | undefined,
    private readonly stderr: NodeJS.WritableStream,
    private readonly redactor: Redactor,
  ) {
    this.file = file;
  }

  /** Writes the line redacted, and returns what it wrote. */
  write(line: RunLine): RunLine {
    // The key fields within the identifier bound after redaction too, as a reader bounds the names it
    // derives: a rule that rewrote one (a run id given a fingerprint) may have made it longer.
    const clean = boundKeyFieldsOf(withinExcerptLimit(this.redactor.redactValue(line)), this.redactor);
    const text = `${JSON.stringify(clean)}\n`;
    if (this.file !== undefined) {
      try {
        appendTo(this.file, text);
        return clean;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        this.stderr.write(`silent-audit exec: cannot write to --log ${this.file} (${code}); writing the run lines to stderr\n`);
        this.file = undefined;
      }
    }
    this.stderr.write(text);
    return clean;
  }
}

/**
 * The output excerpts within their 2 KiB of UTF-8 after redaction too: a `[REDACTED:rule]` marker
 * may be longer than the secret it replaced. The head keeps its start, the tail its end.
 */
function withinExcerptLimit(line: RunLine): RunLine {
  const head = line.output_head;
  const tail = line.output_tail;
  const cutHead = typeof head === 'string' ? utf8Prefix(head, OUTPUT_EXCERPT_BYTES) : head;
  const cutTail = typeof tail === 'string' ? utf8Suffix(tail, OUTPUT_EXCERPT_BYTES) : tail;
  return cutHead === head && cutTail === tail ? line : { ...line, output_head: cutHead, output_tail: cutTail };
}

/**
 * How much more of the output `exec` keeps after the head and before the tail, to redact with
 * them: a secret the head's end cuts in two is found whole with what follows it, and one the
 * tail's start cuts has its label (`AWS_SECRET_ACCESS_KEY=`, `ghp_`) there, if within this many
 * bytes of the cut.
 */
export const REDACTION_MARGIN_BYTES = 1024;

/**
 * run.end's output fields. When head and tail hold the whole output (at most 4 KiB), it is
 * redacted as one text, so that a secret they would cut in two is found whole; if that changed it,
 * head and tail are its first and last 2 KiB, and `output_redacted_bytes` gives its size as
 * redacted. `output_bytes` counts what the command wrote, so a reader that judged from it whether
 * head and tail hold the whole output (empty-output, a pattern across the two) would be misled by
 * markers shorter or longer than their secrets; it goes by `output_redacted_bytes` instead.
 * A longer output has its head and tail redacted each with its margin (REDACTION_MARGIN_BYTES).
 */
function outputFacts(capture: OutputCapture, redactor: Redactor): Record<string, unknown> {
  const summary = capture.summary();
  const whole = capture.whole();
  if (whole === undefined) {
    return {
      ...summary,
      output_head: redactedHead(capture, redactor, summary.output_head),
      output_tail: redactedTail(capture, redactor, summary.output_tail),
    };
  }
  const clean = redactor.redactText(whole);
  if (clean === whole) return { ...summary };
  return {
    ...summary,
    output_head: utf8Prefix(clean, OUTPUT_EXCERPT_BYTES),
    output_tail: utf8Suffix(clean, OUTPUT_EXCERPT_BYTES),
    output_redacted_bytes: Buffer.byteLength(clean, 'utf8'),
  };
}

const STARTS_WITH_MARKER = /^\[REDACTED:[^\]\s]*\]/;
const ENDS_WITH_MARKER = /\[REDACTED:[^\]\s]*\]$/;

/**
 * The far end of a margin may cut a secret in two, whose piece no rule knows for one: it is left
 * as it was, and markers shorter than their secrets could pull it into the excerpt. The excerpt
 * never shows it: the part of the redacted margin before its first line break (a built-in rule's
 * secret ends at one; a PEM key's rule finds a key's pieces), or when the margin has none, its
 * first half; unless a marker stands at that end (what the cut fell in was found all the same, as a
 * PEM key's pieces are), which is kept. These give where the excerpt may start (`clean`: margin and
 * tail, redacted) or end (`clean`: head and margin).
 */
function pastMarginCut(clean: string, margin: number): number {
  // A marker where the margin starts: what the cut fell in was found and redacted (a PEM key's piece), nothing of it is left to hide.
  if (STARTS_WITH_MARKER.test(clean)) return 0;
  const lineEnd = clean.indexOf('\n') + 1;
  if (lineEnd > 0 && Buffer.byteLength(clean.slice(0, lineEnd), 'utf8') <= margin) return lineEnd;
  return utf8Prefix(clean, Math.ceil(margin / 2)).length;
}

function beforeMarginCut(clean: string, margin: number): number {
  if (ENDS_WITH_MARKER.test(clean)) return clean.length;
  const lineEnd = clean.lastIndexOf('\n') + 1;
  if (lineEnd > 0 && Buffer.byteLength(clean.slice(lineEnd), 'utf8') <= margin) return lineEnd;
  return clean.length - utf8Suffix(clean, Math.ceil(margin / 2)).length;
}

/** The head of an output over 4 KiB, redacted with the margin after it, then cut back to 2 KiB. */
function redactedHead(capture: OutputCapture, redactor: Redactor, head: string): string {
  const reach = capture.headAndMargin();
  const clean = redactor.redactText(reach);
  if (clean === reach) return head;
  return utf8Prefix(capture.cutsMargins ? clean.slice(0, beforeMarginCut(clean, capture.margin)) : clean, OUTPUT_EXCERPT_BYTES);
}

/** The tail of an output over 4 KiB, redacted with the margin before it, then cut back to 2 KiB. */
function redactedTail(capture: OutputCapture, redactor: Redactor, tail: string): string {
  const reach = capture.tailAndMargin();
  const clean = redactor.redactText(reach);
  if (clean === reach) return tail;
  return utf8Suffix(capture.cutsMargins ? clean.slice(pastMarginCut(clean, capture.margin)) : clean, OUTPUT_EXCERPT_BYTES);
}

/** Appends, creating the file's folder when it is missing (`/var/log/silent-audit/` on first use). */
function appendTo(file: string, text: string): void {
  let opened: { fd: number; readable: boolean };
  try {
    opened = openToAppend(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    makeFolders(dirname(file));
    opened = openToAppend(file);
  }
  try {
    writeFileSync(opened.fd, opened.readable && endsUnfinished(opened.fd) ? `\n${text}` : text);
  } finally {
    closeSync(opened.fd);
  }
}

/**
 * Makes `folder` and the folders missing above it, one level at a time: the missing ones are
 * found going up, then made going down. Node 20's recursive mkdirSync spins forever on a file
 * system that answers ENOENT to a mkdir in a folder that exists (`--log /proc/x/job.log`); here a
 * folder that cannot be made once its parent is there is an error, so the job still runs and the
 * run lines go to stderr.
 */
function makeFolders(folder: string): void {
  const missing: string[] = [];
  for (let current = resolve(folder); ; ) {
    try {
      mkdirSync(current);
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') break;
      const parent = dirname(current);
      if (code !== 'ENOENT' || parent === current) throw error;
      missing.push(current);
      current = parent;
    }
  }
  for (const below of missing.reverse()) {
    try {
      mkdirSync(below);
    } catch (error) {
      // Made meanwhile by another wrapper writing the same log.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/** Opens to append, and to read the last byte if we may (a log we may write but not read is still written). */
function openToAppend(file: string): { fd: number; readable: boolean } {
  try {
    return { fd: openSync(file, 'a+'), readable: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EACCES') throw error;
    return { fd: openSync(file, 'a'), readable: false };
  }
}

/**
 * Whether the file's last line has no newline: an append that failed part-way (a disk that filled
 * up) left half a line. Our line must not be glued onto it, or the reader loses both.
 */
function endsUnfinished(fd: number): boolean {
  const size = fstatSync(fd).size;
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  return readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
}

/**
 * Why the command could not start, in words that survive redaction: the command is never followed
 * by a quote and a colon, which the secret-assignment rule reads as a label (`"/etc/passwd": …`).
 */
function startFailure(command: string, error: NodeJS.ErrnoException): { exitCode: number; message: string } {
  if (error.code === 'ENOENT') {
    const where = command.includes('/') ? 'no such file' : 'command not found in PATH';
    return { exitCode: EXIT_NOT_FOUND, message: `cannot run ${command} (${where}, ENOENT)` };
  }
  if (error.code === 'EACCES') return { exitCode: EXIT_CANNOT_EXECUTE, message: `cannot run ${command} (permission denied, EACCES); is it executable?` };
  return { exitCode: EXIT_CANNOT_EXECUTE, message: `cannot run ${command} (${error.code ?? error.message})` };
}

const ignoring = new WeakSet<NodeJS.WritableStream>();

/**
 * A write to our stdout or stderr fails after the fact: Node reports it on the stream's `error`
 * event once the run is over (the run.end line to a stderr on a full disk, or to a pipe whose
 * reader went away). Unheard, that error would end the process with 1 instead of the job's exit
 * code. What could not be written is lost either way; the job's exit code must not be. The
 * listener stays for the life of the stream, added once however many runs use it.
 */
function ignoreLateWriteErrors(stream: NodeJS.WritableStream): void {
  if (ignoring.has(stream)) return;
  ignoring.add(stream);
  stream.on('error', () => {});
}

interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly spawnError?: NodeJS.ErrnoException;
}

/**
 * How long `exec` waits, once the command has exited, for its output pipes to close before it
 * writes run.end: what the command wrote before it exited is read at once then, however slow the
 * reader of ours (AFTER_EXIT_QUEUE_BYTES), so pipes no one else holds close well within it. A
 * process it left in the background (`start-daemon &`) may hold the pipes open for hours; what it
 * writes within the grace is counted with the command's (the same pipe: whose bytes are whose is
 * not known), its later output is still passed on, but not counted.
 */
export const PIPE_GRACE_MS = 1000;

/**
 * How much of the command's output `exec` holds for a slow reader of its own (`| ssh host 'cat >
 * f'`) once the command has exited. While it runs, a reader that has not taken what it was given
 * holds the command back, as it would unwrapped. Once it has exited, what it wrote is read at once
 * and kept for the reader, so that run.end counts all of it (a pipe's buffer holds far less than
 * this); only a process left in the background that writes more than this waits for the reader again.
 */
export const AFTER_EXIT_QUEUE_BYTES = 16 * 1024 * 1024;

/** The command's exit (not its pipes' close: a background process may keep them open). */
function waitForExit(child: ChildProcess): Promise<Ended> {
  return new Promise((resolve) => {
    // A command that could not start has no pid: its `error` is the end. Later errors (a failed kill) are not.
    child.once('error', (error) => {
      if (child.pid === undefined) resolve({ code: null, signal: null, spawnError: error });
    });
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** Resolves when both of the command's output pipes have closed (at once if it has none). */
function waitForPipes(child: ChildProcess): Promise<void> {
  const open = [child.stdout, child.stderr].filter((s) => s !== null && !s.closed);
  return Promise.all(open.map((s) => new Promise<void>((resolve) => s?.once('close', () => resolve())))).then(() => undefined);
}

/**
 * Passes a chunk of the command's output on to ours. When more than `queueLimit` bytes of it wait
 * there for the reader, the command's stream is paused until they are taken, as a pipe would hold
 * the command back. A stream that does not say how much waits is paused as soon as it is full.
 */
function passOn(from: Readable, to: NodeJS.WritableStream, chunk: Buffer, queueLimit: number): void {
  if (to.write(chunk) || ((to as Partial<Writable>).writableLength ?? Number.POSITIVE_INFINITY) <= queueLimit) return;
  from.pause();
  to.once('drain', () => from.resume());
}

/** How much of what waits unread in a cut stream closeOnceRead reads (and drops) before it closes it. */
const UNREAD_DROP_BYTES = 4 * 1024 * 1024;

/**
 * Closes the command's output stream (already `cut`) once what waits unread in it has been read and
 * dropped: closing a socket with unread data in it resets the connection, and the command's next
 * write would fail with ECONNRESET ("Connection reset by peer", exit 1) instead of the EPIPE or
 * SIGPIPE a gone reader gives it unwrapped. passOn holds the command back by leaving its output
 * unread, so some usually waits there. It is read at once, up to the moment of closing, as the
 * stream's own reads would come a turn of the loop later, when a busy command has written more;
 * one that writes without pause may still put a write between the last read and the close.
 */
function closeOnceRead(stream: Readable): void {
  const fd = (stream as Readable & { _handle?: { fd?: number } })._handle?.fd;
  if (fd !== undefined && fd >= 0) {
    const dropped = Buffer.allocUnsafe(64 * 1024);
    try {
      for (let read = 0; read < UNREAD_DROP_BYTES; ) {
        const n = readSync(fd, dropped);
        if (n === 0) break;
        read += n;
      }
    } catch {
      // EAGAIN: nothing is left unread.
    }
  }
  stream.destroy();
}

/** Resolves once what was written to `stream` before has been written out, or has failed. */
function flushed(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => stream.write(Buffer.alloc(0), () => resolve()));
}

/**
 * Why a run's output is incomplete: our stdout failed (a full disk, an I/O error) where the
 * command's own writes would have. Words that survive redaction, as startFailure's.
 */
function lostOutputMessage(error: NodeJS.ErrnoException): string {
  return `cannot write the command's output to stdout (${error.code ?? error.message}), so it is incomplete`;
}

/** A run whose output was lost never succeeds: the command's own failing exit code, else 1. */
function failedExitCode(exitCode: number): number {
  return exitCode === 0 ? 1 : exitCode;
}

/** Resolves after `ms`, without keeping the process alive for it. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * `silent-audit exec`: runs a command without a shell, passes its stdout and stderr through
 * unchanged (each to ours, byte for byte), measures its duration and output, and writes a
 * `run.start` line before and a `run.end` line after (contract §1a). The result's exit code is
 * the command's own, so a crontab line can be wrapped without any other change.
 *
 * Output bytes and lines count stdout and stderr together, as cron would mail them (a last line
 * without a newline counts once per stream); head and tail are of the two interleaved in the
 * order the chunks arrived.
 */
export async function runExec(opts: ExecOptions): Promise<ExecResult> {
  const clock = opts.clock ?? Date.now;
  const signals = opts.signals ?? process;
  const [program, ...args] = opts.command;
  const startedAt = clock();
  const redactor = opts.redactor ?? BUILTIN_REDACTOR;
  // A job name over the identifier bound would have every run line rejected by the readers, and
  // the job never checked: the lines carry its stable short form. The command still runs: a
  // wrapper must never be the reason a cron job did not. The bound holds for the name as written,
  // redacted (a `[REDACTED:rule]` marker may be longer than the secret), and the name is the one
  // a config key gives the same job: redacted, then shortened.
  const redacted = redactor.redactName(opts.job);
  const job = shortenName(redacted, 0, redactor);
  if (job !== redacted) {
    const size = (name: string) => `${name.length} characters (${Buffer.byteLength(name, 'utf8')} bytes)`;
    opts.stderr.write(
      `silent-audit exec: --job is ${size(opts.job)}${redacted === opts.job ? '' : `, ${size(redacted)} with its secrets redacted`}; a job name is at most ${MAX_ID_CHARS} characters and ${MAX_ID_BYTES} bytes, ` +
        `so the run lines name this job ${JSON.stringify(job)}; give a shorter --job\n`,
    );
  }
  const base = { job, run_id: newRunId(job, startedAt), host: opts.host ?? hostname() };
  const writer = new RunLineWriter(opts.log, opts.stderr, redactor);
  const start = writer.write({ type: 'run.start', ts: new Date(startedAt).toISOString(), ...base, command: program });

  const capture = new OutputCapture(OUTPUT_EXCERPT_BYTES, REDACTION_MARGIN_BYTES);
  const streamBytes = { stdout: 0, stderr: 0 };
  const t0 = performance.now();
  let child: ChildProcess | undefined;
  let ended: Ended | undefined;
  // A signal after the command exited (a background process holds its pipes) stops the waiting.
  let stopWaiting: () => void = () => {};
  let signalled = false;
  const stopped = new Promise<void>((resolve) => (stopWaiting = resolve));
  const group = opts.processGroup ?? defaultProcessGroup();
  const forward = (signal: NodeJS.Signals) => {
    if (group === 'own' && child?.pid !== undefined) {
      // The whole group: also what the command left in the background, as a signal to its group would.
      try {
        process.kill(-child.pid, signal);
      } catch {
        // The group is gone: nothing left to stop.
      }
    } else if (!ended && !TERMINAL_SIGNALS.has(signal) && child && child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
    }
    if (ended) {
      signalled = true;
      stopWaiting();
    }
  };
  // A reader of our stdout that went away (`| head -1`), or a stdout that cannot be written (a full
  // disk): the command's stdout is closed, so its next write fails as it would unwrapped (SIGPIPE
  // or a write error); else `yes | head -1` would never end. Its run.end is still written. Only a
  // reader's going (EPIPE) leaves the run to the command's exit code: after any other error, output
  // was lost (lostOutput), and the run is never a success. An error on stderr stops passing stderr
  // on: its output is still counted and kept, and the command never blocks on a pipe nobody reads.
  const cut = { stdout: false, stderr: false };
  let lostOutput: NodeJS.ErrnoException | undefined;
  const cutStdout = (error: NodeJS.ErrnoException) => {
    if (cut.stdout) return;
    cut.stdout = true;
    if (error.code !== 'EPIPE') lostOutput = error;
    if (child?.stdout) closeOnceRead(child.stdout);
  };
  const cutStderr = () => {
    cut.stderr = true;
    child?.stderr?.resume();
  };
  ignoreLateWriteErrors(opts.stdout);
  ignoreLateWriteErrors(opts.stderr);
  opts.stdout.on('error', cutStdout);
  opts.stderr.on('error', cutStderr);
  for (const s of FORWARDED_SIGNALS) signals.on(s, forward);
  // A job in its own group does not die with us: if we end before it (a crash, process.exit), stop
  // it. (Killed hard, we cannot; its writes then fail, as a pipeline's would.)
  const stopOrphan = () => {
    if (group === 'own' && child?.pid !== undefined && child.exitCode === null && child.signalCode === null) forward('SIGTERM');
  };
  process.once('exit', stopOrphan);
  let pipesClosed: Promise<void> = Promise.resolve();
  try {
    child = spawn(program, args, { stdio: [opts.stdin ?? 'inherit', 'pipe', 'pipe'], shell: false, detached: group === 'own', env: opts.env ?? LAUNCH_ENV });
    const exiting = waitForExit(child);
    pipesClosed = waitForPipes(child);
    for (const name of ['stdout', 'stderr'] as const) {
      const stream = child[name];
      if (!stream) continue;
      stream.on('data', (chunk: Buffer) => {
        capture.write(chunk, name);
        streamBytes[name] += chunk.length;
        if (!cut[name]) passOn(stream, opts[name], chunk, ended ? AFTER_EXIT_QUEUE_BYTES : 0);
      });
    }
    ended = await exiting;
    // What it wrote before it exited is read now, however slow the reader of ours (held for it).
    child.stdout?.resume();
    child.stderr?.resume();
  } catch (error) {
    ended = { code: null, signal: null, spawnError: error as NodeJS.ErrnoException };
  }
  const durationMs = Math.round(performance.now() - t0);
  // What the command wrote before it exited is still in the pipes: read it, unless a process it
  // left behind holds them open, or we are told to stop.
  if (!ended.spawnError) await Promise.race([pipesClosed, delay(PIPE_GRACE_MS), stopped]);
  const counted = { bytes: { ...streamBytes }, summary: outputFacts(capture, redactor) };
  process.off('exit', stopOrphan);

  let exitCode: number;
  const extra: Record<string, unknown> = {};
  if (ended.spawnError) {
    const failure = startFailure(program, ended.spawnError);
    opts.stderr.write(`silent-audit exec: ${failure.message}\n`);
    exitCode = failure.exitCode;
    extra.error = failure.message;
  } else if (ended.signal) {
    exitCode = signalExitCode(ended.signal);
    extra.signal = ended.signal;
  } else {
    exitCode = ended.code ?? 1;
  }
  const lostBeforeEnd = lostOutput;
  if (lostBeforeEnd) {
    exitCode = failedExitCode(exitCode);
    extra.error = lostOutputMessage(lostBeforeEnd);
    opts.stderr.write(`silent-audit exec: ${extra.error}; exiting ${exitCode}\n`);
  }

  const end = writer.write({
    type: 'run.end',
    ts: new Date(startedAt + durationMs).toISOString(),
    ...base,
    exit_code: exitCode,
    duration_ms: durationMs,
    ...extra,
    stdout_bytes: counted.bytes.stdout,
    stderr_bytes: counted.bytes.stderr,
    ...counted.summary,
  });
  // A process the command left behind may still write: pass its output on as the command's, as
  // cron (which waits for the pipes to close) would have, until the pipes close or a signal stops us.
  // Then it is passed on to the last byte (or fails, when the disk fills up now).
  await Promise.race([pipesClosed, stopped]);
  await Promise.race([flushed(opts.stdout), stopped]);
  for (const s of FORWARDED_SIGNALS) signals.off(s, forward);
  child?.stdout?.destroy();
  child?.stderr?.destroy();
  opts.stdout.off('error', cutStdout);
  opts.stderr.off('error', cutStderr);
  // Told to stop: what waits for the reader is dropped, as the command's own pipe would be with it.
  if (signalled) (opts.stdout as Partial<Writable>).destroy?.();
  if (lostOutput && !lostBeforeEnd) {
    exitCode = failedExitCode(exitCode);
    opts.stderr.write(`silent-audit exec: ${lostOutputMessage(lostOutput)} (after run.end was written); exiting ${exitCode}\n`);
  }
  return { exitCode, start, end, capture, signalled };
}

function jobName(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('expected a job name');
  return value;
}

/**
 * The redactor for the run lines: the config's patterns with the built-in rules. A config that
 * cannot be read must not stop the job: after a warning, the built-in rules with each of its
 * redact patterns that passes (a refused pattern, or a problem elsewhere, drops no other). The
 * deploy lists' warning is not given: exec deploys nothing, and its stderr (a cron job's mail) is the job's.
 */
function execRedactor(file: string | undefined, stderr: NodeJS.WritableStream): Redactor {
  try {
    return redactorFor(loadConfig(file, process.cwd(), { warn: () => {} }));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const patterns = passingRedactPatterns(file, process.cwd());
    const kept = patterns.length > 0 ? `and the config's redact patterns that passed (${patterns.map((p) => p.name).join(', ')})` : 'only';
    stderr.write(`silent-audit exec: ${error.message}\nsilent-audit exec: running anyway; the run lines are redacted with the built-in rules ${kept}\n`);
    return redactorFor({ redact: { patterns } });
  }
}

/** `silent-audit exec --job NAME [--log FILE] [--config FILE] -- COMMAND...` */
export function registerExecCommand(program: Command): void {
  program
    .command('exec')
    .description('run a command, pass its output through unchanged, and write its run.start/run.end lines; exits with its exit code')
    .usage('--job <name> [--log <file>] [--config <file>] -- <command> [args...]')
    .requiredOption('--job <name>', 'the job the run belongs to', jobName)
    .option('--log <file>', 'append the run lines to this file (default: stderr)')
    .option('--config <file>', 'config file whose redact patterns apply to the run lines (default: silent-audit.config.yaml here, if any)')
    .argument('<command...>', 'the command and its arguments, after --; no shell (use sh -c "…" for one)')
    // Everything from the command on is the command's: `exec --job j df -h` runs `df -h` (not
    // exec's help), `grep --log x` keeps its `--log`. exec's own options go before the command.
    .passThroughOptions()
    .action(async (command: string[], o: { job: string; log?: string; config?: string }) => {
      const redactor = execRedactor(o.config, process.stderr);
      const result = await runExec({ job: o.job, log: o.log, command, stdout: process.stdout, stderr: process.stderr, redactor });
      // Stopped by a signal, exec ends now: a write of the dropped output still under way would keep it running.
      if (result.signalled) process.exit(result.exitCode);
      process.exitCode = result.exitCode;
    });
}
