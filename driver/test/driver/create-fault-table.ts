// The Create failure table shared by the in-process suite and the plugin-protocol suite: a fault at each step of
// Create, and what the error must say. After each, the machine must have left nothing behind.
import type { FaultRule } from 'hcloud-mock';

export const serverError = { status: 500, code: 'server_error', message: 'an internal server error occurred' };

export const CREATE_FAULTS: Array<[string, FaultRule, RegExp]> = [
  ['key upload fails', { match: { method: 'POST', path: '/ssh_keys' }, effect: serverError }, /server_error/],
  [
    'key upload answer lost after the key was made',
    // Three times: the driver repeats a create that met a 500 twice (adopting what an applied one made).
    { match: { method: 'POST', path: '/ssh_keys' }, when: { times: 3 }, effect: { applyThen: serverError } },
    /server_error/,
  ],
  [
    'server create rejected',
    {
      match: { method: 'POST', path: '/servers' },
      effect: { status: 412, code: 'resource_unavailable', message: 'server type not available' },
    },
    /resource_unavailable/,
  ],
  [
    'server create answer lost after the server was made',
    // Three times: the driver repeats a create that met a 500 twice (adopting what an applied one made).
    { match: { method: 'POST', path: '/servers' }, when: { times: 3 }, effect: { applyThen: serverError } },
    /server_error/,
  ],
  [
    'create action fails',
    {
      match: { method: 'POST', path: '/servers' },
      effect: { actionFail: { code: 'action_failed', message: 'boom' }, command: 'create_server' },
    },
    /action create_server .* failed with action_failed/,
  ],
  [
    'start action fails',
    {
      match: { method: 'POST', path: '/servers' },
      effect: { actionFail: { code: 'unknown_error', message: 'server is locked' }, command: 'start_server' },
    },
    /start_server .* failed with unknown_error/,
  ],
  [
    'create action times out',
    { match: { method: 'POST', path: '/servers' }, effect: { actionDurationMs: 1_500, command: 'create_server' } },
    /timed out/,
  ],
  [
    'waiting for the actions fails after the server was made',
    // One more failure than the client retries a read (a single 500 no longer ends a create).
    { match: { method: 'GET', path: '/actions' }, when: { times: 6 }, effect: serverError },
    /server_error/,
  ],
];
