import type { Command } from './command';
import { catCommand } from './cat';
import { diffCommand } from './diff';
import { layersCommand } from './layers';
import { lsCommand } from './ls';
import { runCommand } from './run';
import { snapshotCommand } from './snapshot';

/** Every subcommand of the CLI, in the order --help lists them. */
export const COMMANDS: readonly Command[] = [diffCommand, snapshotCommand, layersCommand, lsCommand, catCommand, runCommand];
