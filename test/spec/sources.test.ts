import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  findModelFences,
  kindFromFileName,
  parseMarkdown,
  parseSource,
} from '../../src/spec/index';

const note = [
  '# 2층 신경망 / Two-layer network', // 0
  '', // 1
  'Some prose with `inline code`.', // 2
  '', // 3
  '```model', // 4
  'param w = [0.5, -1.5]', // 5
  'x = [2.0, 1.0]', // 6
  'loss L = sum(w * x)', // 7
  '```', // 8
  '', // 9
  '```python', // 10
  'x = not_a_model(1)', // 11
  '```', // 12
  '', // 13
  '~~~model {wrt=w}', // 14
  'param w = [[1.0, 2.0], [-0.5, 0.25]]', // 15
  'h = w @ q', // 16   q is unknown in this block
  '~~~', // 17
  '', // 18
  '````markdown', // 19
  '```model', // 20  an example inside another fence: not a block
  'A = 1', // 21
  '```', // 22
  '````', // 23
  '', // 24
  '- a list item', // 25
  '  ```model', // 26  indented fence inside a list item
  '  z = 3', // 27
  '  ```', // 28
].join('\n');

describe('Markdown fences', () => {
  test('every model fence, in order, with its content range and info string', () => {
    const fences = findModelFences(note);
    assert.deepEqual(
      fences.map((f) => [f.range, f.info]),
      [
        [{ start: { line: 5, column: 0 }, end: { line: 7, column: 19 } }, ''],
        [{ start: { line: 15, column: 0 }, end: { line: 16, column: 9 } }, '{wrt=w}'],
        [{ start: { line: 27, column: 0 }, end: { line: 27, column: 7 } }, ''],
      ],
    );
  });

  test('blocks are independent and their ranges are in the note’s own lines and columns', () => {
    const blocks = parseMarkdown(note);
    assert.equal(blocks.length, 3);
    assert.deepEqual(
      blocks.map((b) => b.index),
      [0, 1, 2],
    );
    assert.deepEqual(
      blocks[0].statements.map((s) => [s.name, s.range.start.line]),
      [
        ['w', 5],
        ['x', 6],
        ['L', 7],
      ],
    );
    assert.equal(blocks[0].errors.length, 0);
    assert.equal(blocks[0].root?.name, 'L');
    // The second block does not see the first block's names.
    assert.equal(blocks[1].errors.length, 1);
    const [err] = blocks[1].errors;
    assert.equal(err.code, 'unknown-name');
    assert.deepEqual(err.range, { start: { line: 16, column: 8 }, end: { line: 16, column: 9 } });
    assert.equal(blocks[1].info, '{wrt=w}');
    assert.deepEqual(blocks[2].statements[0].nameRange, {
      start: { line: 27, column: 2 },
      end: { line: 27, column: 3 },
    });
  });

  test('an unclosed fence runs to the end of the note; an empty fence is an empty block', () => {
    const text = 'intro\n```model\n```\n\n```model\nA = 1\nB = A +';
    const blocks = parseMarkdown(text);
    assert.equal(blocks.length, 2);
    assert.deepEqual(blocks[0].range, {
      start: { line: 2, column: 0 },
      end: { line: 2, column: 0 },
    });
    assert.equal(blocks[0].statements.length, 0);
    assert.equal(blocks[0].root, null);
    assert.deepEqual(blocks[1].range, {
      start: { line: 5, column: 0 },
      end: { line: 6, column: 7 },
    });
    assert.deepEqual(
      blocks[1].errors.map((e) => e.range.start),
      [{ line: 6, column: 6 }],
    );
  });

  test('a closing fence needs the same character and at least the same length', () => {
    const text = '````model\nA = 1\n```\nB = 2\n~~~~\n````\nC = 3';
    const [block] = parseMarkdown(text);
    // ``` and ~~~~ do not close a ```` fence, so they are (bad) statements inside it.
    assert.deepEqual(block.range, { start: { line: 1, column: 0 }, end: { line: 4, column: 4 } });
    assert.deepEqual(
      block.statements.map((s) => s.name),
      ['A', 'B'],
    );
    assert.equal(block.errors.length, 2);
  });

  test('CRLF notes keep the same coordinates', () => {
    const text = note.replace(/\n/g, '\r\n');
    const blocks = parseMarkdown(text);
    assert.deepEqual(
      blocks.map((b) => b.range),
      parseMarkdown(note).map((b) => b.range),
    );
    assert.equal(blocks[0].statements[2].source, 'sum(w * x)');
  });
});

describe('other sources', () => {
  test('a .model file is one block over the whole text', () => {
    const text = 'A = 1\nB = A * 2\n';
    const [block] = parseSource(text, 'model');
    assert.deepEqual(block.range, { start: { line: 0, column: 0 }, end: { line: 2, column: 0 } });
    assert.equal(block.info, '');
    assert.equal(block.root?.name, 'B');
  });

  test('a snippet starting mid-line reports ranges in the file', () => {
    const [block] = parseSource('A = Q + 1', 'snippet', { origin: { line: 12, column: 4 } });
    assert.deepEqual(block.errors[0].range, {
      start: { line: 12, column: 8 },
      end: { line: 12, column: 9 },
    });
  });

  test('a snippet that looks like Python is read as Python', () => {
    const [block] = parseSource('import numpy as np\nprint(1)\nA = np.exp(0.0)', 'snippet');
    assert.equal(block.errors.length, 0);
    assert.deepEqual(
      block.statements.map((s) => s.name),
      ['A'],
    );
  });

  test('the kind follows the file name', () => {
    assert.equal(kindFromFileName('notes/week3.md'), 'markdown');
    assert.equal(kindFromFileName('x.MARKDOWN'), 'markdown');
    assert.equal(kindFromFileName('xor.model'), 'model');
    assert.equal(kindFromFileName('forward.py'), 'python');
    assert.equal(kindFromFileName('stdin'), 'snippet');
    const blocks = parseSource(note, { fileName: 'a.md' });
    assert.equal(blocks.length, 3);
  });

  test('Python: the root is the last scalar named loss, not a later manual gradient', () => {
    const text = [
      'import numpy as np',
      'X = np.array([[1.0, 2.0], [3.0, 4.0]])',
      'W = np.ones((2, 2))',
      'Z = X @ W',
      'loss = np.mean(Z * Z)',
      'dZ = 2 * Z / 4',
      'print(loss)',
    ].join('\n');
    const [block] = parseSource(text, 'python');
    assert.equal(block.errors.length, 0);
    assert.equal(block.root?.name, 'loss');
  });
});
