import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';

// Every script: flags parsed strictly, --help, one clear sentence and a non-zero exit on
// failure. Logic stays in scripts/lib; a script is this plus one call.

export class UsageError extends Error {}

/** A failure the user can act on: printed as one sentence, without a stack. */
export class UserError extends Error {}

/** Ctrl-C: what was started has been stopped; exit 130 as shells expect. */
export class InterruptedError extends UserError {}

/**
 * The arguments after the script itself, however it was started: `node scripts/x.ts` puts
 * the script at argv[1], `npx zx scripts/x.ts` puts zx there and the script after it.
 */
export function scriptArgv(scriptUrl: string, argv: string[] = process.argv): string[] {
  const file = fileURLToPath(scriptUrl);
  const at = argv.findIndex((arg, i) => i > 0 && resolve(arg) === file);
  return argv.slice(at < 0 ? 2 : at + 1);
}

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseFlags<O extends Options>(argv: string[], options: O, usage: string) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false });
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0]?.replace(/\. To specify.*$/, '');
    throw new UsageError(`${reason}. Run with --help for usage.`);
  }
  if ((parsed.values as Record<string, unknown>).help) {
    process.stdout.write(`${usage.trim()}\n`);
    process.exit(0);
  }
  return parsed.values as { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : O[K]['multiple'] extends true ? string[] : string };
}

/**
 * A flag's value as a number, or a UsageError naming the flag: `positive` refuses 0 too;
 * `what` says what it counts ("number of seconds").
 */
export function numberFlag(name: string, raw: string, { positive = false, what = 'number' } = {}): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (positive && value === 0)) {
    throw new UsageError(`--${name} must be a ${positive ? 'positive' : 'non-negative'} ${what}, got "${raw}".`);
  }
  return value;
}

/** Runs a script's body; maps errors to one line on stderr and an exit code. */
export async function runMain(body: () => Promise<number | void>): Promise<void> {
  // Output piped into `head` that has seen enough: stop quietly, as other CLIs do.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  try {
    process.exitCode = (await body()) ?? 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = 2;
    } else if (error instanceof InterruptedError) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 130;
    } else if (error instanceof UserError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`error: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    }
  }
}

/** Progress for long steps: what is happening and how long it has taken. */
export function progress(label: string, write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)) {
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
  write(`… ${label}`);
  const timer = setInterval(() => write(`… ${label} (${elapsed()})`), 15_000);
  timer.unref();
  return {
    done(note = '') {
      clearInterval(timer);
      write(`✓ ${label} (${elapsed()})${note ? `: ${note}` : ''}`);
    },
    fail() {
      clearInterval(timer);
      write(`✗ ${label} (${elapsed()})`);
    },
  };
}
