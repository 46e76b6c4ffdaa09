// Version and commit of this build. `scripts/build.mjs` replaces the two globals at compile time (bun --define);
// in development they are absent and the fallbacks apply.
declare const __DRIVER_VERSION__: string | undefined;
declare const __DRIVER_COMMIT__: string | undefined;

export const VERSION: string = typeof __DRIVER_VERSION__ === 'string' ? __DRIVER_VERSION__ : '0.0.0-dev';
export const COMMIT: string = typeof __DRIVER_COMMIT__ === 'string' ? __DRIVER_COMMIT__ : 'unknown';
