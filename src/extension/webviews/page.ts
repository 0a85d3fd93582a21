import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

/**
 * The page every panel of ours is: a strict CSP (no inline script or style
 * anywhere; scripts by nonce, styles, fonts and images only from the
 * extension), the panel's stylesheet from media/, its built script from
 * dist/webview/, and its static body. The body carries no data: the page
 * asks for it with `ready`, and inserts text as text.
 */
export function webviewPage(webview: vscode.Webview, extensionUri: vscode.Uri, page: { title: string; script: string; css: string; body: string }): string {
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', page.script));
  const css = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', page.css));
  const csp = `default-src 'none'; script-src 'nonce-${nonce}'; style-src ${webview.cspSource}; font-src ${webview.cspSource}; img-src ${webview.cspSource}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${css}">
<title>${page.title}</title>
</head>
<body>
${page.body}
<script type="module" nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
