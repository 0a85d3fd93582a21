import { strict as assert } from 'node:assert';
import { COMMANDS } from '../../../src/cli/commands/commands';

describe('CLI commands', () => {
  it('have distinct names', () => {
    assert.equal(new Set(COMMANDS.map((c) => c.name)).size, COMMANDS.length);
  });

  // main.ts parses with one table made of every command's options: a second, different definition would silently win.
  it('define an option they share alike', () => {
    const seen = new Map<string, string>();
    for (const c of COMMANDS) {
      for (const [name, def] of Object.entries(c.options)) {
        const json = JSON.stringify(def);
        assert.equal(json, seen.get(name) ?? json, `--${name} of ${c.name}`);
        seen.set(name, json);
      }
    }
  });
});
