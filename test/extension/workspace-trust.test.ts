// The manifest's workspace capabilities (issue 7, goal 6). Nothing in a note runs as code, so the
// extension works in Restricted Mode and on virtual file systems; but a folder's own
// .vscode/settings.json must not be able to raise the engine's limits before the user trusts it
// (a tensor of limits.maxElements values is allocated for real: 1e9 of them is 8 GB), so those
// settings are `restrictedConfigurations` and VS Code takes them from the user's settings only.
// These tests keep that list honest as settings are added.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const root = join(import.meta.dirname, '..', '..');
const read = (file: string) => JSON.parse(readFileSync(join(root, file), 'utf8')) as unknown;

interface Setting {
  type: string;
  enum?: unknown[];
  maximum?: number;
  default?: unknown;
}
interface Manifest {
  capabilities: {
    untrustedWorkspaces: {
      supported: unknown;
      description?: string;
      restrictedConfigurations?: string[];
    };
    virtualWorkspaces: unknown;
  };
  contributes: { configuration: { properties: Record<string, Setting> } };
}

const manifest = read('package.json') as Manifest;
const settings = manifest.contributes.configuration.properties;
const untrusted = manifest.capabilities.untrustedWorkspaces;
const restricted = untrusted.restrictedConfigurations ?? [];

/**
 * Settings whose value bounds memory or time the engine (or a webview drawing its results) may
 * spend. Any setting named like a bound must be decided on here.
 */
const bounds = [
  'backpropNotes.limits.maxElements',
  'backpropNotes.limits.maxTotalElements',
  'backpropNotes.limits.maxMultiplyAdds',
  'backpropNotes.limits.maxNesting',
  'backpropNotes.live.maxElements',
  'backpropNotes.engine.timeLimitSeconds',
  'backpropNotes.explain.gradientCheckElements',
  'backpropNotes.matrix.maxRows',
  'backpropNotes.matrix.maxColumns',
];

describe('workspace trust and virtual workspaces in package.json', () => {
  it('virtual workspaces: supported', () => {
    assert.equal(manifest.capabilities.virtualWorkspaces, true);
  });

  it('Restricted Mode: limited, with a description in English and Korean', () => {
    assert.equal(untrusted.supported, 'limited');
    const key = /^%(.+)%$/.exec(untrusted.description ?? '')?.[1];
    assert.ok(key, 'the description is a package.nls key');
    const english = (read('package.nls.json') as Record<string, string>)[key];
    const korean = (read('package.nls.ko.json') as Record<string, string>)[key];
    assert.match(english, /Restricted Mode/);
    assert.match(korean, /제한 모드/);
  });

  it('every setting that bounds memory or time is restricted, and only settings that exist', () => {
    assert.deepEqual([...restricted].sort(), [...bounds].sort());
    for (const key of restricted) assert.ok(settings[key], `${key} is a contributed setting`);
    const boundLike = Object.keys(settings).filter((k) =>
      /\.(limits\.|max[A-Z]|timeLimit|\w*Elements$)/.test(k),
    );
    assert.deepEqual(
      boundLike.filter((k) => !restricted.includes(k)),
      [],
      'a new limit setting must be added to restrictedConfigurations (or decided on here)',
    );
  });

  it('no setting can name a program, a path or a command: strings are enums', () => {
    for (const [key, setting] of Object.entries(settings)) {
      assert.ok(
        ['integer', 'number', 'boolean'].includes(setting.type) ||
          (setting.type === 'string' && Array.isArray(setting.enum)),
        `${key} (${setting.type}) would take free text from a workspace: review it for Restricted Mode`,
      );
    }
  });
});
