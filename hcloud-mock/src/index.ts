export type { Action, ActionError, ActionResource } from './actions';
export { ActionEngine, DEFAULT_DURATIONS } from './actions';
export type { Image, Location, ServerType } from './catalog';
export type {
  ActionDurationEffect,
  ActionFailEffect,
  ApplyThenEffect,
  BareEffect,
  ChaosKind,
  ChaosOptions,
  DelayEffect,
  ErrorEffect,
  FaultEffect,
  FaultMatch,
  FaultRule,
  FaultWhen,
  HangEffect,
  ResetEffect,
} from './faults';
export { FaultRegistry, presets, ruleFromJson } from './faults';
export type { Labels, SelectorTerm } from './labels';
export { matchSelector, parseSelector, validateLabels } from './labels';
export { TokenBucket } from './ratelimit';
export type {
  AppliedTo,
  ConcurrentSetRulesMode,
  FirewallRecord,
  FirewallRule,
  MockLimits,
  NetworkRecord,
  PlacementGroupRecord,
  PrimaryIpRecord,
  PrivateNet,
  ServerRecord,
  ServerStatus,
  SshKeyRecord,
  VolumeRecord,
} from './records';
export { listEndpoints } from './routes';
export type { HeldRequest, MockOptions, MockServer, MockStats, RequestLogEntry } from './server';
export { startMock } from './server';
export { MockState } from './state';
export { ApiError, createPrng, sshFingerprint } from './util';
