// The Graph tab's layout and the plots' geometry (src/views/), on the samples' explanations.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compactNumber } from '../../src/explain/latex';
import { explainSource } from '../../src/explain/source';
import { layoutGraph, summary } from '../../src/views/graph-layout';
import { linearTicks, logTicks, plotModel } from '../../src/views/plot';

const samples = join(import.meta.dirname, '..', '..', 'samples');
const twoLayer = explainSource(
  readFileSync(join(samples, 'two-layer-network.md'), 'utf8'),
  'markdown',
  { gradientCheck: false },
).blocks[0];

describe('graph layout', () => {
  const layout = layoutGraph(twoLayer, 'tensors');
  const box = (name: string) => {
    const b = layout.boxes.find((x) => x.name === name);
    assert.ok(b, `no box for ${name}`);
    return b;
  };

  it('has one box per named tensor, with unnamed ops folded into their statement', () => {
    assert.deepEqual(
      layout.boxes.map((b) => b.name).sort(),
      ['L', 'P', 'W1', 'W2', 'X', 'Z1', 'Z2', 'H1', 'b1', 'b2', 'y'].sort(),
    );
    assert.equal(box('Z1').op, 'matmul → add');
    assert.equal(box('W1').op, 'param');
    assert.equal(box('L').isRoot, true);
    const ops = layoutGraph(twoLayer, 'ops');
    assert.equal(ops.boxes.length, twoLayer.nodes.length);
  });

  it('draws an arrow per dependency between boxes, left to right', () => {
    const id = (name: string) => box(name).node;
    const arrows = new Set(layout.arrows.map((a) => `${a.from}>${a.to}`));
    for (const [from, to] of [
      ['X', 'Z1'],
      ['W1', 'Z1'],
      ['b1', 'Z1'],
      ['Z1', 'H1'],
      ['H1', 'Z2'],
      ['Z2', 'P'],
      ['P', 'L'],
      ['y', 'L'],
    ]) {
      assert.ok(arrows.has(`${id(from)}>${id(to)}`), `${from} → ${to}`);
      assert.ok(box(from).x + box(from).width <= box(to).x, `${from} is left of ${to}`);
    }
    assert.equal(layout.arrows.length, 10);
    for (const a of layout.arrows) assert.ok(a.points.length >= 2);
  });

  it('places boxes without overlaps, inside the drawing', () => {
    for (const a of layout.boxes) {
      assert.ok(a.x >= 0 && a.y >= 0, a.title);
      assert.ok(a.x + a.width <= layout.width + 0.5 && a.y + a.height <= layout.height + 0.5);
      for (const b of layout.boxes) {
        if (a === b) continue;
        const apart =
          a.x + a.width <= b.x ||
          b.x + b.width <= a.x ||
          a.y + a.height <= b.y ||
          b.y + b.height <= a.y;
        assert.ok(apart, `${a.title} overlaps ${b.title}`);
      }
    }
  });

  it('says where each tensor is written and summarizes values and gradients', () => {
    const lines = readFileSync(join(samples, 'two-layer-network.md'), 'utf8').split('\n');
    assert.match(lines[box('W2').reveal!.line], /^param\s+W2 =/);
    assert.equal(box('L').value, `= ${compactNumber(twoLayer.root!.value as number, 4)}`);
    assert.equal(box('b1').value, '[0, 0, 0]');
    assert.equal(box('y').gradient, 'none');
    assert.match(box('W1').value, /^-?[\d.]+ … -?[\d.]+$/);
    assert.equal(summary({ count: 4, min: -1, max: 2, mean: 0.5, norm: 3 }, [[1]]), '-1 … 2');
    assert.equal(
      summary({ count: 1, min: 0.30543, max: 0.30543, mean: 0.30543, norm: 0.30543 }, 0.30543),
      '= 0.3054',
    );
  });
});

describe('plots', () => {
  it('linear ticks are round, ascending, and cover the range', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.double({ min: 1e-3, max: 1e6, noNaN: true }),
        (lo, span) => {
          const ticks = linearTicks(lo, lo + span, 5);
          assert.ok(ticks.length >= 2 && ticks.length <= 12, String(ticks));
          for (let i = 1; i < ticks.length; i++) assert.ok(ticks[i] > ticks[i - 1]);
          const step = ticks[1] - ticks[0];
          assert.ok(
            ticks[0] - lo < step * (1 + 1e-9) &&
              lo + span - ticks[ticks.length - 1] < step * (1 + 1e-9),
          );
        },
      ),
    );
    assert.deepEqual(logTicks(1, 512, 2, 10), [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]);
    assert.deepEqual(logTicks(100, 100_000, 10), [100, 1000, 10_000, 100_000]);
  });

  it('maps points into the plotting area, larger values higher, on log axes too', () => {
    const losses: [number, number][] = Array.from({ length: 50 }, (_, i) => [i, Math.exp(-i / 10)]);
    const m = plotModel([{ name: 'loss', points: losses }], {
      width: 400,
      height: 200,
      logY: 'auto',
    });
    assert.equal(m.logY, true);
    const px = m.series[0].pixels;
    assert.equal(px.length, 50);
    for (const [x, y] of px) {
      assert.ok(x >= m.area.left && x <= m.area.right && y >= m.area.top && y <= m.area.bottom);
    }
    for (let i = 1; i < px.length; i++) {
      assert.ok(px[i][0] > px[i - 1][0]);
      assert.ok(px[i][1] > px[i - 1][1]); // the loss falls, so it is drawn lower (larger y)
    }
    // On a log axis equal ratios are equal distances.
    const d1 = px[10][1] - px[0][1];
    const d2 = px[20][1] - px[10][1];
    assert.ok(Math.abs(d1 - d2) < 0.3, `${d1} vs ${d2}`);
    assert.match(m.series[0].path, /^M[\d.]+ [\d.]+( L[\d.]+ [\d.]+){49}$/);
    // A loss that is not positive throughout stays linear, from 0.
    const flat = plotModel(
      [
        {
          name: 'x',
          points: [
            [0, 0],
            [1, 2],
          ],
        },
      ],
      { width: 300, height: 150, logY: 'auto' },
    );
    assert.equal(flat.logY, false);
    assert.equal(flat.yTicks[0].value, 0);
  });
});
