//! RSA signing keys for the test IdP: a fresh RS256 key as a private JWK whose kid is its RFC 7638 thumbprint.

import { createHash, generateKeyPairSync } from 'node:crypto';

function thumbprint(jwk) {
  // RFC 7638: SHA-256 over the required members in lexicographic order, base64url.
  const canonical = JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n });
  return createHash('sha256').update(canonical).digest('base64url');
}

export function generateSigningKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: thumbprint(jwk), alg: 'RS256', use: 'sig' };
}
