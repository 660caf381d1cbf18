/**
 * LaTeX for names, numbers and composed expressions, as the Explanation writes them.
 */

const greek = new Set([
  'alpha',
  'beta',
  'gamma',
  'delta',
  'epsilon',
  'varepsilon',
  'zeta',
  'eta',
  'theta',
  'vartheta',
  'iota',
  'kappa',
  'lambda',
  'mu',
  'nu',
  'xi',
  'pi',
  'rho',
  'sigma',
  'tau',
  'upsilon',
  'phi',
  'varphi',
  'chi',
  'psi',
  'omega',
  'Gamma',
  'Delta',
  'Theta',
  'Lambda',
  'Xi',
  'Pi',
  'Sigma',
  'Upsilon',
  'Phi',
  'Psi',
  'Omega',
]);

const accents: Record<string, string> = {
  hat: '\\hat',
  bar: '\\bar',
  tilde: '\\tilde',
  dot: '\\dot',
  vec: '\\vec',
};

/** One word of a name as LaTeX: a letter as is, a Greek name as its letter, else upright. */
function word(w: string): string {
  if (/^[A-Za-z]$/.test(w) || /^\d+$/.test(w)) return w;
  if (greek.has(w)) return `\\${w}`;
  return `\\mathrm{${w.replace(/_/g, '\\_')}}`;
}

/**
 * A user's name as LaTeX: `W1` → `W_{1}`, `delta` → `\delta`, `W_out` → `W_{\mathrm{out}}`,
 * `y_hat` → `\hat{y}`, `dW1` → `\mathrm{dW}_{1}`, `x_1_2` → `x_{1,2}`, `logits` → `\mathrm{logits}`.
 */
export function nameLatex(name: string): string {
  const parts = name.split('_').filter((p) => p.length > 0);
  if (parts.length === 0) return `\\mathrm{${name.replace(/_/g, '\\_')}}`;
  const head = parts[0];
  const m = /^(.*?[A-Za-z])(\d+)$/.exec(head);
  const base = m ? m[1] : head;
  const subs: string[] = m ? [m[2]] : [];
  let accent: string | null = null;
  for (const p of parts.slice(1)) {
    if (accents[p] && accent === null && subs.length === 0) accent = accents[p];
    else subs.push(word(p));
  }
  let out = word(base);
  if (accent) out = `${accent}{${out}}`;
  return subs.length > 0 ? `${out}_{${subs.join(',')}}` : out;
}

/** A number as LaTeX, compactly: `2`, `0.5`, `1.5 \times 10^{-7}`. */
export function numberLatex(x: number, digits = 4): string {
  if (Number.isNaN(x)) return '\\text{NaN}';
  if (!Number.isFinite(x)) return x > 0 ? '\\infty' : '-\\infty';
  const s = compactNumber(x, digits);
  const e = s.indexOf('e');
  if (e < 0) return s;
  return `${s.slice(0, e)} \\times 10^{${Number(s.slice(e + 1))}}`;
}

/**
 * A number with `digits` significant digits and no trailing zeros: `0.1235`, `-2`, `1.5e-7`,
 * `1.235e+6`. Integers below 1e6 print exactly. Shared with the renderers.
 */
export function compactNumber(x: number, digits = 4): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return '0';
  const ax = Math.abs(x);
  if (Number.isInteger(x) && ax < 1e6) return String(x);
  if (ax >= 1e-4 && ax < 1e6) {
    const s = x.toPrecision(digits);
    return s.includes('e') ? String(Number(s)) : stripZeros(s);
  }
  const [mant, exp] = x.toExponential(digits - 1).split('e');
  return `${stripZeros(mant)}e${exp}`;
}

function stripZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/**
 * True when `s` has a `+` or `-` (or `=`) outside every bracket: such an expression needs
 * parentheses before it is multiplied or composed.
 */
export function hasTopLevelSum(s: string): boolean {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '{' || c === '(' || c === '[') depth++;
    else if (c === '}' || c === ')' || c === ']') depth--;
    else if (depth === 0 && (c === '+' || c === '-' || c === '=')) {
      // `\left(`/`\right)` are brackets too; a `-` right after `^{` is inside braces already.
      return true;
    }
  }
  return false;
}

/** Wraps in `\left( … \right)` when `s` is a sum or difference. */
export function wrapSum(s: string): string {
  return hasTopLevelSum(s) ? `\\left(${s}\\right)` : s;
}

