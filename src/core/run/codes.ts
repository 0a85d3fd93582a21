/** The codes of what a side-by-side run finds (the static findings' are in findings/codes.ts). */
import type { FindingCode } from '../util/codes';
import type { RunFinding } from './runModel';

export const RUN_CODES: Record<RunFinding['kind'], FindingCode> = {
  startFailed: {
    code: 'CC601',
    name: 'A container did not start',
    means: 'The engine refused to start one container (its start command cannot run), or neither.',
    ranks: 'Among the first, right after the cause it is linked to: what a user hits first.',
    fix: 'Read the engine\'s message; the finding names the file or setting it points at when the images show one.',
  },
  exited: {
    code: 'CC602',
    name: 'A container stopped',
    means: 'One container exited during the startup window while the other kept running (or with another code).',
    ranks: 'Among the first, after its cause: what a user sees.',
    fix: 'Read its last output; the finding links what it names (a file, a user, a library) to the difference behind it, or says no cause was found.',
  },
  servedAsSource: {
    code: 'CC603',
    name: 'Source code served',
    means: 'One side answers an HTTP request with the script itself (PHP, ...) where the other runs it.',
    ranks: 'High: visible and dangerous (secrets in source).',
    fix: 'The handler (a module, FastCGI) is missing on that side: see the finding it links to.',
  },
  moduleOnlyOne: {
    code: 'CC604',
    name: 'A module loaded on one side only',
    means: 'Probes or the startup log show a module or component on one side only.',
    ranks: 'A warning: a symptom of what the images install.',
    fix: 'Find the step that installs or enables it (the finding links it when the files show it).',
  },
  httpStatus: {
    code: 'CC605',
    name: 'Another HTTP status',
    means: 'The same request gets another status, or no answer, on one side.',
    ranks: 'A symptom: ranked with what explains it.',
    fix: 'See the linked cause; a side that stopped cannot answer.',
  },
  port: {
    code: 'CC606',
    name: 'Listening elsewhere',
    means: 'A container listens on other TCP ports than the one published (read from /proc/net/tcp inside it).',
    ranks: 'A warning: the service is up, but nobody can reach it there.',
    fix: 'Publish the port it listens on, or make it listen on the published one (EXPOSE, its configuration).',
  },
  health: {
    code: 'CC607',
    name: 'Another health',
    means: 'The health checks disagree at the end of the startup window.',
    ranks: 'A symptom.',
    fix: 'Run the HEALTHCHECK command in both containers.',
  },
  restarts: {
    code: 'CC608',
    name: 'Restarts',
    means: 'The engine restarted one container more often.',
    ranks: 'A symptom.',
    fix: 'See why it stops (its log).',
  },
  probeDiffers: {
    code: 'CC609',
    name: 'A probe differs',
    means: 'A command run in both containers prints or ends differently.',
    ranks: 'A detail.',
    fix: 'Compare the probe outputs.',
  },
  httpHeader: {
    code: 'CC610',
    name: 'Other HTTP headers',
    means: 'The same request gets other headers.',
    ranks: 'A detail (a content type is a warning).',
    fix: 'Compare the server configurations.',
  },
  httpBody: {
    code: 'CC611',
    name: 'Another HTTP body',
    means: 'The same request gets another body, beyond what changes per run.',
    ranks: 'A detail.',
    fix: 'Compare the bodies.',
  },
  logOnlyOne: {
    code: 'CC612',
    name: 'Log lines on one side only',
    means: 'Startup log lines one side writes and the other never does (times, pids, ids and addresses masked).',
    ranks: 'A detail behind the symptoms above.',
    fix: 'Read them: they often name what is missing.',
  },
  logChanged: {
    code: 'CC613',
    name: 'Log lines that differ',
    means: 'Similar startup log lines with other words.',
    ranks: 'A detail.',
    fix: 'Read them.',
  },
};
