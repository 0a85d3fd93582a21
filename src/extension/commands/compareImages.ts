import * as vscode from 'vscode';
import type { CurrentComparison } from '../comparisonSession';
import { reportError } from '../notify';
import type { Command, Services } from '../services';
import { pickImage } from './imagePicker';

/**
 * Compare Images: two pickers (A, then B), or two references as arguments
 * (from other commands and tests). Shows the result in the Comparison view.
 */
export const compareImages: Command = {
  id: 'containerCompare.compareImages',
  async run(s, refA?: unknown, refB?: unknown): Promise<CurrentComparison | undefined> {
    const a = typeof refA === 'string' ? refA : await pickImage(s, 'Compare Images: A (the one that works)', 1, 'Pick image A, or type a reference: name:tag, oci:DIR, docker-archive:PATH');
    if (!a) return undefined;
    const b = typeof refB === 'string' ? refB : await pickImage(s, `Compare Images: B, to compare with ${a}`, 2, 'Pick image B, or type a reference');
    if (!b) return undefined;
    return runCompare(s, a, b);
  },
};

/** Compares, reveals the result, and reports failures with a Retry. */
export async function runCompare(s: Services, a: string, b: string): Promise<CurrentComparison | undefined> {
  try {
    const result = await s.session.compare(a, b);
    s.images.addOpened(result.comparison.a);
    s.images.addOpened(result.comparison.b);
    // The Comparison view shows only once there is a comparison: make sure it is there before focusing it.
    await vscode.commands.executeCommand('setContext', 'containerCompare.hasComparison', true);
    await vscode.commands.executeCommand('containerCompare.comparison.focus');
    return result;
  } catch (e) {
    void reportError(s.log, `Comparing ${a} and ${b}`, e, () => runCompare(s, a, b));
    return undefined;
  }
}
