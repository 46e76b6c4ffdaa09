// Ambient declarations for modules the host and shell provide without types.
declare module '@rancher/auto-import' {
  export function importTypes(plugin: unknown): void;
}

declare module '*.svg' {
  const url: string;
  export default url;
}

declare module 'js-yaml' {
  const jsyaml: { load(text: string): unknown; dump(value: unknown): string };
  export default jsyaml;
}

declare module '@shell/components/Loading.vue';
declare module '@shell/components/form/LabeledSelect.vue';
declare module '@shell/components/CodeMirror.vue';
declare module '@shell/components/AdvancedSection.vue';

// Typed so that shell components declaring `mode: { type: String, default: _EDIT }` keep `mode: string`.
declare module '@shell/config/query-params' {
  export const _VIEW: string;
  export const _EDIT: string;
  export const _CREATE: string;
  export const _CLONE: string;
  export const _IMPORT: string;
  export const _STAGE: string;
  export const _DETAIL: string;
  export const _CONFIG: string;
  export const _YAML: string;
  export const _LIST: string;
  export const _FLAGGED: string;
  export const _UNFLAG: string;
  export const MODE: string;
  export const AS: string;
}

// Shell's remaining JavaScript modules carry no declarations; typed .ts modules still resolve to their source.
declare module '@shell/*';
