import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LuaEngine, LuaFactory } from 'wasmoon';
import { ConditionReason, GROUP, KIND } from '../../src/api/constants.js';
import { parseYamlFile, readRepoFile } from '../support/deploy-manifests.js';

const SCRIPT_PATH = 'deploy/argocd/health-checkpointshare.lua';
const script = readRepoFile(SCRIPT_PATH);
const HEALTH_KEY = `resource.customizations.health.${GROUP}_${KIND}`;

type Status = 'True' | 'False' | 'Unknown';
interface Condition {
  type: string;
  status: Status;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

/** A CheckpointShare as Argo CD hands it to the script, built up one fact at a time. */
class ShareBuilder {
  private generation = 1;
  private observed: number | undefined;
  private suspend: boolean | undefined;
  private conditions: Condition[] | undefined;
  private statusless = true;

  atGeneration(generation: number): this {
    this.generation = generation;
    return this;
  }

  observing(generation: number): this {
    this.statusless = false;
    this.observed = generation;
    return this;
  }

  suspended(): this {
    this.suspend = true;
    return this;
  }

  with(type: string, status: Status, reason?: string, message?: string): this {
    this.statusless = false;
    this.observed ??= this.generation;
    this.conditions = [
      ...(this.conditions ?? []),
      {
        type,
        status,
        observedGeneration: this.generation,
        ...(reason === undefined ? {} : { reason }),
        ...(message === undefined ? {} : { message }),
      },
    ];
    return this;
  }

