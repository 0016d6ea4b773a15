import type { CoreV1Api, CoreV1ApiCreateNamespacedEventRequest } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { EventReason } from '../../src/api/constants.js';
import { KubeEventRecorder } from '../../src/kube/events.js';
import { share } from '../support/builders.js';

/** A CoreV1Api that records each Event it is asked to create. */
function capturingApi() {
  const created: CoreV1ApiCreateNamespacedEventRequest[] = [];
  const api = {
    createNamespacedEvent: async (request: CoreV1ApiCreateNamespacedEventRequest) => {
      created.push(request);
      return request.body;
    },
  } as unknown as CoreV1Api;
  return { api, created };
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
