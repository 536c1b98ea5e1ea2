// A partial /openapi/v3: the root index and the core group's document, holding the pod paths
// kubesim serves with their operations' query parameters and GVK extensions, as the API server
// publishes them (kube-openapi's spec3 builder), but no schemas (`components.schemas` is empty).
// kubectl reads it before `create -f`, `apply -f` and `replace -f`: its field-validation
// verifier (cli-runtime resource.QueryParamVerifierV3) looks for the PATCH operation of the
// object's GVK and its `fieldValidation` query parameter, and with it found leaves validation to
// the server (fieldValidation=Strict). Without any OpenAPI, kubectl refuses with "failed to
// download openapi". `kubectl explain`, which needs the schemas, is issue 11 item 8.
import { createHash } from 'node:crypto';

const POD_GVK = { group: '', kind: 'Pod', version: 'v1' };

function query(name: string, description: string, type = 'string'): Record<string, unknown> {
  return { name, in: 'query', description, schema: { type, uniqueItems: true } };
}

const DRY_RUN = query('dryRun', 'When present, indicates that modifications should not be persisted.');
const FIELD_MANAGER = query('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.');
const FIELD_VALIDATION = query('fieldValidation', 'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Warn - Strict');
const FORCE = query('force', 'Force is going to "force" Apply requests.', 'boolean');

function operation(action: string, id: string, parameters: Array<Record<string, unknown>>): Record<string, unknown> {
  return {
    tags: ['core_v1'], operationId: id, parameters,
    responses: { '200': { description: 'OK' }, '401': { description: 'Unauthorized' } },
    'x-kubernetes-action': action, 'x-kubernetes-group-version-kind': POD_GVK,
  };
}

const CORE_V1 = {
  openapi: '3.0.0',
  info: { title: 'Kubernetes', version: 'v1.35.0' },
  paths: {
    '/api/v1/namespaces/{namespace}/pods': {
      get: operation('list', 'listCoreV1NamespacedPod', []),
      post: operation('post', 'createCoreV1NamespacedPod', [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION]),
      parameters: [{ name: 'namespace', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } }],
    },
    '/api/v1/namespaces/{namespace}/pods/{name}': {
      get: operation('get', 'readCoreV1NamespacedPod', []),
      put: operation('put', 'replaceCoreV1NamespacedPod', [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION]),
      delete: operation('delete', 'deleteCoreV1NamespacedPod', [DRY_RUN]),
      patch: operation('patch', 'patchCoreV1NamespacedPod', [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE]),
      parameters: [
        { name: 'name', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } },
        { name: 'namespace', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } },
      ],
    },
  },
  components: { schemas: {} },
};

const CORE_V1_JSON = JSON.stringify(CORE_V1);
const CORE_V1_HASH = createHash('sha512').update(CORE_V1_JSON).digest('hex').toUpperCase();

/** GET /openapi/v3: one entry per group-version, each a URL with the document's hash. */
export function openapiV3Root(): unknown {
  return { paths: { 'api/v1': { serverRelativeURL: `/openapi/v3/api/v1?hash=${CORE_V1_HASH}` } } };
}

/** GET /openapi/v3/api/v1. */
export function openapiV3CoreV1(): string {
  return CORE_V1_JSON;
}
