/**
 * Every rule, in the order they run: a rule may leave out what an earlier
 * one explains (context.ts), so the specific ones come first.
 */
import type { Rule } from './context';
import { baseImage } from './rules/base';
import { builder } from './rules/builder';
import { config } from './rules/config';
import { content } from './rules/content';
import { contextFile } from './rules/contextFile';
import { crlfScript } from './rules/crlfScript';
import { entrypoint } from './rules/entrypoint';
import { instruction } from './rules/instruction';
import { layerOnlyOne } from './rules/layerOnlyOne';
import { leftovers } from './rules/leftovers';
import { lineEndings } from './rules/lineEndings';
import { mode } from './rules/mode';
import { owner } from './rules/owner';
import { packages } from './rules/packages';
import { platform } from './rules/platform';
import { sameStep } from './rules/sameStep';
import { stepDidNothing } from './rules/stepDidNothing';
import { symlink } from './rules/symlink';
import { entryType } from './rules/type';
import { unreadable } from './rules/unreadable';

export const RULES: readonly Rule[] = [
  platform,
  entrypoint,
  stepDidNothing,
  crlfScript,
  sameStep,
  instruction,
  layerOnlyOne,
  baseImage,
  unreadable,
  contextFile,
  lineEndings,
  mode,
  owner,
  symlink,
  entryType,
  packages,
  config,
  builder,
  leftovers,
  content,
];