/**
 * Wraps in `\left( … \right)` unless `s` is one atom (`\delta_{2}`, `\bar{H}_{1}`, `W^\top`):
 * an upstream gradient that is itself a product must stay one factor when a VJP rule multiplies
 * it (`(\bar{H} \odot \mathbb{1}[A > 0])\, W^\top`, not `\bar{H} \odot \mathbb{1}[A > 0]\, W^\top`).
 */
export function wrapFactor(s: string): string {
  const t = s.trim();
  let depth = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (c === '{' || c === '(' || c === '[') depth++;
    else if (c === '}' || c === ')' || c === ']') depth--;
    else if (
      depth === 0 &&
      (c === ' ' || c === '+' || c === '-' || c === '=' || (c === '\\' && t[i + 1] === ','))
    ) {
      return `\\left(${t}\\right)`;
    }
  }
  return t;
}

/** `\frac{\partial L}{\partial W_{1}}`. */
export function partial(of: string, wrt: string): string {
  return `\\frac{\\partial ${of}}{\\partial ${wrt}}`;
}

/**
 * How tightly an op's formula binds, for parenthesizing an unnamed operand inside another
 * formula: sums 1, products 2, unary minus 3, powers 4; every other op (relu(·), \frac,
 * softmax(·), a sum Σ …) counts as an atom.
 */
const childPrecedence: Record<string, number> = {
  add: 1,
  sub: 1,
  mul: 2,
  matmul: 2,
  neg: 3,
  pow: 4,
};

/**
 * The precedence an operand slot of `op` demands: an unnamed operand binding looser than this
 * is parenthesized. Function-like ops (arguments inside their own brackets) demand nothing.
 */
function slotPrecedence(op: string, argument: number): number {
  switch (op) {
    case 'add':
      return 1;
    case 'sub':
      return argument === 0 ? 1 : 2;
    case 'mul':
    case 'matmul':
      return 2;
    case 'neg':
      return 3;
    case 'pow':
      return argument === 0 ? 5 : 0;
    case 'transpose':
      return 5;
    default:
      // Ops that write their operand inside their own brackets need nothing; any other op
      // (an index form like `\sum_{i} x_{i}`, `\log x`) gets compound operands bracketed.
      return bracketing.has(op) ? 0 : 5;
  }
}

/** Ops whose formula puts the operand inside its own brackets, braces or superscript. */
const bracketing = new Set([
  'relu',
  'leaky_relu',
  'sigmoid',
  'tanh',
  'softplus',
  'gelu',
  'exp',
  'sqrt',
  'abs',
  'div',
  'softmax',
  'log_softmax',
  'logsumexp',
  'cross_entropy',
  'softmax_cross_entropy',
  'mse',
  'bce',
  'one_hot',
  'reshape',
]);

/** The LaTeX of an unnamed operand as it sits in slot `argument` of `parentOp`. */
export function operandLatex(
  childOp: string,
  childLatex: string,
  parentOp: string,
  argument: number,
): string {
  const child = childPrecedence[childOp] ?? 9;
  return child < slotPrecedence(parentOp, argument) ? `\\left(${childLatex}\\right)` : childLatex;
}

/**
 * The overbar form of the adjoint of a label: `\bar{H}_{1}` for `H_{1}`, `\overline{\mathrm{hidden}}`
 * for a multi-letter base.
 */
export function adjointLatex(label: string): string {
  const split = splitSubscript(label);
  const barred = /^[A-Za-z]$/.test(split.base)
    ? `\\bar{${split.base}}`
    : `\\overline{${split.base}}`;
  return split.sub === null ? barred : `${barred}_{${split.sub}}`;
}

/** Splits `W_{1}` into base `W` and subscript `1`; null subscript when there is none at the top level. */
export function splitSubscript(label: string): { base: string; sub: string | null } {
  let depth = 0;
  for (let i = 0; i < label.length; i++) {
    const c = label[i];
    if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (c === '_' && depth === 0 && label[i + 1] === '{' && label.endsWith('}')) {
      // The subscript must be the last group for the split to be faithful.
      const inner = label.slice(i + 2, -1);
      if (balanced(inner)) return { base: label.slice(0, i), sub: inner };
    }
  }
  return { base: label, sub: null };
}

function balanced(s: string): boolean {
  let depth = 0;
  for (const c of s) {
    if (c === '{') depth++;
    else if (c === '}' && --depth < 0) return false;
  }
  return depth === 0;
}
