/**
 * The admin API calls that faults and the request log name: the three of the
 * checkpoint-permissions API, and reading the organisation's audit log.
 */
export type Operation = 'list' | 'grant' | 'revoke' | 'audit_log';

/** The checkpoint-permissions calls; a fault that names no operation affects only these. */
export type PermissionOperation = Exclude<Operation, 'audit_log'>;
