import { describe, expect, it } from 'vitest';
import type { CheckpointShare, CheckpointShareStatus } from '../../src/api/types.js';
import type { EventRecorder } from '../../src/kube/events.js';
import type { ShareWriter } from '../../src/kube/share-writer.js';
import { TerminalError } from '../../src/openai/errors.js';
import type { PermissionsApi } from '../../src/openai/permissions.js';
import { K, share } from '../support/builders.js';
import { controllerRig } from '../support/controller-rig.js';
import { waitFor } from '../support/wait.js';

/**
 * A controller whose every pass fails on a bad admin key, so it reports the failure (Stalled
 * condition and an Unauthorized event) through the given fence.
 */
function failingController(fence: () => void) {
  const writes: string[] = [];
  const unauthorized = () =>
    Promise.reject(
      new TerminalError('OpenAI list on checkpoint: 401 bad key', {
        operation: 'list',
        checkpoint: K,
        reason: 'Unauthorized',
      }),
    );
  const permissions: PermissionsApi = { list: unauthorized, grant: unauthorized, revoke: unauthorized };
  const writer: ShareWriter = {
    get: async () => undefined,
    addFinalizer: async (s) => {
      writes.push(`finalizer+ ${s.metadata.name}`);
      return s;
    },
    removeFinalizer: async (s) => {
      writes.push(`finalizer- ${s.metadata.name}`);
      return undefined;
    },
    writeStatus: async (s: CheckpointShare, status: CheckpointShareStatus) => {
      writes.push(`status ${s.metadata.name}`);
      return { ...s, status };
    },
  };
  const events: EventRecorder = { record: async (_s, reason) => void writes.push(`event ${reason}`) };
  const { controller, lines } = controllerRig({
    shares: [share('a').projects('proj_a').build()],
    permissions,
    writer,
    events,
    fence,
    now: () => new Date('2026-12-01T09:00:00Z'),
  });
  return { controller, writes, lines };
}

describe('Controller reporting a failed pass', () => {
  it('writes the Stalled status and the event while it holds the lease', async () => {
    const { controller, writes, lines } = failingController(() => undefined);
    controller.start();
    await waitFor('the pass to fail', () => lines.some((l) => l.msg === 'reconcile failed'));
    // stop() waits for the pass in flight, report included.
    expect(await controller.stop(4_000)).toBe(true);
    expect(writes).toEqual(['status a', 'event Unauthorized']);
  });

  it('writes neither status nor event once the leadership fence says no', async () => {
    const { controller, writes, lines } = failingController(() => {
      throw new Error('this replica cannot be sure it still holds the lease');
    });
    controller.start();
    await waitFor('the pass to fail', () => lines.some((l) => l.msg === 'reconcile failed'));
    expect(await controller.stop(4_000)).toBe(true);
    expect(writes).toEqual([]);
    expect(lines.map((l) => l.msg)).toContain('could not report failure');
  });
});
