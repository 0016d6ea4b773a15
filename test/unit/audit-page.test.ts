import { describe, expect, it } from 'vitest';
import { BodyShapeError, decodeAuditPage } from '../../src/openai/response-body.js';

const created = (id: string, data: Record<string, unknown>) => ({
  id,
  type: 'checkpoint.permission.created',
  effective_at: 1_764_662_400,
  'checkpoint.permission.created': { id: `cp_${id}`, data },
});

describe('decodeAuditPage', () => {
  it('reads created and deleted entries and skips one it cannot use instead of failing the page', () => {
    const page = decodeAuditPage({
      object: 'list',
      data: [
        created('a', { fine_tuned_model_checkpoint: 'ft:x', project_id: 'proj_a' }),
        created('b', { fine_tuned_model_checkpoint: 'ft:x' }),
        created('c', { project_id: 'proj_c' }),
        {
          id: 'd',
          type: 'checkpoint.permission.deleted',
          effective_at: 1,
          'checkpoint.permission.deleted': { id: 'cp_d' },
        },
        { id: 'e', type: 'project.created', effective_at: 1 },
      ],
      first_id: 'a',
      last_id: 'e',
      has_more: false,
    });
    expect(page.events).toEqual([
      {
        id: 'a',
        effectiveAt: 1_764_662_400,
        type: 'checkpoint.permission.created',
        permissionId: 'cp_a',
        checkpoint: 'ft:x',
        projectId: 'proj_a',
      },
      {
        id: 'b',
        effectiveAt: 1_764_662_400,
        type: 'checkpoint.permission.created',
        permissionId: 'cp_b',
        checkpoint: 'ft:x',
      },
      { id: 'd', effectiveAt: 1, type: 'checkpoint.permission.deleted', permissionId: 'cp_d' },
    ]);
  });

  it('refuses a page that is not a page: no data, no has_more, or has_more without a cursor', () => {
    expect(() => decodeAuditPage({ object: 'list' })).toThrow(BodyShapeError);
    expect(() => decodeAuditPage({ data: [] })).toThrow('has_more is not a boolean');
    expect(() => decodeAuditPage({ data: [], has_more: true })).toThrow('has_more without a last_id cursor');
    expect(() => decodeAuditPage({ data: [{ type: 'x' }], has_more: false })).toThrow(
      'not an audit log entry',
    );
  });
});
