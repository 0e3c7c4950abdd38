import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { isKObject, type KObject } from '../manifests/objects.ts';
import type { Finding } from './findings.ts';

export async function yamlFiles(root: string, dirs: string[]): Promise<string[]> {
  const files: string[] = [];
  async function walk(dir: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (/\.ya?ml$/.test(entry.name)) files.push(path);
    }
  }
  for (const dir of dirs) await walk(join(root, dir));
  return files;
}

export interface ParsedFile {
  file: string;
  objects: KObject[];
}

/** Parses every file; a YAML error is a finding naming the file and the line. */
export async function parseFiles(root: string, files: string[]): Promise<{ parsed: ParsedFile[]; errors: Finding[] }> {
  const parsed: ParsedFile[] = [];
  const errors: Finding[] = [];
  for (const path of files) {
    const file = relative(root, path);
    const docs = parseAllDocuments(await readFile(path, 'utf8'));
    const bad = docs.flatMap((d) => d.errors);
    if (bad.length > 0) {
      const e = bad[0];
      errors.push({ phase: 'parse', file, message: (e?.message ?? 'invalid YAML').trimEnd() });
      continue;
    }
    parsed.push({ file, objects: docs.map((d) => d.toJS() as unknown).filter(isKObject) });
  }
  return { parsed, errors };
}
