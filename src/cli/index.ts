import { run } from './main';

// The one place that exits: the engine and run() only return codes.
const controller = new AbortController();
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    controller.abort();
  });
}
run(process.argv.slice(2), undefined, controller.signal).then((code) => {
  process.exitCode = code;
});
