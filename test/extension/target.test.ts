// What Explain Backprop explains (selection, block under the cursor, whole file, first block),
// and how a target follows edits of its document.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type TextChange,
  clampRange,
  movePosition,
  moveTarget,
  pickTarget,
  resolveTarget,
  textInRange,
} from '../../src/extension/target';
import type { LineRange, Position } from '../../src/protocol';

const note = [
  '# Two blocks', // 0
  '', // 1
  '```model', // 2
  'x = 1', // 3
  'loss L = x * x', // 4
  '```', // 5
  'between', // 6
  '```model', // 7
  'y = 2', // 8
  '```', // 9
].join('\n');
const md = { text: note, languageId: 'markdown', fileName: '/n/a.md' };
const at = (line: number, character = 0): Position => ({ line, character });
const empty = (p: Position): LineRange => ({ start: p, end: p });

describe('pickTarget', () => {
  it('takes the block under the cursor in Markdown, fence lines included', () => {
    assert.deepEqual(pickTarget(md, empty(at(4, 3)), at(4, 3)), { kind: 'block', line: 4 });
    assert.deepEqual(pickTarget(md, empty(at(2)), at(2)), { kind: 'block', line: 2 });
    const second = pickTarget(md, empty(at(9)), at(9));
    assert.deepEqual(second, { kind: 'block', line: 9 });
    const resolved = resolveTarget(md, second as never);
    assert.ok('blockIndex' in resolved);
    assert.equal(resolved.blockIndex, 1);
    assert.equal(resolved.blockCount, 2);
  });

  it('takes the first block when the cursor is outside every block', () => {
    const target = pickTarget(md, empty(at(0)), at(0));
    assert.deepEqual(target, { kind: 'block', line: 3 });
  });

  it('says what to do when a note has no model block', () => {
    const plain = { ...md, text: '# Notes\n\n```python\nx = 1\n```\n' };
    const target = pickTarget(plain, empty(at(3)), at(3));
    assert.ok('error' in target);
    assert.match(target.error, /```model/);
  });

  it('takes a non-empty selection as a snippet in the document’s coordinates', () => {
    const selection = { start: at(4, 5), end: at(4, 14) };
    const target = pickTarget(md, selection, selection.end);
    assert.deepEqual(target, { kind: 'selection', range: selection });
    const resolved = resolveTarget(md, target as never);
    assert.deepEqual(resolved, {
      text: 'L = x * x',
      kind: 'snippet',
      origin: { line: 4, column: 5 },
      blockIndex: 0,
      blockCount: 1,
    });
  });

  it('takes a selection over a fence as that block', () => {
    const selection = { start: at(7), end: at(9, 3) };
    assert.deepEqual(pickTarget(md, selection, selection.end), { kind: 'block', line: 7 });
  });

  it('takes a whitespace-only selection as no selection', () => {
    assert.deepEqual(pickTarget(md, { start: at(1), end: at(2) }, at(4)), {
      kind: 'block',
      line: 4,
    });
  });

  it('takes the whole file for .model and .py files, and other text', () => {
    for (const [languageId, fileName, kind] of [
      ['model-spec', '/n/xor.model', 'model'],
      ['python', '/n/f.py', 'python'],
      ['plaintext', '/n/f.txt', 'snippet'],
      ['plaintext', '/n/g.model', 'model'],
    ] as const) {
      const doc = { text: 'x = 1\nloss L = x * x\n', languageId, fileName };
      const target = pickTarget(doc, empty(at(1)), at(1));
      assert.deepEqual(target, { kind: 'file' });
      const resolved = resolveTarget(doc, target as never);
      assert.ok('kind' in resolved);
      assert.equal(resolved.kind, kind, fileName);
      assert.equal(resolved.text, doc.text);
    }
  });

  it('finds the block of the two-layer sample from any line inside it', () => {
    const text = readFileSync(
      join(import.meta.dirname, '..', '..', 'samples', 'two-layer-network.md'),
      'utf8',
    );
    const lines = text.split('\n');
    const open = lines.indexOf('```model');
    const close = lines.indexOf('```', open + 1);
    const doc = { text, languageId: 'markdown', fileName: 'two-layer-network.md' };
    for (let line = open; line <= close; line++) {
      assert.deepEqual(pickTarget(doc, empty(at(line)), at(line)), { kind: 'block', line });
    }
  });
});

describe('resolveTarget', () => {
  it('follows a block to the nearest one when its line is outside every block', () => {
    const r = resolveTarget(md, { kind: 'block', line: 6 });
    assert.ok('blockIndex' in r);
    assert.equal(r.blockIndex, 0, 'line 6 is right after the first fence closes');
    const far = resolveTarget(md, { kind: 'block', line: 500 });
    assert.ok('blockIndex' in far);
    assert.equal(far.blockIndex, 1);
  });

  it('clamps a selection to the document and reports an emptied one', () => {
    const r = resolveTarget(md, { kind: 'selection', range: { start: at(8), end: at(40, 3) } });
    assert.ok('text' in r);
    assert.equal(r.text, 'y = 2\n```');
    const gone = resolveTarget(md, { kind: 'selection', range: { start: at(1), end: at(1, 9) } });
    assert.ok('error' in gone);
    assert.equal(gone.line, 1);
  });
});

/** Applies a change to a text, as VS Code would. */
function apply(text: string, change: TextChange): string {
  const lines = text.split('\n');
  const offset = (p: Position) =>
    lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  return (
    text.slice(0, offset(change.range.start)) + change.text + text.slice(offset(change.range.end))
  );
}

describe('moveTarget', () => {
  it('moves a block line down when lines are inserted above, not below', () => {
    const insert = { range: empty(at(1)), text: 'one\ntwo\n' };
    assert.deepEqual(moveTarget({ kind: 'block', line: 4 }, [insert]), { kind: 'block', line: 6 });
    const below = { range: empty(at(8)), text: 'z = 3\n' };
    assert.deepEqual(moveTarget({ kind: 'block', line: 4 }, [below]), { kind: 'block', line: 4 });
    const deleteAbove = { range: { start: at(0), end: at(2) }, text: '' };
    assert.deepEqual(moveTarget({ kind: 'block', line: 4 }, [deleteAbove]), {
      kind: 'block',
      line: 2,
    });
  });

  it('keeps a selection on the same text through random edits outside it, and grows it by edits inside', () => {
    const text = 'aaaa\nbbbb\ncccc\ndddd\neeee';
    const lineCount = 5;
    const pos = fc
      .tuple(fc.integer({ min: 0, max: lineCount - 1 }), fc.integer({ min: 0, max: 4 }))
      .map(([line, character]) => at(line, character));
    const insertText = fc.stringMatching(/^[xy\n]{0,6}$/);
    fc.assert(
      fc.property(pos, pos, pos, insertText, (s, e, c, inserted) => {
        const [start, end] = [s, e].sort((a, b) => a.line - b.line || a.character - b.character);
        const selection = { start, end };
        const selected = textInRange(text, selection);
        const change = { range: empty(c), text: inserted };
        const after = apply(text, change);
        const moved = moveTarget({ kind: 'selection', range: selection }, [change]);
        assert.equal(moved.kind, 'selection');
        if (moved.kind !== 'selection') return;
        const now = textInRange(after, moved.range);
        const cmp = (a: Position, b: Position) => a.line - b.line || a.character - b.character;
        if (cmp(c, start) < 0 || cmp(c, end) > 0) {
          assert.equal(now, selected, 'an insertion outside leaves the snippet as it was');
        } else {
          // At or inside the selection: the inserted text becomes part of it.
          const k =
            cmp(c, start) === 0 ? 0 : selected.length - textInRange(text, { start: c, end }).length;
          assert.equal(now, selected.slice(0, k) + inserted + selected.slice(k));
        }
      }),
    );
  });

  it('moves a position past a same-line insertion before it', () => {
    const change = { range: empty(at(2, 1)), text: 'XY' };
    assert.deepEqual(movePosition(at(2, 3), change, 'before'), at(2, 5));
    assert.deepEqual(movePosition(at(2, 1), change, 'before'), at(2, 1));
    assert.deepEqual(movePosition(at(2, 1), change, 'after'), at(2, 3));
    const replaceOver = { range: { start: at(1, 2), end: at(3, 1) }, text: 'Q' };
    assert.deepEqual(movePosition(at(2, 0), replaceOver, 'before'), at(1, 2));
    assert.deepEqual(movePosition(at(2, 0), replaceOver, 'after'), at(1, 3));
    assert.deepEqual(movePosition(at(3, 4), replaceOver, 'before'), at(1, 6));
  });

  it('clamps ranges to the document', () => {
    assert.deepEqual(clampRange('ab\r\ncd', { start: at(0, 9), end: at(7, 1) }), {
      start: at(0, 2),
      end: at(1, 2),
    });
  });
});
