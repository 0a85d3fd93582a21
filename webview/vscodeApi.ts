/** What VS Code gives a page: messages to the host, and state it keeps while the page is hidden. */
export interface VsCodeApi<Message, State> {
  postMessage(m: Message): void;
  getState(): State | undefined;
  setState(s: State): void;
}

declare function acquireVsCodeApi(): unknown;

/** The page's one handle on VS Code (it may be acquired once per page), typed by what this page sends and keeps. */
export function vsCodeApi<Message, State>(): VsCodeApi<Message, State> {
  return acquireVsCodeApi() as VsCodeApi<Message, State>;
}
