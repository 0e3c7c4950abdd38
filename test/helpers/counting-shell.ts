import { sh, type Sh } from '../../scripts/lib/shell.ts';

/**
 * The project's shell, recording every command it runs (as written, its values filled in):
 * a test can see what a function asked the machine to do, and run it for real all the same.
 */
export function countingShell(commands: string[]): Sh {
  const wrap = <T extends object>(inner: T): T =>
    new Proxy(inner, {
      apply(target, thisArg, args: unknown[]) {
        const [first, ...values] = args;
        if (Array.isArray(first) && 'raw' in first) {
          commands.push(String.raw({ raw: first as unknown as readonly string[] }, ...values.map((v) => (Array.isArray(v) ? v.join(' ') : String(v)))));
          return Reflect.apply(target as (...a: unknown[]) => unknown, thisArg, args);
        }
        return wrap(Reflect.apply(target as (...a: unknown[]) => unknown, thisArg, args) as object);
      },
    });
  return wrap(sh);
}
