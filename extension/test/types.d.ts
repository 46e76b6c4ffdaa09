// vue-select ships no declarations; the tests only register it as the global v-select component.
declare module 'vue-select' {
  import type { Component } from 'vue';
  const vSelect: Component;
  export default vSelect;
}
