import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { importsOf, lintImports } from '../../scripts/lint/import-rules';

const files = (o: Record<string, string>) => new Map(Object.entries(o));

describe('import rules', () => {
  it('reads value, type-only, re-export and dynamic imports', () => {
    const i = importsOf(`import * as tf from '@tensorflow/tfjs';\nimport type { X } from './x';\nexport { y } from '../y';\nconst m = await import('node:fs');`);
    expect(i).toEqual([
      { spec: '@tensorflow/tfjs', typeOnly: false },
      { spec: './x', typeOnly: true },
      { spec: '../y', typeOnly: false },
      { spec: 'node:fs', typeOnly: false },
    ]);
  });
  it('fails on a forbidden folder import, tfjs reached from the main thread, and Node built-ins outside the CLI', () => {
    const problems = lintImports(
      files({
        'src/engine/a.ts': `import { b } from '../analysis/b';`,
        'src/analysis/b.ts': `import * as tf from '@tensorflow/tfjs';`,
        'src/engine/c.ts': `import { readFileSync } from 'node:fs';`,
        'src/engine/node-load.ts': `import { readFileSync } from 'node:fs';`,
        'src/app/view.ts': `import { helper } from '../engine/helper';`,
        'src/engine/helper.ts': `import { b } from '../engine/d';`,
        'src/engine/d.ts': `import * as tf from '@tensorflow/tfjs';`,
        'src/app/types-only.ts': `import type { B } from '../analysis/b';`,
      }),
    );
    expect(problems).toEqual([
      'src/engine/a.ts: imports src/analysis/b.ts (src/engine may import only src/engine)',
      'src/engine/c.ts: imports the Node built-in "node:fs" (only src/cli and engine files named node-*.ts or *-node.ts may)',
      'src/app/view.ts: loads tfjs on the main thread through src/app/view.ts → src/engine/helper.ts → src/engine/d.ts → @tensorflow/tfjs',
    ]);
  });
  it('the repository follows them (npm run lint)', () => {
    expect(execFileSync(process.execPath, ['--import', 'tsx', 'scripts/lint/lint-imports.ts'], { encoding: 'utf8' })).toMatch(/files follow the import rules/);
  });
});
