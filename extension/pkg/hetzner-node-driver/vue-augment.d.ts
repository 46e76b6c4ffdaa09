// The dashboard's global fetch mixin (shell/mixins/fetch.client.js) adds a `fetch()` option and these members.
export {};

/* eslint-disable no-unused-vars -- interface merging, not unused declarations */
declare module 'vue' {
  interface ComponentCustomOptions {
    fetch?(): Promise<void> | void;
  }
  interface ComponentCustomProperties {
    $fetchState: { pending: boolean; error: unknown; timestamp: number };
    $fetch(): Promise<void>;
  }
}
