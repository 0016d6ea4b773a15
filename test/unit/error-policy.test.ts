import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ConditionReason, EventReason } from '../../src/api/constants.js';
import { PassTimeoutError } from '../../src/controller/controller.js';
import { NotLeaderError } from '../../src/kube/leader-election.js';
import { TerminalError, type TerminalReason, TransientError } from '../../src/openai/errors.js';
import { decide } from '../../src/reconcile/error-policy.js';
import { K } from '../support/builders.js';

const terminal = (reason: TerminalReason) =>
  new TerminalError(`OpenAI list on checkpoint: ${reason}`, { operation: 'list', checkpoint: K, reason });

describe('decide: every error kind becomes one behaviour', () => {
  it.each([
    {
      reason: 'a replica that may have lost the lease drops the work quietly',
      error: new NotLeaderError('not sure of the lease'),
      want: { backoff: 'none', quiet: true, transient: true, event: undefined, reason: 'NotLeader' },
    },
    {
      reason: 'a transient OpenAI failure backs off visibly, waiting what the server asked',
      error: new TransientError('503', {
        operation: 'list',
        checkpoint: K,
        status: 503,
        retryAfterMs: 7_000,
      }),
      want: { backoff: 'exponential', quiet: false, transient: true, event: undefined, minDelayMs: 7_000 },
    },
    {
      reason: 'a bad key stalls until the slow recheck, with an Unauthorized event',
      error: terminal('Unauthorized'),
      want: { backoff: 'recheck', quiet: false, transient: false, event: EventReason.Unauthorized },
    },
    {
      reason: 'a key without the permission stalls as Forbidden, with the Unauthorized event',
      error: terminal('Forbidden'),
      want: {
        backoff: 'recheck',
        transient: false,
        event: EventReason.Unauthorized,
        reason: ConditionReason.Forbidden,
      },
    },
    {
      reason: 'an unknown checkpoint stalls, with its own event',
      error: terminal('CheckpointNotFound'),
      want: { backoff: 'recheck', transient: false, event: EventReason.CheckpointNotFound },
    },
    {
      reason: 'a project OpenAI refuses stalls with GrantFailed',
      error: terminal('OwningProject'),
      want: { backoff: 'recheck', transient: false, event: EventReason.GrantFailed, reason: 'OwningProject' },
    },
    {
      reason: 'a malformed answer (a proxy page, say) is retried with backoff, visibly',
      error: terminal('BadResponse'),
      want: { backoff: 'exponential', quiet: false, transient: true, reason: ConditionReason.BadResponse },
    },
    {
      reason: 'a write conflict is routine: retried at once on fresh data, without news',
      error: new ApiException(409, 'Conflict', '', {}),
      want: { backoff: 'exponential', quiet: true, transient: true, reason: 'Conflict' },
    },
    {
      reason: 'a pass past its deadline is retried with backoff, as transient',
      error: new PassTimeoutError('the pass ran past its deadline of 300s'),
      want: { backoff: 'exponential', quiet: false, transient: true, reason: ConditionReason.Retrying },
    },
  ])('$reason', ({ error, want }) => {
    expect(decide(error)).toMatchObject(want);
  });

  it('logs the reason and message, and OpenAI’s own words only for an OpenAI error', () => {
    expect(decide(terminal('Unauthorized')).log).toMatchObject({
      reason: ConditionReason.Unauthorized,
      openai: 'OpenAI list on checkpoint: Unauthorized',
    });
    expect(decide(new Error('socket hang up')).log).toEqual({
      reason: ConditionReason.Retrying,
      error: 'Reconcile failed: socket hang up; retrying with backoff',
    });
  });
});
