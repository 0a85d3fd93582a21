import { exitGuard, run } from './main';

// The one place that exits: the engine and run() only return codes.
const controller = new AbortController();
let interrupts = 0;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    interrupts++;
    if (interrupts === 1) {
      controller.abort();
      return;
    }
    // `run` is removing its containers: quitting now would leave them behind.
    if (interrupts === 2 && exitGuard.active > 0) {
      process.stderr.write('container-compare: removing the containers of this run first (interrupt again to quit now; the next run removes what is left)\n');
      return;
    }
    process.exit(130);
  });
}
run(process.argv.slice(2), undefined, controller.signal).then((code) => {
  process.exitCode = code;
});
