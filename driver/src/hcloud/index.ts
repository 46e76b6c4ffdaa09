// The typed Hetzner Cloud client: import everything from here.
export { HcloudClient, type HcloudClientOptions } from './client';
export {
  checkEndpoint,
  DEFAULT_ENDPOINT,
  ENDPOINT_ENV,
  EndpointError,
  endpointFromEnv,
  enforceTlsVerification,
  isLoopbackHost,
  sameEndpoint,
} from './endpoint';
export {
  ActionError,
  ActionTimeoutError,
  HcloudError,
  HcloudNetworkError,
  HttpStatusError,
  isHcloudError,
  type NetworkFailure,
} from './errors';
export type { RateLimitInfo } from './http/rate-limit-handler';
export { backoffDelay, isRetryable } from './http/retry-handler';
export type { ClientStats } from './http/stats-handler';
export type { Query, QueryValue, Sleep } from './http/types';
export type { Action, ActionClient, ActionStatus, PollOptions, WaitOptions } from './resources/action';
export { DEFAULT_POLL, TYPICAL_ACTION_MS } from './resources/action';
export type { Deprecation, Labels, ListQuery, Protection, RequestOptions } from './resources/common';
export type {
  Firewall,
  FirewallAppliedTo,
  FirewallClient,
  FirewallCreateRequest,
  FirewallProtocol,
  FirewallResource,
  FirewallRule,
  FirewallRuleRequest,
  FirewallUpdateRequest,
} from './resources/firewall';
export type { Image, ImageClient, ImageListQuery } from './resources/image';
export type { Location, LocationClient } from './resources/location';
export type { Network, NetworkClient, NetworkSubnet } from './resources/network';
export type {
  PlacementGroup,
  PlacementGroupClient,
  PlacementGroupCreateRequest,
  PlacementGroupListQuery,
} from './resources/placement-group';
export type { PrimaryIp, PrimaryIpClient, PrimaryIpListQuery } from './resources/primary-ip';
export { isUnassigned } from './resources/primary-ip';
export type {
  AttachToNetworkRequest,
  PowerOptions,
  Server,
  ServerClient,
  ServerCreateRequest,
  ServerCreateResult,
  ServerListQuery,
  ServerPrivateNet,
  ServerPublicNet,
  ServerStatus,
  ServerUpdateRequest,
} from './resources/server';
export type { Price, ServerType, ServerTypeClient, ServerTypeLocation, ServerTypePrice } from './resources/server-type';
export type { SshKey, SshKeyClient, SshKeyCreateRequest, SshKeyListQuery } from './resources/ssh-key';
export type { Volume, VolumeClient, VolumeListQuery } from './resources/volume';
