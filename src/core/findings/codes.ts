/**
 * The codes of the static findings (the run's are in run/codes.ts). Each
 * rule cites its codes from here; the README's list is generated from it.
 */
import { RUN_CODES } from '../run/codes';
import type { FindingCode } from '../util/codes';

const code = <K extends string>(all: Record<K, FindingCode>) => all;

export const CODES = code({
  // ---------------------------------------------------------------- build steps
  stepDidNothing: {
    code: 'CC101',
    name: 'A step wrote nothing on one side',
    means: 'The same Dockerfile step wrote files in one image and nothing in the other (the engine recorded an empty layer, or a layer with nothing of its own): the command failed, and something hid the failure.',
    ranks: 'With error findings: it is a cause, and every file the step would have written is missing downstream.',
    fix: 'Look at what the step runs or reads that differs (an execute bit, line endings, a missing file), and stop hiding failures: no `|| true` / `|| echo`, `set -e` in scripts.',
  },
  crlfScript: {
    code: 'CC102',
    name: 'A CRLF script made a step do different work',
    means: 'A script with CRLF line endings on one side is run by a later RUN step, and that step (the same Dockerfile line on both sides) made a different layer.',
    ranks: 'Among the first: a cause with its effect seen in the image.',
    fix: 'Store scripts with LF (`*.sh text eol=lf` in .gitattributes) and start them with `set -e`.',
  },
  sameStepDifferentResult: {
    code: 'CC103',
    name: 'The same step did different work',
    means: 'The same Dockerfile RUN line produced a layer with other files: what it ran on differed, or a command in it failed quietly.',
    ranks: 'A cause one level down; lower when the base image differs too, since a new base alone changes what steps do.',
    fix: 'Compare the step\'s inputs (files copied before it, the package mirror, the network) and make failures fail the build.',
  },
  stepNoise: {
    code: 'CC104',
    name: 'A step rewrote only logs and caches',
    means: 'The same RUN line wrote other bytes only where every build differs (logs, caches, compiled bytecode).',
    ranks: 'Near the bottom: noise.',
    fix: 'Nothing to fix; clean caches in the same step to make layers smaller and steadier.',
  },
  instruction: {
    code: 'CC105',
    name: 'The Dockerfile line differs',
    means: 'The step that made this layer is another line in each Dockerfile, so the layer differs by intent.',
    ranks: 'Below causes: an intended change.',
    fix: 'Nothing, if the change was meant.',
  },
  layerOnlyOne: {
    code: 'CC106',
    name: 'A step only one image has',
    means: 'One image has a layer from a step the other image\'s history does not have at all.',
    ranks: 'Low: the Dockerfiles differ.',
    fix: 'Nothing, if the Dockerfiles are meant to differ.',
  },
  base: {
    code: 'CC107',
    name: 'The base image differs',
    means: 'Layers of the FROM image differ: the tag moved to another build, or another base was used.',
    ranks: 'Above the steps built on it, which it can explain.',
    fix: 'Pin the base by digest (`FROM image@sha256:…`).',
  },
  builder: {
    code: 'CC108',
    name: 'Built with different builders',
    means: 'One image was built with BuildKit, the other with the classic builder.',
    ranks: 'Low: it explains small differences (directory entries, history wording).',
    fix: 'Build both the same way.',
  },
  contextFile: {
    code: 'CC109',
    name: 'The build context differs',
    means: 'A COPY or ADD step (the same line on both sides) copied files into one image that the other image\'s build context did not have, or copied other versions.',
    ranks: 'A warning when what is missing is configuration, a script or a program; the start or a run naming the file makes it the cause.',
    fix: 'Check .dockerignore, .gitignore and the checkout the build ran on: the context is whatever was on disk.',
  },

  // ---------------------------------------------------------------- files
  startMissing: {
    code: 'CC201',
    name: 'The start command names a missing file',
    means: 'The ENTRYPOINT or CMD runs a file that exists only in the other image, so the container cannot start.',
    ranks: 'An error; when a cause explains why the file is missing, it is said there instead.',
    fix: 'Find the step that should have written it (the finding names it when it can).',
  },
  startCrlf: {
    code: 'CC202',
    name: 'The start script has CRLF line endings',
    means: 'The ENTRYPOINT or CMD runs a script whose #! line ends in CR on one side: the kernel looks for "/bin/sh\\r", and the container fails with "no such file or directory".',
    ranks: 'An error: the container cannot start.',
    fix: 'Store the script with LF (`*.sh text eol=lf` in .gitattributes).',
  },
  startScriptCrlf: {
    code: 'CC203',
    name: 'A script the start command interprets has CRLF line endings',
    means: 'The start command hands a script to an interpreter, which keeps the \\r at the end of every line.',
    ranks: 'A warning: commands fail or get arguments ending in \\r.',
    fix: 'Store the script with LF.',
  },
  startNotExecutable: {
    code: 'CC204',
    name: 'The start program is not executable',
    means: 'The ENTRYPOINT or CMD runs a file directly that lost its execute bit on one side.',
    ranks: 'An error: the container fails with "permission denied".',
    fix: 'Set the mode in the Dockerfile (`COPY --chmod=0755`, `RUN chmod +x`) rather than relying on the checkout.',
  },
  unreadable: {
    code: 'CC205',
    name: 'A file the image\'s user cannot read',
    means: 'The image runs as a non-root user, and on one side a file has a mode or owner that user cannot read (it can on the other side).',
    ranks: 'An error for configuration or files the start command names, a warning otherwise; a run that logs "Permission denied" for it links here.',
    fix: 'Give the file a mode the user can read (`COPY --chmod=0644`, `--chown=USER`), or check the umask of the checkout.',
  },
  lineEndings: {
    code: 'CC206',
    name: 'CRLF line endings',
    means: 'Text files that are equal but for CRLF line endings on one side.',
    ranks: 'A warning for scripts and configuration (a \\r at the end of values), info for other text.',
    fix: '`* text eol=lf` in .gitattributes, or `core.autocrlf=input` on Windows.',
  },
  execLost: {
    code: 'CC207',
    name: 'A program lost its execute bit',
    means: 'A script or program that something runs directly is not executable on one side.',
    ranks: 'A warning: running it fails with "permission denied".',
    fix: 'Set the mode in the Dockerfile (`COPY --chmod=0755`, `RUN chmod +x`).',
  },
  setuid: {
    code: 'CC208',
    name: 'setuid or setgid gained',
    means: 'A program runs with its owner\'s privileges on one side only.',
    ranks: 'A warning: a privilege change worth a review.',
    fix: 'Remove the bit unless it is meant (`chmod u-s,g-s`).',
  },
  worldWritable: {
    code: 'CC209',
    name: 'World-writable gained',
    means: 'Any user in the container can change the file on one side only.',
    ranks: 'A warning.',
    fix: 'Set a mode without write for others; check the build context\'s umask.',
  },
  mode: {
    code: 'CC210',
    name: 'Other permission bits',
    means: 'Only permission bits differ, in a way that does not change who may run or read the files (0755 against 0644 on files run through an interpreter, for example).',
    ranks: 'Info: usually a build context from Windows.',
    fix: 'Nothing, unless a later finding says otherwise.',
  },
  owner: {
    code: 'CC211',
    name: 'Another owner',
    means: 'Files owned by another user or group on one side.',
    ranks: 'A warning: a process running as a user may no longer read or write them.',
    fix: 'COPY --chown, or the USER in effect when the step ran.',
  },
  symlink: {
    code: 'CC212',
    name: 'A link points elsewhere',
    means: 'A symbolic link has another target on each side.',
    ranks: 'A warning: whatever follows it reads other files.',
    fix: 'Check the step that makes the link.',
  },
  entryType: {
    code: 'CC213',
    name: 'Another kind of entry',
    means: 'A path is a file on one side and a directory or link on the other (or the like).',
    ranks: 'A warning.',
    fix: 'Check the step that writes the path.',
  },
  content: {
    code: 'CC214',
    name: 'Other content',
    means: 'Files whose bytes differ, not explained by a finding above.',
    ranks: 'Info: what differs without a better explanation.',
    fix: 'Open the diff of the files named.',
  },
  filesOnlyOne: {
    code: 'CC215',
    name: 'Files in one image only',
    means: 'Files present in one image only, not explained by a finding above.',
    ranks: 'Info.',
    fix: 'Open the files named.',
  },

  // ---------------------------------------------------------------- config
  platform: {
    code: 'CC301',
    name: 'Another platform',
    means: 'The images are built for another OS or CPU architecture.',
    ranks: 'First of the static findings: every binary differs because of it.',
    fix: 'Build or pull both for the same `--platform`.',
  },
  startCommand: {
    code: 'CC302',
    name: 'Another start command',
    means: 'ENTRYPOINT or CMD differ.',
    ranks: 'A warning: the container starts another program or passes other arguments.',
    fix: 'Nothing, if meant.',
  },
  user: {
    code: 'CC303',
    name: 'Another user',
    means: 'The images run as different users.',
    ranks: 'A warning: it changes what the process may read and write.',
    fix: 'Nothing, if meant; check file owners against it.',
  },
  configField: {
    code: 'CC304',
    name: 'Another config setting',
    means: 'WORKDIR, exposed ports, volumes, the stop signal or the health check differ.',
    ranks: 'Info.',
    fix: 'Nothing, if meant.',
  },
  env: {
    code: 'CC305',
    name: 'Other environment variables',
    means: 'Environment variables differ (names only are shown; values may be credentials).',
    ranks: 'Info.',
    fix: 'Nothing, if meant.',
  },
  labels: {
    code: 'CC306',
    name: 'Other labels',
    means: 'Image labels differ.',
    ranks: 'Near the bottom: metadata only.',
    fix: 'Nothing.',
  },

  // ---------------------------------------------------------------- packages
  securityDowngrade: {
    code: 'CC401',
    name: 'A security-relevant package went back',
    means: 'A package that matters for security (TLS, libc, SSH, certificates, runtimes) is older on the B side.',
    ranks: 'A warning: fixes of the newer version are gone.',
    fix: 'Check where B gets it from: a stale mirror, a pin, a cached layer.',
  },
  securityChange: {
    code: 'CC402',
    name: 'A security-relevant package changed',
    means: 'A package that matters for security was upgraded, removed or added.',
    ranks: 'A warning when removed, info otherwise: expected drift, but it matters.',
    fix: 'Pin versions or the base digest for repeatable builds.',
  },
  downgrades: {
    code: 'CC403',
    name: 'Packages went back',
    means: 'Packages are older on the B side.',
    ranks: 'A warning.',
    fix: 'Check the package mirror and pins.',
  },
  packageDrift: {
    code: 'CC404',
    name: 'Packages differ',
    means: 'Packages installed in one image only, or upgraded.',
    ranks: 'Info: drift.',
    fix: 'Pin versions or the base digest for repeatable builds.',
  },

  // ---------------------------------------------------------------- secrets and leftovers
  secretNew: {
    code: 'CC501',
    name: 'A secret new in B',
    means: 'B ships a credential (a key, a token, a password) that A does not.',
    ranks: 'An error: a leak the new build introduced (a library\'s test fixture is info).',
    fix: 'Remove it from the build (a secret mount, a multi-stage build) and rotate it.',
  },
  secretKept: {
    code: 'CC502',
    name: 'A secret in both',
    means: 'Both images ship the same credential.',
    ranks: 'An error: still a leak, not new.',
    fix: 'Remove it from the build and rotate it.',
  },
  secretGone: {
    code: 'CC503',
    name: 'A secret only A ships',
    means: 'A ships a credential B no longer does.',
    ranks: 'A warning: fixed in B, but A still leaks it.',
    fix: 'Rotate it: whoever pulled A can read it.',
  },
  leftoverNew: {
    code: 'CC504',
    name: 'Files that should not ship, new in B',
    means: 'Shell history, version control, environment files and the like that B ships and A does not.',
    ranks: 'A warning.',
    fix: 'Add them to .dockerignore, or delete them in the step that makes them.',
  },
  leftoverKnown: {
    code: 'CC505',
    name: 'Files that should not ship, known',
    means: 'Leftovers both images ship, or that only A ships.',
    ranks: 'Info.',
    fix: 'Add them to .dockerignore.',
  },
});

export type CodeName = keyof typeof CODES;

/** Every code, static and run, by its CC number: what a view shows beside a finding ("About CC102"). */
export function codeInfo(code: string): FindingCode | undefined {
  return BY_CODE.get(code);
}

const BY_CODE = new Map<string, FindingCode>([...Object.values(CODES), ...Object.values(RUN_CODES)].map((c) => [c.code, c]));
