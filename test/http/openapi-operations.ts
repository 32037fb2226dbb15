import * as z from 'zod';
import { expect } from 'vitest';
import type { OpenApiDocument, OperationObject } from '../../shared/http/openapi.ts';

/**
 * Walking the OpenAPI document in tests: its operations, its `$ref`s, and checking that an
 * answer the API gave is one the document describes (status and body).
 */
export interface DocumentedOperation {
  /** `METHOD /path`, as routes.ts keys routes. */
  key: string;
  method: string;
  path: string;
  operation: OperationObject;
}

export function operationsOf(doc: OpenApiDocument): DocumentedOperation[] {
  return Object.entries(doc.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({ key: `${method.toUpperCase()} ${path}`, method: method.toUpperCase(), path, operation })),
  );
}

/** The value a local `#/…` JSON pointer names, or undefined. */
export function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(1).split('/').slice(1)) {
    const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Every `$ref` string in the document, with where it sits. */
export function refsOf(value: unknown, at = '#'): Array<{ at: string; ref: string }> {
  if (Array.isArray(value)) return value.flatMap((v, i) => refsOf(v, `${at}/${i}`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    key === '$ref' && typeof inner === 'string' ? [{ at, ref: inner }] : refsOf(inner, `${at}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`),
  );
}

/** A copy with every `$ref` object replaced by what it points at (the document has no cycles). */
export function inlineRefs(doc: unknown, value: unknown, depth = 0): unknown {
  if (depth > 50) throw new Error('$ref chain too deep');
  if (Array.isArray(value)) return value.map((v) => inlineRefs(doc, v, depth + 1));
  if (value === null || typeof value !== 'object') return value;
  const ref = (value as { $ref?: unknown }).$ref;
  if (typeof ref === 'string') return inlineRefs(doc, resolvePointer(doc, ref), depth + 1);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, inlineRefs(doc, v, depth + 1)]));
}

export interface Answer {
  status: number;
  contentType: string;
  text: string;
}

export async function answerOf(response: Response): Promise<Answer> {
  return { status: response.status, contentType: (response.headers.get('content-type') ?? '').split(';')[0]!.trim(), text: await response.text() };
}

const validators = new Map<string, z.ZodType>();

/**
 * Asserts the answer is one the operation documents: its status is listed, its content type
 * is one the status documents, and a JSON body fits the documented schema (converted back to
 * zod with `z.fromJSONSchema`, so the check reads the document, not the source schemas).
 */
export function expectDocumentedAnswer(doc: OpenApiDocument, op: DocumentedOperation, answer: Answer, context = ''): void {
  const label = `${op.key} ${context} → ${answer.status} ${answer.text.slice(0, 300)}`;
  const documented = inlineRefs(doc, op.operation.responses[String(answer.status)]) as { content?: Record<string, { schema: unknown }> } | undefined;
  expect(documented, `status not documented: ${label}`).toBeDefined();
  const content = documented!.content ?? {};
  if (Object.keys(content).length === 0) return;
  expect(Object.keys(content), `content type not documented: ${label}`).toContain(answer.contentType);
  if (answer.contentType !== 'application/json') return;
  const cacheKey = `${op.key} ${answer.status}`;
  let validator = validators.get(cacheKey);
  if (!validator) {
    validator = z.fromJSONSchema(content['application/json']!.schema as z.core.JSONSchema.JSONSchema);
    validators.set(cacheKey, validator);
  }
  const result = validator.safeParse(JSON.parse(answer.text));
  expect(result.success, `body does not fit the documented schema: ${label}\n${result.error ? z.prettifyError(result.error) : ''}`).toBe(true);
}

/** The operation's path with its parameters filled in (URL-encoded). */
export function fillPath(path: string, params: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`no value for path parameter ${name}`);
    return encodeURIComponent(value);
  });
}
