//! Keycloak-like OpenID Provider (npm oidc-provider) for the oidc-gateway end-to-end tests and demo.
//
// Usage: node tests/idp/idp.mjs [--port N] [--token-ttl SECONDS] [--key-file PATH] [--watch-stdin]
//
// Listens on 127.0.0.1 only. When ready, prints exactly one line to stdout:
//   IDP_READY http://127.0.0.1:<port>
// Everything else goes to stderr.
//
// Realm layout (as Keycloak's realm "kong"):
//   issuer     http://127.0.0.1:<port>/realms/kong
//   discovery  /realms/kong/.well-known/openid-configuration
//   token      /realms/kong/protocol/openid-connect/token
//   jwks       /realms/kong/protocol/openid-connect/certs
//   introspect /realms/kong/protocol/openid-connect/token/introspect (RFC 7662)
// A client_credentials request with resource=urn:kong:opaque gets an opaque access token
// (for introspection); without it, an RS256 JWT for audience "account".
// Test-only endpoints (outside the realm):
//   GET  /_test/stats       counters as JSON
//   POST /_test/reset       zero the counters
//   POST /_test/rotate-key  new RSA signing key (new kid); the old key leaves the JWKS at once
// Unlike Keycloak, a client must authenticate with its registered token_endpoint_auth_method
// (client_secret_basic or client_secret_post), else 401 invalid_client.
//
// --key-file PATH: the private signing key as a JWK (JSON). Loaded when the file exists, else a
// fresh key is generated and written there; /_test/rotate-key rewrites it. So a restart with the
// same --key-file keeps the key, and deleting the file before a restart changes it.
// --watch-stdin: exit when stdin closes (lets a test harness make sure the IdP never outlives it).
// Environment: IDP_EXTRA_CLIENTS (JSON array of clients), IDP_LOAD_CLIENTS=N (N generated clients
// load-1..load-N for the load kit, see provider.mjs).

import { createServer } from 'node:http';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';

import { authMethodOf, makeProvider, REALM_PREFIX, ROUTES } from './provider.mjs';
import { generateSigningKey } from './keys.mjs';
import { clientOf, Stats } from './stats.mjs';

function parseArgs(argv) {
  const opts = { port: 0, tokenTtl: 300, keyFile: undefined, watchStdin: false };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = () => {
      i += 1;
      if (i >= argv.length) throw new Error(`missing value for ${arg}`);
      return argv[i];
    };
    if (arg === '--port') opts.port = Number.parseInt(value(), 10);
    else if (arg === '--token-ttl') opts.tokenTtl = Number.parseInt(value(), 10);
    else if (arg === '--key-file') opts.keyFile = value();
    else if (arg === '--watch-stdin') opts.watchStdin = true;
    else throw new Error(`unknown argument ${arg}`);
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new Error('bad --port');
  if (!Number.isInteger(opts.tokenTtl) || opts.tokenTtl < 1) throw new Error('bad --token-ttl');
  return opts;
}

function loadOrCreateKey(keyFile) {
  if (keyFile && existsSync(keyFile)) {
    return JSON.parse(readFileSync(keyFile, 'utf8'));
  }
  const jwk = generateSigningKey();
  if (keyFile) writeFileSync(keyFile, JSON.stringify(jwk), { mode: 0o600 });
  return jwk;
}

function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const stats = new Stats();
  let signingKey = loadOrCreateKey(opts.keyFile);
  let provider;
  let callback;

  const server = createServer(async (req, res) => {
    try {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/_test/stats' && req.method === 'GET') {
        sendJson(res, 200, stats.snapshot());
        return;
      }
      if (path === '/_test/reset' && req.method === 'POST') {
        stats.reset();
        sendJson(res, 200, { ok: true });
        return;
      }
      if (path === '/_test/rotate-key' && req.method === 'POST') {
        const oldKid = signingKey.kid;
        signingKey = generateSigningKey();
        if (opts.keyFile) writeFileSync(opts.keyFile, JSON.stringify(signingKey), { mode: 0o600 });
        provider = makeProvider({ issuer: provider.issuer, tokenTtl: opts.tokenTtl, signingKey });
        callback = provider.callback();
        console.error(`idp: rotated signing key ${oldKid} -> ${signingKey.kid}`);
        sendJson(res, 200, { old_kid: oldKid, kid: signingKey.kid });
        return;
      }
      if (path !== REALM_PREFIX && !path.startsWith(`${REALM_PREFIX}/`)) {
        sendJson(res, 404, { error: 'not_found' });
        return;
      }
      const inner = path.slice(REALM_PREFIX.length) || '/';
      if (inner === '/.well-known/openid-configuration') stats.discovery();
      if (inner === ROUTES.jwks) stats.jwks();
      if (inner === ROUTES.introspection) stats.introspection();
      if (inner === ROUTES.token && req.method === 'POST') {
        // Buffer the body to learn the claimed client_id; oidc-provider then reads req.body.
        const body = await readBody(req);
        req.body = body;
        const { client, method } = clientOf(req.headers.authorization, body);
        stats.tokenRequest(client, method);
        res.on('finish', () => {
          if (res.statusCode >= 400) stats.tokenError();
          console.error(`idp: token request client=${client} method=${method} status=${res.statusCode}`);
        });
        // Stricter than Keycloak (which takes either): a client must use its registered method,
        // so the tests can tell client_secret_basic from client_secret_post.
        const registered = authMethodOf(client);
        if (registered && registered !== method) {
          sendJson(res, 401, { error: 'invalid_client', error_description: `client must authenticate with ${registered}` });
          return;
        }
      }
      // Mount the provider under the realm prefix (the way Express mounting does it).
      req.originalUrl = req.url;
      req.url = req.url.slice(REALM_PREFIX.length) || '/';
      if (req.url.startsWith('?')) req.url = `/${req.url}`;
      await callback(req, res);
    } catch (err) {
      console.error(`idp: request failed: ${err?.message ?? err}`);
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
      else res.destroy();
    }
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  const base = `http://127.0.0.1:${port}`;
  provider = makeProvider({ issuer: `${base}${REALM_PREFIX}`, tokenTtl: opts.tokenTtl, signingKey });
  callback = provider.callback();

  const stop = () => {
    server.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (opts.watchStdin) {
    process.stdin.on('end', stop);
    process.stdin.on('close', stop);
    process.stdin.resume();
  }

  console.error(`idp: issuer ${provider.issuer} kid ${signingKey.kid} token ttl ${opts.tokenTtl}s`);
  process.stdout.write(`IDP_READY ${base}\n`);
}

main().catch((err) => {
  console.error(`idp: fatal: ${err?.stack ?? err}`);
  process.exit(1);
});
