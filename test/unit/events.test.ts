import type { CoreV1Api, CoreV1ApiCreateNamespacedEventRequest } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { EventReason } from '../../src/api/constants.js';
import { KubeEventRecorder } from '../../src/kube/events.js';
import { share } from '../support/builders.js';

/** A CoreV1Api that records each Event it is asked to create, and the names of those it patches. */
function capturingApi() {
  const created: CoreV1ApiCreateNamespacedEventRequest[] = [];
  const patched: string[] = [];
  const api = {
    createNamespacedEvent: async (request: CoreV1ApiCreateNamespacedEventRequest) => {
      created.push(request);
      return request.body;
    },
    patchNamespacedEvent: async (request: { name: string }) => {
      patched.push(request.name);
      return {};
    },
  } as unknown as CoreV1Api;
  return { api, created, patched };
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

describe('KubeEventRecorder event names', () => {
  it.each([
    { reason: 'a short name keeps all of it', name: 'weather', prefix: 'weather' },
    { reason: 'the longest name an object may have', name: 'a'.repeat(253), prefix: 'a'.repeat(236) },
    {
      reason: 'a cut that would end a label in a dash drops the dash',
      name: `${'b'.repeat(235)}-${'c'.repeat(17)}`,
      prefix: 'b'.repeat(235),
    },
    {
      reason: 'a cut that would end on a dot drops the dot',
      name: `${'d'.repeat(235)}.${'e'.repeat(17)}`,
      prefix: 'd'.repeat(235),
    },
  ])('stays a valid name of at most 253 characters: $reason', async ({ name, prefix }) => {
    const { api, created } = capturingApi();
    const errors: unknown[] = [];
    const recorder = new KubeEventRecorder(api, 'test', (error) => errors.push(error));
    await recorder.record(share(name).build(), EventReason.Granted, 'Granted proj_a');
    expect(errors).toEqual([]);
    const eventName = created[0]?.body.metadata?.name ?? '';
    expect(eventName.length).toBeLessThanOrEqual(253);
    expect(eventName).toMatch(DNS_SUBDOMAIN);
    expect(eventName).toMatch(new RegExp(`^${prefix}\\.[0-9a-f]{16}$`));
    expect(created[0]?.body.involvedObject.name).toBe(name);
  });
});

describe('KubeEventRecorder aggregation', () => {
  const MINUTE = 60_000;

  it('forgets what is past the window, whatever the count, and keeps what was used again', async () => {
    const { api, created, patched } = capturingApi();
    let clock = Date.parse('2026-12-01T09:00:00Z');
    const recorder = new KubeEventRecorder(
      api,
      'test',
      () => undefined,
      () => new Date(clock),
    );
    const a = share('a').build();
    const b = share('b').build();
    await recorder.record(a, EventReason.Granted, 'Granted proj_a');
    clock += MINUTE;
    await recorder.record(b, EventReason.Granted, 'Granted proj_b');
    clock += 8 * MINUTE;
    // A repeat of a's event inside the window: counted on the same Event, and a is fresh again.
    await recorder.record(a, EventReason.Granted, 'Granted proj_a');
    expect(created).toHaveLength(2);
    expect(patched).toHaveLength(1);
    clock += 3 * MINUTE;
    // b's entry is 11 minutes old and goes; a's (3 minutes, first inserted) stays.
    await recorder.record(share('c').build(), EventReason.Granted, 'Granted proj_c');
    expect(recorder.remembered).toBe(2);
    await recorder.record(a, EventReason.Granted, 'Granted proj_a');
    expect(patched).toHaveLength(2);
    await recorder.record(b, EventReason.Granted, 'Granted proj_b');
    expect(created).toHaveLength(4);
  });

  it('keeps no more than the window holds over an hour of distinct events', async () => {
    const { api } = capturingApi();
    let clock = Date.parse('2026-12-01T09:00:00Z');
    const recorder = new KubeEventRecorder(
      api,
      'test',
      () => undefined,
      () => new Date(clock),
    );
    for (let i = 0; i < 3600; i++) {
      await recorder.record(share(`s${i}`).build(), EventReason.Granted, `Granted proj_${i}`);
      clock += 1000;
    }
    // One event a second: what the last ten minutes recorded, and nothing older.
    expect(recorder.remembered).toBeLessThanOrEqual(601);
  });
});
