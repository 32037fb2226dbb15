import * as z from '../zod.ts';
import { errorBodySchema } from '../schemas/common.ts';
import { routeSchemas, type RouteSchemas } from './route-schemas.ts';
import { routes, type RouteSpec } from './routes.ts';

/**
 * The OpenAPI 3.1 document of every route, generated from `routes.ts` and the zod schemas of
 * `route-schemas.ts` (the ones the handlers validate with).
 *
 * Schemas go through zod's own `z.toJSONSchema` (JSON Schema 2020-12, which OpenAPI 3.1 uses
 * as is) rather than @asteasolutions/zod-to-openapi: it is the validator's own converter, so
 * `io: 'input'` documents requests exactly as `parseRequestPart` reads them (defaults make a
 * field optional) and `io: 'output'` documents responses; it needs no `extendZodWithOpenApi`
 * prototype patch, and adds nothing to the API function's bundle. The OpenAPI structure around
 * the schemas (parameters, bodies, responses, security) is the little code below.
 */

type JsonSchema = Record<string, unknown>;
type ErrorStatus = 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 503;

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description: string };
  tags: Array<{ name: string }>;
  paths: Record<string, Record<string, OperationObject>>;
  components: {
    schemas: Record<string, JsonSchema>;
    responses: Record<string, unknown>;
    securitySchemes: Record<string, Record<string, unknown>>;
  };
}

export interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: JsonSchema;
  description?: string;
}

export interface OperationObject {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security: Array<Record<string, string[]>>;
  parameters: ParameterObject[];
  requestBody?: { required: boolean; description?: string; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, unknown>;
  'x-local-only'?: true;
  /** The least role the operation needs (routes.ts). */
  'x-termwatch-role'?: string;
}

export class OpenApiBuildError extends Error {
  override readonly name = 'OpenApiBuildError';
}

/** Any one of them authorizes a finance route; which one depends on where the watcher runs. */
export const FINANCE_SECURITY: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { awsIam: [] }, { jwt: [] }];

const securitySchemes = {
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    description:
      'Local mode (`npm start`): `Authorization: Bearer <WATCHER_API_TOKEN>`; when the variable is unset, a token is generated, kept in the data dir and printed.',
  },
  awsIam: {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description:
      'On AWS with auth=iam (the default): the request signed with AWS Signature Version 4 (service `execute-api`) by a principal allowed `execute-api:Invoke`; API Gateway checks it before the function runs.',
    'x-amazon-apigateway-authtype': 'awsSigv4',
  },
  jwt: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'On AWS with auth=jwt: `Authorization: Bearer <JWT>` from the configured issuer and audience, checked by API Gateway.',
  },
} as const;

const ERRORS: Record<ErrorStatus, { name: string; description: string; headers?: Record<string, unknown> }> = {
  400: { name: 'BadRequest', description: 'Bad input; `error.details.issues` names each field (e.g. `body.endDate`)' },
  401: {
    name: 'Unauthorized',
    description: 'No or wrong credentials (checked before the input)',
    headers: { 'WWW-Authenticate': { description: 'Bearer', schema: { type: 'string' } } },
  },
  403: {
    name: 'Forbidden',
    description:
      "The credentials are good but the person's role lacks the right (the message names the role needed), or they may not do this (e.g. approve their own termination); nothing was written",
  },
  404: { name: 'NotFound', description: 'No such resource' },
  405: {
    name: 'MethodNotAllowed',
    description: 'The path exists but not with this method',
    headers: { Allow: { description: 'The methods the path takes', schema: { type: 'string' } } },
  },
  409: {
    name: 'Conflict',
    description:
      "Conflicts with what is stored (e.g. an idempotencyKey reused with another body), or other writers kept changing the account while the request was handled; the message says which; nothing was written. (When only the re-evaluation after a person's write keeps losing, the write stands and the answer is a success with `evaluationPending: true`.)",
  },
  413: { name: 'PayloadTooLarge', description: 'The body is larger than the route accepts' },
  415: { name: 'UnsupportedMediaType', description: 'The body is not of the documented content type' },
  503: {
    name: 'Unavailable',
    description: 'The store was throttling or did not answer in time, still after retries: retry after the given seconds',
    headers: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } } },
  },
};

/**
 * The JSON Schema of one zod schema, as an OpenAPI 3.1 Schema Object. Shared definitions zod
 * extracts (schemas with a registry `id`, recursive ones) move to `components.schemas` and
 * their references follow, so every `$ref` resolves inside the document.
 */
