import { $ as zx$, type Shell } from 'zx';

/** The one configured shell: quiet, throwing on failure. Functions take it as a parameter. */
export type Sh = Shell;

export function createShell(env: NodeJS.ProcessEnv = process.env): Sh {
  return zx$({ quiet: true, verbose: false, env });
}

export const sh: Sh = createShell();

/** The last lines of a failed command's output, for a one-glance error message. */
export function tail(text: string, lines = 20): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
