/** Reading request bodies and writing responses with the media types the API server speaks. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { badRequest, notAcceptable, requestTooLarge, unsupportedMediaType } from './status.js';

/** The API server's default limit on a request body. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > limit) throw requestTooLarge(limit);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

const OBJECT_MEDIA_TYPES = ['application/json', 'application/yaml'];

/** Decodes a create or update body; anything but JSON or YAML is 415 as on a server without protobuf. */
export function decodeObjectBody(body: Buffer, contentType: string | undefined): unknown {
  const type = mediaType(contentType);
  if (!OBJECT_MEDIA_TYPES.includes(type)) throw unsupportedMediaType(type, OBJECT_MEDIA_TYPES);
  return decodeText(body, type === 'application/yaml' ? 'yaml' : 'json');
}

export function decodeText(body: Buffer, format: 'json' | 'yaml'): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '')
    throw badRequest('the server rejected our request due to an error in our request: empty body');
  try {
    return format === 'yaml' ? (parseYaml(text) as unknown) : (JSON.parse(text) as unknown);
  } catch (err: unknown) {
    throw badRequest(`error decoding request body: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export type ResponseFormat = { kind: 'json' } | { kind: 'yaml' } | { kind: 'table'; version: string };

/**
 * Picks the representation from the Accept header in the client's order of preference: a
 * meta.k8s.io Table when asked (kubectl get), else JSON, or YAML when only that is accepted.
 */
export function negotiate(accept: string | undefined): ResponseFormat {
  if (accept === undefined || accept.trim() === '') return { kind: 'json' };
  for (const range of accept.split(',')) {
    const [type = '', ...params] = range.split(';').map((p) => p.trim());
    const args = new Map(
      params.map((p) => {
        const [k = '', v = ''] = p.split('=');
        return [k.trim(), v.trim()];
      }),
    );
    const as = args.get('as');
    if (
      type.toLowerCase() === 'application/json' &&
      as === 'Table' &&
      args.get('g') === 'meta.k8s.io' &&
      ['v1', 'v1beta1'].includes(args.get('v') ?? '')
    ) {
      return { kind: 'table', version: args.get('v') ?? 'v1' };
    }
    if (as !== undefined) continue;
    if (['application/json', 'application/*', '*/*'].includes(type.toLowerCase())) return { kind: 'json' };
    if (type.toLowerCase() === 'application/yaml') return { kind: 'yaml' };
  }
  throw notAcceptable();
}

export function sendObject(
  res: ServerResponse,
  code: number,
  body: unknown,
  format: ResponseFormat = { kind: 'json' },
  headers: Record<string, string | string[]> = {},
): void {
  const yaml = format.kind === 'yaml';
  const text = yaml ? stringifyYaml(body) : JSON.stringify(body);
  res.writeHead(code, {
    ...headers,
    'Content-Type': yaml ? 'application/yaml' : 'application/json',
    'Cache-Control': 'no-cache, private',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}
