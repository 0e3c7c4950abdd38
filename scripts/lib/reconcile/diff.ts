import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import type { KObject } from '../manifests/objects.ts';

// What a dry run shows: the live object against what the apiserver would make of Git's,
// without the fields the server owns.

const SERVER_METADATA = ['managedFields', 'resourceVersion', 'generation', 'uid', 'creationTimestamp'];

export function normalize(obj: KObject | undefined): string {
  if (!obj) return '';
  const { status: _status, ...rest } = obj as KObject & { status?: unknown };
  const metadata = Object.fromEntries(Object.entries(obj.metadata).filter(([k]) => !SERVER_METADATA.includes(k)));
  return stringify({ ...rest, metadata }, { sortMapEntries: true });
}

/** A unified diff of live against desired; empty when they are the same. */
export function objectDiff(name: string, live: KObject | undefined, desired: KObject | undefined): string {
  const before = normalize(live);
  const after = normalize(desired);
  if (before === after) return '';
  return createTwoFilesPatch(`live/${name}`, `git/${name}`, before, after, undefined, undefined, { context: 3 })
    .split('\n')
    .filter((l) => !l.startsWith('====='))
    .join('\n');
}

/** The live object cut down to the fields Git declares (lists by position), for a plain diff. */
export function project(live: unknown, desired: unknown): unknown {
  if (Array.isArray(desired)) return desired.map((d, i) => project(Array.isArray(live) ? live[i] : undefined, d));
  if (desired && typeof desired === 'object') {
    if (!live || typeof live !== 'object') return undefined;
    return Object.fromEntries(Object.keys(desired).map((k) => [k, project((live as Record<string, unknown>)[k], (desired as Record<string, unknown>)[k])]));
  }
  return live;
}