export function toOpenApiSchema(schema: z.core.$ZodType, io: 'input' | 'output', components: Record<string, JsonSchema>, context: string): JsonSchema {
  const {
    $schema: _dialect,
    $defs,
    ...root
  } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any', override: openResponses(io) }) as JsonSchema & {
    $defs?: Record<string, JsonSchema>;
  };
  const names = new Map<string, string>();
  // Zod names anonymous shared parts `__schemaN`: unique only within one conversion.
  const componentName = (id: string) => (/^__schema\d+$/.test(id) ? `${context}_${id.slice(2)}` : io === 'input' ? `${id}Input` : id);
  for (const id of Object.keys($defs ?? {})) names.set(`#/$defs/${id}`, componentName(id));
  const selfRef = JSON.stringify(root).includes('"$ref":"#"');
  if (selfRef) names.set('#', `${context}_root`);
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => {
        const target = key === '$ref' && typeof inner === 'string' ? names.get(inner) : undefined;
        return [key, target ? `#/components/schemas/${target}` : rewrite(inner)];
      }),
    );
  };
  const add = (name: string, definition: JsonSchema) => {
    const existing = components[name];
    if (existing && JSON.stringify(existing) !== JSON.stringify(definition)) {
      throw new OpenApiBuildError(`two different schemas would be components.schemas.${name} (${context})`);
    }
    components[name] = definition;
  };
  for (const [id, definition] of Object.entries($defs ?? {})) add(componentName(id), rewrite(definition) as JsonSchema);
  if (!selfRef) return rewrite(root) as JsonSchema;
  add(`${context}_root`, rewrite(root) as JsonSchema);
  return { $ref: `#/components/schemas/${context}_root` };
}

/**
 * Zod closes every object's output (parsing strips unknown keys), but responses are not parsed
 * on the way out and the contract welcomes more fields: a response object stays open unless
 * its schema is strict. Requests keep zod's reading (strict objects refuse unknown keys).
 */
function openResponses(io: 'input' | 'output'): ((ctx: { zodSchema: z.core.$ZodTypes; jsonSchema: z.core.JSONSchema.BaseSchema }) => void) | undefined {
  if (io === 'input') return undefined;
  return ({ zodSchema, jsonSchema }) => {
    const def = zodSchema._zod.def;
    if (def.type === 'object' && def.catchall === undefined && jsonSchema.additionalProperties === false) delete jsonSchema.additionalProperties;
  };
}

/** `PUT /accounts/{accountId}/contract` → `putAccountsAccountIdContract`. */
export function operationIdOf(route: Pick<RouteSpec, 'method' | 'path'>): string {
  const words = route.path
    .split(/[/{}._-]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1));
  return `${route.method.toLowerCase()}${words.join('')}`;
}

function parameters(
  schema: z.ZodMiniObject | undefined,
  where: ParameterObject['in'],
  components: Record<string, JsonSchema>,
  context: string,
): ParameterObject[] {
  if (!schema) return [];
  const json = toOpenApiSchema(schema, 'input', components, `${context}_${where}`) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property as JsonSchema & { description?: string };
    return {
      name,
      in: where,
      required: where === 'path' || (json.required ?? []).includes(name),
      schema: rest,
      ...(typeof description === 'string' ? { description } : {}),
    };
  });
}

function errorStatuses(route: RouteSpec, doc: RouteSchemas): ErrorStatus[] {
  const statuses = new Set<ErrorStatus>(doc.errors ?? []);
  if (doc.params || doc.query || doc.headers || doc.body) statuses.add(400);
  if (route.auth === 'finance') {
    statuses.add(401);
    statuses.add(403);
  }
  if (doc.body) statuses.add(413);
  if (!doc.storeless) statuses.add(503);
  return [...statuses].filter((s) => !(s in doc.responses)).sort((a, b) => a - b);
}

