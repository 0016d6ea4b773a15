import { type FieldError, isRecord } from './structural-schema.js';

/** metadata.name of a custom resource: a DNS-1123 subdomain, as the API server requires. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * metadata of a custom resource as the API server checks it before the schema: a name (or
 * generateName) that is a DNS subdomain, and a namespace that is a DNS label.
 */
export function validateMetadata(metadata: unknown): FieldError[] {
  if (!isRecord(metadata)) {
    return [{ field: 'metadata', type: 'FieldValueRequired', message: 'metadata: Required value' }];
  }
  const name = metadata.name ?? metadata.generateName;
  if (typeof name !== 'string' || name === '') {
    return [
      {
        field: 'metadata.name',
        type: 'FieldValueRequired',
        message: 'metadata.name: Required value: name or generateName is required',
      },
    ];
  }
  const problems: FieldError[] = [];
  if (name.length > 253 || !DNS_SUBDOMAIN.test(metadata.generateName ? `${name}x` : name)) {
    problems.push({
      field: 'metadata.name',
      type: 'FieldValueInvalid',
      message: `metadata.name: Invalid value: ${JSON.stringify(name)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '${DNS_SUBDOMAIN.source.slice(1, -1)}')`,
    });
  }
  if (
    metadata.namespace !== undefined &&
    (typeof metadata.namespace !== 'string' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(metadata.namespace))
  ) {
    problems.push({
      field: 'metadata.namespace',
      type: 'FieldValueInvalid',
      message: `metadata.namespace: Invalid value: ${JSON.stringify(metadata.namespace)}: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'`,
    });
  }
  return problems;
}
