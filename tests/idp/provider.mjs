//! oidc-provider configuration of the test IdP: Keycloak realm "kong" routes, static clients, RS256 JWT access tokens (opaque ones for resource urn:kong:opaque).

import { createHash } from 'node:crypto';

import Provider from 'oidc-provider';

export const REALM_PREFIX = '/realms/kong';

export const ROUTES = {
  authorization: '/protocol/openid-connect/auth',
  token: '/protocol/openid-connect/token',
  jwks: '/protocol/openid-connect/certs',
  userinfo: '/protocol/openid-connect/userinfo',
  introspection: '/protocol/openid-connect/token/introspect',
  revocation: '/protocol/openid-connect/revoke',
  end_session: '/protocol/openid-connect/logout',
};

// The one resource server every client_credentials token is for (audience "account", as Keycloak).
const RESOURCE = 'urn:kong:account';
// A resource whose access tokens are opaque, for the gateway's introspection method.
const OPAQUE_RESOURCE = 'urn:kong:opaque';
const SCOPES = ['openid', 'email', 'profile'];

const STATIC_CLIENTS = [
  { client_id: 'kong_id', client_secret: 'RVXO9SOJskjw4LeVupjRbIMJIAyyil8j', token_endpoint_auth_method: 'client_secret_basic' },
  { client_id: 'post_id', client_secret: 'post-secret-0123456789', token_endpoint_auth_method: 'client_secret_post' },
  { client_id: 'nobody_id', client_secret: 'nobody-secret-0123456789', token_endpoint_auth_method: 'client_secret_basic' },
  { client_id: 'weird_id', client_secret: 's3cr:et+with/odd=chars%&', token_endpoint_auth_method: 'client_secret_basic' },
];

function extraClients() {
  const raw = process.env.IDP_EXTRA_CLIENTS;
  if (!raw) return [];
  const list = JSON.parse(raw);
  if (!Array.isArray(list)) throw new Error('IDP_EXTRA_CLIENTS must be a JSON array');
  return list.map((c) => ({
    client_id: String(c.client_id),
    client_secret: String(c.client_secret),
    token_endpoint_auth_method: c.token_endpoint_auth_method ?? 'client_secret_basic',
  }));
}

// IDP_LOAD_CLIENTS=N registers N generated clients for the load kit (benches/load):
// client_id load-<i>, secret loadsecret-<i zero-padded to 22 digits> (32 characters, the
// length of a Keycloak secret), client_secret_basic, for i in 1..N.
export function loadClientSecret(i) {
  return `loadsecret-${String(i).padStart(22, '0')}`;
}

function loadClients() {
  const raw = process.env.IDP_LOAD_CLIENTS;
  if (!raw) return [];
  const count = Number.parseInt(raw, 10);
  if (!Number.isInteger(count) || count < 0 || count > 2_000_000) throw new Error('bad IDP_LOAD_CLIENTS');
  const list = new Array(count);
  for (let i = 1; i <= count; i += 1) {
    list[i - 1] = { client_id: `load-${i}`, client_secret: loadClientSecret(i), token_endpoint_auth_method: 'client_secret_basic' };
  }
  return list;
}

let clientsCache;
let methodById;
function allClients() {
  clientsCache ??= [...STATIC_CLIENTS, ...extraClients(), ...loadClients()];
  return clientsCache;
}

// The registered token_endpoint_auth_method of a known client, else undefined.
export function authMethodOf(clientId) {
  methodById ??= new Map(allClients().map((c) => [c.client_id, c.token_endpoint_auth_method]));
  return methodById.get(clientId);
}

function clientMetadata(c) {
  return {
    ...c,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  };
}

// A stable UUID-shaped subject per client, like Keycloak's service-account user id.
function serviceAccountId(clientId) {
  const h = createHash('sha256').update(`service-account:${clientId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

// Keycloak adds the realm's default scopes (email, profile) to whatever was requested.
function keycloakScope(requested) {
  const set = new Set((requested ?? '').split(' ').filter(Boolean));
  set.add('email');
  set.add('profile');
  return SCOPES.filter((s) => set.has(s)).concat([...set].filter((s) => !SCOPES.includes(s))).join(' ');
}

async function customizeJwt(ctx, token, jwt) {
  const clientId = jwt.payload.client_id;
  const address = ctx?.request?.ip ?? '127.0.0.1';
  jwt.header = { typ: 'JWT' };
  Object.assign(jwt.payload, {
    sub: serviceAccountId(clientId),
    aud: 'account',
    typ: 'Bearer',
    azp: clientId,
    acr: '1',
    'allowed-origins': ['/*'],
    scope: keycloakScope(jwt.payload.scope),
    email_verified: false,
    clientHost: address,
    clientAddress: address,
    preferred_username: `service-account-${clientId}`,
    realm_access: { roles: ['offline_access', 'uma_authorization', 'default-roles-kong'] },
    resource_access: { account: { roles: ['manage-account', 'manage-account-links', 'view-profile'] } },
  });
}

export function makeProvider({ issuer, tokenTtl, signingKey }) {
  const clients = allClients().map(clientMetadata);
  const provider = new Provider(issuer, {
    clients,
    jwks: { keys: [signingKey] },
    routes: ROUTES,
    scopes: SCOPES,
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['preferred_username'] },
    ttl: { ClientCredentials: tokenTtl },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // Any authenticated client may introspect (the gateway introspects as kong_id).
      introspection: { enabled: true, allowedPolicy: async () => true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => RESOURCE,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resourceIndicator) => {
          if (resourceIndicator === OPAQUE_RESOURCE) {
            return {
              scope: SCOPES.join(' '),
              audience: 'account',
              accessTokenTTL: tokenTtl,
              accessTokenFormat: 'opaque',
            };
          }
          if (resourceIndicator !== RESOURCE) throw new Provider.errors.InvalidTarget();
          return {
            scope: SCOPES.join(' '),
            audience: 'account',
            accessTokenTTL: tokenTtl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    formats: { customizers: { jwt: customizeJwt } },
    enabledJWA: { idTokenSigningAlgValues: ['RS256'] },
    clientDefaults: { id_token_signed_response_alg: 'RS256' },
  });
  provider.proxy = false;
  return provider;
}