function operation(route: RouteSpec, doc: RouteSchemas, components: Record<string, JsonSchema>): OperationObject {
  const operationId = operationIdOf(route);
  const placeholders = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const pathParams = parameters(doc.params, 'path', components, operationId);
  const declared = pathParams.map((p) => p.name);
  if ([...placeholders].sort().join() !== [...declared].sort().join()) {
    throw new OpenApiBuildError(
      `${route.method} ${route.path}: path parameters ${placeholders.join(', ') || '(none)'} but schema declares ${declared.join(', ') || '(none)'}`,
    );
  }
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(doc.responses)) {
    responses[status] = {
      description: response.description,
      ...(response.headers
        ? {
            headers: Object.fromEntries(
              Object.entries(response.headers).map(([name, h]) => [
                name,
                {
                  description: h.description,
                  required: h.required ?? false,
                  schema: toOpenApiSchema(h.schema, 'output', components, `${operationId}_${status}_header`),
                },
              ]),
            ),
          }
        : {}),
      ...(response.content
        ? {
            content: Object.fromEntries(
              Object.entries(response.content).map(([type, schema]) => [
                type,
                { schema: toOpenApiSchema(schema, 'output', components, `${operationId}_${status}`) },
              ]),
            ),
          }
        : {}),
    };
  }
  for (const status of errorStatuses(route, doc)) responses[status] = { $ref: `#/components/responses/${ERRORS[status].name}` };
  return {
    operationId,
    summary: route.summary,
    ...(route.role || doc.description
      ? { description: [route.role ? `Needs the \`${route.role}\` role.` : '', doc.description ?? ''].filter(Boolean).join(' ') }
      : {}),
    tags: [route.path.split('/')[1] ?? 'root'],
    security: route.auth === 'finance' ? FINANCE_SECURITY : [],
    parameters: [...pathParams, ...parameters(doc.query, 'query', components, operationId), ...parameters(doc.headers, 'header', components, operationId)],
    ...(doc.body
      ? {
          requestBody: {
            required: doc.body.required,
            ...(doc.body.description ? { description: doc.body.description } : {}),
            content: { [doc.body.contentType]: { schema: toOpenApiSchema(doc.body.schema, 'input', components, `${operationId}_body`) } },
          },
        }
      : {}),
    responses,
    ...(route.localOnly ? { 'x-local-only': true as const } : {}),
    ...(route.role ? { 'x-termwatch-role': route.role } : {}),
  };
}

/** Builds the document; pure (the same routes and schemas give the same document). */
export function buildOpenApiDocument(options: { routes?: readonly RouteSpec[]; schemas?: Readonly<Record<string, RouteSchemas>> } = {}): OpenApiDocument {
  const list = options.routes ?? (routes as readonly RouteSpec[]);
  const table: Readonly<Record<string, RouteSchemas | undefined>> = options.schemas ?? routeSchemas;
  const components: Record<string, JsonSchema> = {};
  components.Error = toOpenApiSchema(errorBodySchema, 'output', components, 'Error');
  const paths: OpenApiDocument['paths'] = {};
  for (const route of list) {
    const doc = table[`${route.method} ${route.path}`];
    if (!doc) throw new OpenApiBuildError(`${route.method} ${route.path} has no entry in route-schemas.ts`);
    const item = paths[route.path] ?? {};
    item[route.method.toLowerCase()] = operation(route, doc, components);
    paths[route.path] = item;
  }
  return {
    openapi: '3.1.1',
    info: {
      title: 'Termwatch API',
      version: '1.0.0',
      description: [
        'Late payers, unprofitable accounts and contract renewals, from Stripe and what finance records.',
        'Dates are `YYYY-MM-DD` in the policy time zone; timestamps ISO 8601 UTC; money integer minor units beside a lower-case ISO currency.',
        'Lists are `{ items, nextCursor? }` and take `limit` (default 50, at most 200) and `cursor`.',
        'Errors are `{ "error": { code, message, details? } }`. A known path called with a method it does not take answers 405 with an `Allow` header (components.responses.MethodNotAllowed).',
        'Operations marked `x-local-only` are served by the local runner only, never deployed.',
      ].join('\n\n'),
    },
    tags: [...new Set(Object.values(paths).flatMap((ops) => Object.values(ops).flatMap((op) => op.tags)))].map((name) => ({ name })),
    paths,
    components: {
      schemas: components,
      responses: Object.fromEntries(
        Object.values(ERRORS).map((e) => [
          e.name,
          {
            description: e.description,
            ...(e.headers ? { headers: e.headers } : {}),
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
          },
        ]),
      ),
      securitySchemes,
    },
  };
}

let cached: OpenApiDocument | undefined;

/** The document for `GET /openapi.json`, built on first request and kept for the process. */
export function openApiDocument(): OpenApiDocument {
  cached ??= buildOpenApiDocument();
  return cached;
}
