/** The explain layer's public surface: the Explanation type and its builders. */
export * from './explanation';
export { ExplainError, type ExplainOptions, explainBlock, explainError } from './build';
export { nameLatex, compactNumber, numberLatex } from './latex';
