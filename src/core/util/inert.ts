/**
 * The one rule for every output: text that comes from images, configs,
 * registries and containers (file names, link targets, history, labels, a
 * registry's error body, a container's log) is made inert before it is
 * printed or written. A terminal acts on C0 controls (ESC starts a sequence
 * that retitles the window or rewrites the screen), on C1 controls (0x9b is a
 * one-byte CSI for some terminals), and reorders text at bidi overrides and
 * isolates; a newline, a carriage return or a line separator in a file name
 * would fake a line of the report. Each such character is shown as an escape
 * instead: `\x1b`, `\x9b`, `\u{202e}`.
 *
 * Every output format calls these: the CLI's text, Markdown and JSON, the
 * snapshot file, error messages, the extension's notifications and tree
 * items. The run panel's webview has its own rendering (caret notation) as it
 * cannot import the engine.
 */

// C0 controls but the tab, DEL, C1 controls, the Arabic letter mark, LRM/RLM,
// bidi embeddings and overrides (U+202A-U+202E) and isolates (U+2066-U+2069),
// line and paragraph separators.
const UNSAFE_LINE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// The same, keeping the line feed: for a whole rendered document whose lines were made inert one by one.
const UNSAFE_TEXT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// What JSON.stringify leaves raw inside strings (it escapes C0 itself).
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escape = (c: string): string => {
  const n = c.charCodeAt(0);
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u{${n.toString(16)}}`;
};

/** One line of text: every character a terminal would act on (line breaks included; tabs kept) shown as an escape. */
export function inert(text: string): string {
  return text.replace(UNSAFE_LINE, escape);
}

/** A name (a path in an image, a link target, a tag): inert, and a tab shown as `\x09` too, as it would read as a space. */
export function inertName(name: string): string {
  return inert(name).replace(/\t/g, '\\x09');
}

/**
 * A whole document whose lines were built from inert() pieces: line feeds
 * are kept, anything else a terminal acts on is escaped. A safety net, not a
 * substitute for inert() on each piece (it cannot tell a fake line from a real one).
 */
export function inertText(text: string): string {
  return text.replace(UNSAFE_TEXT, escape);
}

/**
 * JSON text with the characters a terminal acts on escaped as \uXXXX, even
 * inside strings. Still valid JSON with the same data: raw C1, bidi and
 * separator characters can only occur inside strings.
 */
export function inertJsonText(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** JSON.stringify (indented) made inert: what `--json`, snapshots and exported reports write. */
export function inertJson(value: unknown, indent = 2): string {
  return inertJsonText(JSON.stringify(value, null, indent));
}

// GFM: what would start a table cell, emphasis, a code span, a link or HTML inline.
const MARKDOWN_INLINE = /[|\\`*_[\]<>]/g;
// Everything Markdown could read as markup, block markers included (VS Code's MarkdownString, at a paragraph's start).
const MARKDOWN_ANY = /[\\`*_{}[\]()#+\-.!|<>~]/g;

/**
 * Text inside a Markdown document (a table cell, a list item): inert, and no
 * markup of its own. `strict` also escapes block markers (`#`, `-`, `1.`),
 * for text that may start a paragraph.
 */
export function inertMarkdown(text: string, strict = false): string {
  return inert(text).replace(strict ? MARKDOWN_ANY : MARKDOWN_INLINE, (c) => `\\${c}`);
}

/** A Markdown code span of `text` (a path, a command): inert, no backtick or table break of its own. */
export function inertCode(text: string): string {
  return `\`${inert(text).replace(/`/g, "'").replace(/\|/g, '\\|')}\``;
}

/** A sentence with its `quoted commands` as code spans and everything else escaped. */
export function inertMarkdownInline(text: string): string {
  const parts = text.split('`');
  // An odd number of backticks (one in a path): no code spans, escape it all.
  if (parts.length % 2 === 0) return inertMarkdown(text);
  return parts.map((p, i) => (i % 2 ? `\`${inert(p)}\`` : inertMarkdown(p))).join('');
}
