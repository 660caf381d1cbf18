/**
 * LaTeX → plain Unicode text, for the terminal: `\frac{\partial L}{\partial W_{1}}` → `∂L/∂W1`,
 * `H_{1}^\top \delta_{2}` → `H1ᵀ δ2`, `\bar{Z}_{2}` → `Z̄2`. It knows the commands the ops and
 * the explainer write; an unknown command prints as its name.
 */

const symbols: Record<string, string> = {
  odot: '⊙',
  oslash: '⊘',
  otimes: '⊗',
  cdot: '·',
  times: '×',
  sum: 'Σ',
  prod: 'Π',
  partial: '∂',
  top: 'ᵀ',
  infty: '∞',
  le: '≤',
  leq: '≤',
  ge: '≥',
  geq: '≥',
  ne: '≠',
  neq: '≠',
  approx: '≈',
  cdots: '⋯',
  ldots: '…',
  dots: '…',
  vdots: '⋮',
  ddots: '⋱',
  quad: '  ',
  qquad: '    ',
  to: '→',
  in: '∈',
  mid: '|',
  lvert: '|',
  rvert: '|',
  lfloor: '⌊',
  rfloor: '⌋',
  alpha: 'α',
  beta: 'β',
  gamma: 'γ',
  delta: 'δ',
  epsilon: 'ε',
  varepsilon: 'ε',
  zeta: 'ζ',
  eta: 'η',
  theta: 'θ',
  vartheta: 'ϑ',
  iota: 'ι',
  kappa: 'κ',
  lambda: 'λ',
  mu: 'μ',
  nu: 'ν',
  xi: 'ξ',
  pi: 'π',
  rho: 'ρ',
  sigma: 'σ',
  tau: 'τ',
  upsilon: 'υ',
  phi: 'ϕ',
  varphi: 'φ',
  chi: 'χ',
  psi: 'ψ',
  omega: 'ω',
  Gamma: 'Γ',
  Delta: 'Δ',
  Theta: 'Θ',
  Lambda: 'Λ',
  Xi: 'Ξ',
  Pi: 'Π',
  Sigma: 'Σ',
  Upsilon: 'Υ',
  Phi: 'Φ',
  Psi: 'Ψ',
  Omega: 'Ω',
};

/** Commands that print nothing (spacing and style switches). */
const silent = new Set([
  'textstyle',
  'displaystyle',
  'scriptstyle',
  'left',
  'right',
  'big',
  'Big',
  'bigl',
  'bigr',
  'Bigl',
  'Bigr',
  '!',
  'limits',
]);

const superDigits: Record<string, string> = {
  '0': '⁰',
  '1': '¹',
  '2': '²',
  '3': '³',
  '4': '⁴',
  '5': '⁵',
  '6': '⁶',
  '7': '⁷',
  '8': '⁸',
  '9': '⁹',
  '-': '⁻',
  '+': '⁺',
};

const accents: Record<string, string> = {
  bar: '\u0304',
  overline: '\u0305',
  hat: '\u0302',
  widehat: '\u0302',
  tilde: '\u0303',
  widetilde: '\u0303',
  dot: '\u0307',
  vec: '\u20d7',
};

