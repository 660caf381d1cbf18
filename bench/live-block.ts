/**
 * A block of exactly `count` statements: a chain of tanh layers ending in softmax + loss — the
 * block both bench/extension-host.ts (in VS Code) and bench/live-edit.ts (plain Node) edit.
 */
export function sixtyStatementBlock(count = 60, first = '1.0'): string {
  const lines = [
    `input  x = [[${first}, 2.0, -1.0, 0.5], [0.3, -0.7, 1.5, 2.0]]`,
    'param  W = randn(4, 4, seed=1)',
    'target y = [0, 3]',
  ];
  const hidden = count - lines.length - 2; // minus P and the loss
  let previous = 'x';
  for (let i = 1; i <= hidden; i++) {
    lines.push(`h${i} = tanh(${previous} @ W)`);
    previous = `h${i}`;
  }
  lines.push(`P = softmax(${previous})`, 'loss L = cross_entropy(P, y)');
  return lines.join('\n') + '\n';
}
