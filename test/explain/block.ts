/**
 * Hand-built model blocks for explain/render tests: a Graph plus Statement records, one
 * statement a line, without the spec parser (so these tests do not depend on it).
 */
import { Graph, type Node } from '../../src/engine/graph';
import type { Attrs } from '../../src/engine/op';
import { type Nested, Tensor } from '../../src/engine/tensor';
import type { ModelBlock, Role, SpecError, Statement } from '../../src/spec/model';

export class BlockBuilder {
  readonly graph = new Graph();
  readonly statements: Statement[] = [];
  readonly errors: SpecError[] = [];
  private line: number;

  constructor(firstLine = 0) {
    this.line = firstLine;
  }

  /** `role name = value` for a leaf. */
  leaf(role: Role | null, name: string, value: Nested): Node {
    const requiresGrad = role !== 'const' && role !== 'target';
    const node = this.graph.leaf(Tensor.fromNested(value), { name, requiresGrad });
    this.record(role, name, node, JSON.stringify(value));
    return node;
  }

  /** An unnamed literal inside an expression (no gradient). */
  literal(value: Nested): Node {
    return this.graph.leaf(Tensor.fromNested(value), { requiresGrad: false });
  }

  /** An unnamed subexpression. */
  op(op: string, inputs: Node[], attrs: Attrs = {}): Node {
    return this.graph.apply(op, inputs, attrs);
  }

  /** `role name = <expression>` where `node` is the expression's top node. */
  let(role: Role | null, name: string, node: Node, source = name): Node {
    node.name = name;
    this.record(role, name, node, source);
    return node;
  }

  /** A spec error on the next line. */
  error(message: string, code = 'unknown-name'): void {
    const line = this.line++;
    this.errors.push({
      message,
      code,
      range: { start: { line, column: 4 }, end: { line, column: 9 } },
    });
  }

  block(index = 0): ModelBlock {
    const loss = this.statements.find((s) => s.role === 'loss');
    const output = this.statements.find((s) => s.role === 'output');
    const root = loss ?? output ?? this.statements[this.statements.length - 1] ?? null;
    const first = this.statements[0]?.range.start.line ?? this.line;
    return {
      index,
      range: { start: { line: first, column: 0 }, end: { line: this.line, column: 0 } },
      graph: this.graph,
      statements: this.statements,
      errors: this.errors,
      root,
    };
  }

  private record(role: Role | null, name: string, node: Node, source: string): void {
    const line = this.line++;
    const prefix = role ? `${role} ` : '';
    this.statements.push({
      name,
      role,
      node,
      range: {
        start: { line, column: 0 },
        end: { line, column: prefix.length + name.length + 3 + source.length },
      },
      nameRange: {
        start: { line, column: prefix.length },
        end: { line, column: prefix.length + name.length },
      },
      source,
      comment: null,
    });
  }
}

/** Plain matrix helpers for computing textbook formulas independently of the engine. */
export type Matrix = number[][];

export function mm(a: Matrix, b: Matrix): Matrix {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, x, k) => s + x * b[k][j], 0)));
}

export function tr(a: Matrix): Matrix {
  return a[0].map((_, j) => a.map((row) => row[j]));
}

export function addRow(a: Matrix, b: number[]): Matrix {
  return a.map((row) => row.map((x, j) => x + b[j]));
}

export function sumRows(a: Matrix): number[] {
  return a[0].map((_, j) => a.reduce((s, row) => s + row[j], 0));
}

export function zip(a: Matrix, b: Matrix, f: (x: number, y: number) => number): Matrix {
  return a.map((row, i) => row.map((x, j) => f(x, b[i][j])));
}

export function maxDiff(a: Nested, b: Nested): number {
  if (typeof a === 'number' || typeof b === 'number') {
    if (typeof a !== 'number' || typeof b !== 'number') return Infinity;
    return Math.abs(a - b);
  }
  if (a.length !== b.length) return Infinity;
  return a.reduce<number>((m, x, i) => Math.max(m, maxDiff(x, b[i])), 0);
}