export function latexToText(latex: string): string {
  const p = new Parser(latex);
  return p
    .sequence(false)
    .replace(/[ \t]+/g, ' ')
    .replace(/ ([,;)\]])/g, '$1')
    .replace(/([([]) /g, '$1')
    .trim();
}

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  /** Reads until the end, or until a closing `}` when `inGroup`. */
  sequence(inGroup: boolean): string {
    let out = '';
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === '}') {
        if (inGroup) {
          this.i++;
          return out;
        }
        this.i++;
        continue;
      }
      out += this.atom(out);
    }
    return out;
  }

  /** One group `{…}` or one atom, as text. */
  private argument(): string {
    this.skipSpaces();
    if (this.s[this.i] === '{') {
      this.i++;
      return this.sequence(true);
    }
    return this.atom('');
  }

  private skipSpaces(): void {
    while (this.s[this.i] === ' ') this.i++;
  }

  private atom(before: string): string {
    const c = this.s[this.i];
    if (c === '{') {
      this.i++;
      const group = this.sequence(true);
      // `{S \odot S}_{ij}`: a group with a script is one thing, so brackets keep it together.
      const next = this.s[this.i];
      return (next === '_' || next === '^') && /\s/.test(group.trim())
        ? `(${group.trim()})`
        : group;
    }
    if (c === '_') {
      this.i++;
      const sub = this.argument();
      if (/^[0-9,]+$/.test(sub) || sub === '') return sub;
      if (/\s/.test(before.slice(-1))) return sub;
      return sub.length === 1 || /^[A-Za-z0-9]+$/.test(sub) ? `_${sub}` : `_(${sub})`;
    }
    if (c === '^') {
      this.i++;
      const sup = this.argument().trim();
      if (sup === 'ᵀ' || sup === 'T') return 'ᵀ';
      if (sup.length > 0 && [...sup].every((d) => superDigits[d])) {
        return [...sup].map((d) => superDigits[d]).join('');
      }
      return sup.length === 1 ? `^${sup}` : `^(${sup})`;
    }
    if (c === '~') {
      this.i++;
      return ' ';
    }
    if (c === '&') {
      this.i++;
      return ' ';
    }
    if (c === '\\') return this.command();
    this.i++;
    return c;
  }

  private command(): string {
    this.i++; // the backslash
    const rest = this.s.slice(this.i);
    const word = /^[A-Za-z]+/.exec(rest);
    if (!word) {
      // \, \; \: \! \  \\ \{ \} \_ \|
      const ch = this.s[this.i++] ?? '';
      if (ch === ',' || ch === ';' || ch === ':' || ch === ' ') return ' ';
      if (ch === '!') return '';
      if (ch === '\\') return '\n';
      return ch;
    }
    const name = word[0];
    this.i += name.length;
    if (name === 'frac' || name === 'dfrac' || name === 'tfrac') {
      const num = this.argument().trim();
      const den = this.argument().trim();
      const frac = `${wrapFraction(num)}/${wrapFraction(den)}`;
      // A coefficient (1/N) is bracketed so that what follows reads as multiplied, not divided.
      return num.startsWith('∂') ? frac : `(${frac})`;
    }
    if (name === 'sqrt') return `√(${this.argument().trim()})`;
    if (name === 'mathbb' || name === 'mathbf' || name === 'boldsymbol') {
      const inner = this.argument();
      if (inner === '1') return name === 'mathbb' ? '𝟙' : '𝟏';
      return inner;
    }
    if (
      [
        'mathrm',
        'text',
        'textrm',
        'mathit',
        'operatorname',
        'mathsf',
        'mathtt',
        'texttt',
        'mathcal',
      ].includes(name)
    ) {
      return this.argument();
    }
    if (accents[name]) {
      const inner = this.argument();
      if ([...inner].length === 1) return inner + accents[name];
      return `${name === 'hat' || name === 'widehat' ? 'hat' : name === 'tilde' ? 'tilde' : 'bar'}(${inner})`;
    }
    if (name === 'begin' || name === 'end') {
      this.argument();
      return name === 'begin' ? '[' : ']';
    }
    if (silent.has(name)) return '';
    if (symbols[name] !== undefined) {
      const sym = symbols[name];
      if (name === 'partial') this.skipSpaces();
      return sym;
    }
    // \max, \log, \exp, \tanh, \ln …: the operator's name.
    return name;
  }
}

/** `a/b` needs parentheses around a side that is more than one term. */
function wrapFraction(x: string): string {
  const t = x.trim();
  if (/^\(.*\)$/.test(t) || !hasTopLevel(t, /[\s+\-·⊙/]/)) return t;
  return `(${t})`;
}

/** True when a character matching `re` occurs outside every bracket of `t`. */
function hasTopLevel(t: string, re: RegExp): boolean {
  let depth = 0;
  for (const c of t) {
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (depth === 0 && re.test(c)) return true;
  }
  return false;
}
