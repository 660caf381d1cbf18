/**
 * Hovers over tensor names in a note's ```model blocks (and `.model` files): shape, role, the
 * statement that defined the tensor, its values as a small table and its gradient, from the
 * live insights of the document's current text.
 */
import * as vscode from 'vscode';
import { hoverAt } from '../editor-insights/lookup';
import { noteSelector } from './ids';
import type { LiveInsights } from './live-insights';

const namePattern = /[A-Za-z_][A-Za-z0-9_]*/;

export function registerHovers(live: LiveInsights): vscode.Disposable {
  return vscode.languages.registerHoverProvider(noteSelector, {
    async provideHover(document, position, token) {
      const word = document.getWordRangeAtPosition(position, namePattern);
      if (!word) return undefined;
      // A hover right after typing waits for the answer to the current text.
      const insights = await live.current(document);
      if (!insights || token.isCancellationRequested) return undefined;
      const entry = hoverAt(insights.blocks, position.line, document.getText(word));
      if (!entry) return undefined;
      // The note's text is in it (comments, the statement as written): no HTML, no command
      // links, no $(icon) syntax; hovers.ts escapes the comment and fences the statement.
      const markdown = new vscode.MarkdownString(entry.markdown, false);
      markdown.isTrusted = false;
      markdown.supportHtml = false;
      return new vscode.Hover(markdown, word);
    },
  });
}
