export type Phase = 'parse' | 'build' | 'schema' | 'crosscheck';

export interface Finding {
  phase: Phase;
  /** The file, or the overlay directory whose rendering the object came from. */
  file: string;
  /** Kind/name, when the finding is about one object. */
  object?: string;
  message: string;
  /** A warning is printed and not counted as an error (a preset's documented exception). */
  warning?: boolean;
}

export function formatFinding(level: 'INFO' | 'WARN' | 'ERROR', f: Finding): string {
  return `${level.padEnd(5)} [${f.phase}] ${f.file}${f.object ? ` ${f.object}` : ''}: ${f.message}`;
}