  build(): Record<string, unknown> {
    return {
      apiVersion: `${GROUP}/v1alpha1`,
      kind: KIND,
      metadata: { name: 'weather-to-analytics', namespace: 'ml-platform', generation: this.generation },
      spec: {
        checkpoint: 'ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd',
        projectIds: ['proj_abc123'],
        ...(this.suspend === undefined ? {} : { suspend: this.suspend }),
      },
      ...(this.statusless
        ? {}
        : {
            status: {
              ...(this.observed === undefined ? {} : { observedGeneration: this.observed }),
              ...(this.conditions === undefined ? {} : { conditions: this.conditions }),
            },
          }),
    };
  }
}

const share = () => new ShareBuilder();

let lua: LuaEngine;

beforeAll(async () => {
  // Plain tables, not proxies: Argo CD converts the object's JSON to Lua tables the same way.
  lua = await new LuaFactory().createEngine({ injectObjects: false, enableProxy: false });
});

afterAll(() => {
  lua.global.close();
});

async function health(object: Record<string, unknown>): Promise<{ status: unknown; message: unknown }> {
  lua.global.set('obj', object);
  return (await lua.doString(script)) as { status: unknown; message: unknown };
}

describe('Argo CD health check for CheckpointShares', () => {
  it.each([
    {
      reason: 'all desired projects granted',
      object: share()
        .with('Ready', 'True', 'Converged', '2 of 2 projects granted')
        .with('Reconciling', 'False')
        .with('Stalled', 'False'),
      status: 'Healthy',
      message: 'Converged: 2 of 2 projects granted',
    },
    {
      reason: 'a brand-new object the operator has not seen',
      object: share(),
      status: 'Progressing',
      message: 'Waiting for the operator to report status',
    },
    {
      reason: 'a spec edit not yet observed, even though the old status was Ready',
      object: share().atGeneration(3).with('Ready', 'True', 'Converged').observing(2),
      status: 'Progressing',
      message: 'Waiting for the operator to observe generation 3',
    },
    {
      reason: 'a spec edit not yet observed hides an old Stalled too',
      object: share().atGeneration(4).with('Stalled', 'True', 'Unauthorized', 'bad key').observing(3),
      status: 'Progressing',
      message: 'Waiting for the operator to observe generation 4',
    },
    {
      reason: 'grants pending',
      object: share()
        .with('Ready', 'False', 'Progressing', 'granting 2 projects')
        .with('Reconciling', 'True', 'Progressing', 'granting 2 projects'),
      status: 'Progressing',
      message: 'Progressing: granting 2 projects',
    },
    {
      reason: 'retrying after a transient error',
      object: share()
        .with('Ready', 'False', 'Retrying')
        .with('Reconciling', 'True', 'Retrying', 'OpenAI answered 429; retrying in 20s'),
      status: 'Progressing',
      message: 'Retrying: OpenAI answered 429; retrying in 20s',
    },
    {
      reason: 'status written but no condition yet',
      object: share().observing(1),
      status: 'Progressing',
      message: 'Waiting for the Ready condition',
    },
    {
      reason: 'Ready=False with a transient reason and nothing else',
      object: share().with('Ready', 'False', 'BadResponse', 'unexpected body'),
      status: 'Progressing',
      message: 'BadResponse: unexpected body',
    },
    {
      reason: 'Ready=Unknown',
      object: share().with('Ready', 'Unknown'),
      status: 'Progressing',
      message: 'Not ready',
    },
    {
      reason: 'a bad admin key',
      object: share()
        .with('Ready', 'False', 'Unauthorized')
        .with('Stalled', 'True', 'Unauthorized', 'OpenAI refused the admin key (401)'),
      status: 'Degraded',
      message: 'Unauthorized: OpenAI refused the admin key (401)',
    },
    {
      reason: 'an unknown checkpoint',
      object: share()
        .with('Stalled', 'True', 'CheckpointNotFound', 'no such checkpoint')
        .with('Ready', 'False', 'CheckpointNotFound'),
      status: 'Degraded',
      message: 'CheckpointNotFound: no such checkpoint',
    },
    {
      reason: 'Stalled wins over Ready=True (a project that cannot be granted)',
      object: share().with('Ready', 'True').with('Stalled', 'True', 'OwningProject'),
      status: 'Degraded',
      message: 'OwningProject',
    },
    {
      reason: 'Ready=False with a reason that needs a human, even without Stalled',
      object: share().with('Ready', 'False', 'InvalidProject', 'proj_x does not exist'),
      status: 'Degraded',
      message: 'InvalidProject: proj_x does not exist',
    },
    {
      reason: 'suspended with drift',
      object: share()
        .suspended()
        .with('Ready', 'False', 'Suspended', '1 project not granted')
        .with('Reconciling', 'False'),
      status: 'Suspended',
      message: 'Suspended: no grants or revocations are made',
    },
    {
      reason: 'suspended wins over Reconciling',
      object: share().suspended().with('Reconciling', 'True'),
      status: 'Suspended',
      message: 'Suspended: no grants or revocations are made',
    },
    {
      reason: 'suspended but nothing out of line',
      object: share().suspended().with('Ready', 'True', 'Converged'),
      status: 'Healthy',
      message: 'Converged',
    },
    {
      reason: 'suspended and stalled: a human must still act',
      object: share().suspended().with('Stalled', 'True', 'Unauthorized', 'bad key'),
      status: 'Degraded',
      message: 'Unauthorized: bad key',
    },
  ])('$reason: $status', async ({ object, status, message }) => {
    expect(await health(object.build())).toEqual({ status, message });
  });

  it('treats as terminal exactly the reasons that set Stalled in docs/design.md', () => {
    const table = /local terminal = \{([^}]*)\}/.exec(script)?.[1] ?? '';
    const reasons = [...table.matchAll(/(\w+) = true/g)].map((m) => m[1]);
    expect(reasons.sort()).toEqual(
      [
        ConditionReason.Unauthorized,
        ConditionReason.Forbidden,
        ConditionReason.CheckpointNotFound,
        ConditionReason.InvalidProject,
        ConditionReason.OwningProject,
      ].sort(),
    );
  });

  it('uses only Lua 5.1, which gopher-lua (Argo CD) runs', () => {
    const code = script
      .replace(/--\[(=*)\[[\s\S]*?\]\1\]/g, '')
      .replace(/--[^\n]*/g, '')
      .replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g, '""');
    const newer = [
      { feature: 'goto and labels', pattern: /\bgoto\b|::\w+::/ },
      { feature: 'integer division', pattern: /\/\// },
      { feature: 'bitwise operators', pattern: /[&|]|~(?!=)|<<|>>/ },
      { feature: 'attributes', pattern: /<(const|close)>/ },
      {
        feature: '5.2+ library functions',
        pattern:
          /table\.(unpack|move|pack)|\butf8\.|math\.(type|tointeger|ult)|string\.(pack|unpack)|\bload\(|\brequire\b/,
      },
      { feature: '_ENV', pattern: /\b_ENV\b/ },
    ].filter(({ pattern }) => pattern.test(code));
    expect(newer.map((n) => n.feature)).toEqual([]);
  });
});

describe('registering the check with Argo CD', () => {
  const configMap = parseYamlFile('deploy/argocd/argocd-cm-patch.yaml') as {
    kind: string;
    metadata: { name: string; namespace: string };
    data: Record<string, string>;
  };

  it('patches argocd-cm under the key Argo CD looks up for the group and kind', () => {
    expect(configMap.kind).toBe('ConfigMap');
    expect(configMap.metadata.name).toBe('argocd-cm');
    expect(Object.keys(configMap.data)).toEqual([HEALTH_KEY]);
  });

  it(`inlines ${SCRIPT_PATH} unchanged`, () => {
    expect(configMap.data[HEALTH_KEY]).toBe(script);
  });
});
