/** Explanation → text for a terminal, Markdown + LaTeX for notes, JSON for tools. */
export { type RenderOptions, type Renderable, type Section, allSections } from './common';
export { renderText } from './text';
export { type MarkdownOptions, renderMarkdown } from './markdown';
export { type JsonDocument, type JsonOptions, jsonDocument, renderJson } from './json';
export { latexToText } from './latex-text';
export { bmatrix, bytesText, matrixLines, shapeText } from './format';
