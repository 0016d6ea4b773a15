import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateCheckpointShare } from '../src/crd/validate.js';

const dir = new URL('../../../examples/invalid/', import.meta.url);
/** Each file's first line names the field it breaks: `# spec.mode: ...`. */
const invalid = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .map((file) => {
    const text = readFileSync(new URL(file, dir), 'utf8');
    const field = /^# ([\w.[\]]+):/.exec(text)?.[1];
    return { file, field, manifest: parse(text) as unknown };
  });

describe('examples/invalid/', () => {
  it('holds one manifest per rule of the CRD', () => {
    expect(invalid.map((i) => i.field).sort()).toEqual([
      'spec.checkpoint',
      'spec.checkpoint',
      'spec.interval',
      'spec.mode',
      'spec.projectIds[1]',
      'spec.projectIds[1]',
      'spec.projects',
    ]);
  });

  it.each(invalid)('$file is refused, naming $field', ({ field, manifest }) => {
    const errors = validateCheckpointShare(manifest).errors;
    expect(errors.map((e) => e.field)).toContain(field);
  });
});
