/**
 * A CheckpointShare body naming another kind or version, answered as kube-apiserver v1.35
 * answers it (seen by test/cluster/crd-validation.test.ts against the real server).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CKPT } from './support/invalid-shares.js';
import { type StandInClients, startWithClients } from './support/kube-stand-in.js';

const SHARES = '/apis/checkpointshare.io/v1alpha1/namespaces/ml/checkpointshares';

let k: StandInClients;
beforeAll(async () => {
  k = await startWithClients();
});
afterAll(async () => {
  await k.standIn.close();
});

async function post(body: Record<string, unknown>, query = ''): Promise<{ code: number; message: string }> {
  const response = await fetch(`${k.standIn.url}${SHARES}${query}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const status = (await response.json()) as { message: string };
  return { code: response.status, message: status.message };
}

const metadata = { name: 'a-share' };
const spec = { checkpoint: CKPT };

describe('type meta of a CheckpointShare body', () => {
  it.each([
    {
      reason: 'another kind is a 422 on kind, named as the body names it',
      body: { apiVersion: 'checkpointshare.io/v1alpha1', kind: 'ModelShare', metadata, spec },
      query: '?fieldValidation=Strict',
      answer: {
        code: 422,
        message:
          'ModelShare.checkpointshare.io "a-share" is invalid: kind: Invalid value: "ModelShare": must be CheckpointShare',
      },
    },
    {
      reason: 'an unserved version is decoded without a schema: under Strict every field is unknown',
      body: { apiVersion: 'checkpointshare.io/v1', kind: 'CheckpointShare', metadata, spec, status: {} },
      query: '?fieldValidation=Strict',
      answer: {
        code: 400,
        message:
          'CheckpointShare in version "v1" cannot be handled as a CheckpointShare: strict decoding error: unknown field "spec", unknown field "status"',
      },
    },
  ])('$reason', async ({ body, query, answer }) => {
    expect(await post(body, query)).toEqual(answer);
  });
});
