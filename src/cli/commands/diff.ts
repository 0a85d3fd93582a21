import { analyzePair, type AnalysisSide } from '../../core/report/analysis';
import { CompareError } from '../../core/util/errors';
import { loadImages, markPhase, type LoadOptions } from '../../core/sources/loader';
import { evaluateGate, parseGateKinds, parseSizeLimit } from '../../core/report/report';
import { readSnapshotRef } from '../../core/report/snapshot';
import { renderMarkdown, renderText } from '../format';
import { EXIT_DIFFERENT, EXIT_SAME, IGNORE_FINDING_HELP, need, parseCount, parseFindingFilters, type Command, type OptionsConfig } from './command';
import { inertJson } from '../../core/util/inert';

const options = {
  json: { type: 'boolean' },
  markdown: { type: 'boolean' },
  ignore: { type: 'string', multiple: true },
  'ignore-finding': { type: 'string', multiple: true },
  'fail-on': { type: 'string' },
  'max-changes': { type: 'string' },
  'max-size-change': { type: 'string' },
} satisfies OptionsConfig;

export const diffCommand: Command<typeof options> = {
  name: 'diff',
  usage: [
    '  container-compare diff A B [--json | --markdown] [--ignore GLOB]... [--ignore-finding CODE[:GLOB]]...',
    '                             [--fail-on KINDS] [--max-changes N] [--max-size-change SIZE|PCT]',
  ],
  help: {
    lines: [
      "  --ignore GLOB       leave matching paths out, e.g. '/var/log/**' (repeatable)",
      ...IGNORE_FINDING_HELP,
      '  --fail-on KINDS     count only these differences: any, layers, files, config, added, removed,',
      '                      modified, content, lineEndings, mode, owner, symlink, type, and (only when named)',
      '                      packages, base, secrets (new in B), leftovers (new in B), timestamps (layers',
      '                      with the same content and other timestamps, not counted otherwise) (comma-separated)',
      '  --max-changes N     exit 0 while at most N counted differences (default 0)',
      '  --max-size-change SIZE|PCT  fail when the image size moves more than SIZE (10M) or PCT (5%) either way;',
      '                      alone (without --fail-on/--max-changes) only the size is gated',
    ],
  },
  options,
  async run({ io, cache, progress, signal, load, fetchLayers }, args, values) {
    need(args, 2, 'diff A B');
    if (values.json && values.markdown) throw new CompareError('badArgument', 'Choose one of --json and --markdown');
    const failOn = values['fail-on'] ? parseGateKinds(values['fail-on']) : undefined;
    const maxChanges = values['max-changes'] === undefined ? 0 : parseCount(values['max-changes'], '--max-changes');
    const maxSizeChange = values['max-size-change'] === undefined ? undefined : parseSizeLimit(values['max-size-change']);
    const ignoreFindings = parseFindingFilters(values['ignore-finding']);
    const [a, b] = await loadSides(args, load);
    progress.update({ message: 'Comparing' });
    const { report } = await analyzePair(a, b, { cache, ignore: values.ignore, ignoreFindings, signal, fetchLayers: (side, d) => fetchLayers(args[side === 'a' ? 0 : 1], d) });
    // --max-size-change alone gates the size only; with --fail-on or --max-changes, both.
    const countChanges = !(maxSizeChange && failOn === undefined && values['max-changes'] === undefined);
    const gate = evaluateGate(report, failOn, maxChanges, { maxSizeChange, countChanges });
    progress.done();
    markPhase('analysed');
    io.stdout.write(values.json ? inertJson({ ...report, gate }) + '\n' : values.markdown ? renderMarkdown(report, gate) : renderText(report, gate));
    markPhase('written');
    return gate.fail ? EXIT_DIFFERENT : EXIT_SAME;
  },
};

/** Each reference as an image to load, or a snapshot file (detected by its content) to compare without one. */
async function loadSides(refs: readonly string[], load: LoadOptions): Promise<AnalysisSide[]> {
  const snapshots = await Promise.all(refs.map((r) => readSnapshotRef(r)));
  const images = refs.filter((_, i) => !snapshots[i]);
  const models = images.length ? await loadImages(images, load) : [];
  let next = 0;
  return refs.map((file, i) => {
    const snapshot = snapshots[i];
    return snapshot ? { snapshot, file } : { model: models[next++] };
  });
}
