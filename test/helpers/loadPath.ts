/**
 * Which way these integration tests load daemon images: the export, or the
 * fast path (the engine's layer store, directly or through a helper
 * container). DaemonClient reads CONTAINER_COMPARE_FAST_PATH itself, so every
 * test that loads through it runs on the path chosen here:
 *
 *   CONTAINER_COMPARE_FAST_PATH=off        npx mocha ...   the export
 *   CONTAINER_COMPARE_FAST_PATH=direct     npx mocha ...   the data root read directly (root, local engine)
 *   CONTAINER_COMPARE_FAST_PATH=container  npx mocha ...   through a helper container
 *
 * Unset (auto), the fast path is taken when the engine allows it and the
 * export otherwise. `direct` and `container` fail instead of falling back,
 * so a test run on them proves that path.
 */
export const LOAD_PATH = (process.env.CONTAINER_COMPARE_FAST_PATH || 'auto').toLowerCase();

/** Whether daemon images are read from the layer store in this run (auto: as on this project's machines, root and overlay2). */
export const FAST_PATH = LOAD_PATH !== 'off';
