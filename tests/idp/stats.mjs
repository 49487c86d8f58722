//! Counters behind GET /_test/stats of the test IdP, and the client_id a token request claims.

export class Stats {
  constructor() {
    this.reset();
  }

  reset() {
    this.tokenRequests = 0;
    this.byClient = new Map();
    this.byMethod = new Map();
    this.tokenErrors = 0;
    this.jwksRequests = 0;
    this.discoveryRequests = 0;
    this.introspectionRequests = 0;
  }

  introspection() {
    this.introspectionRequests += 1;
  }

  tokenRequest(clientId, method) {
    this.tokenRequests += 1;
    this.byClient.set(clientId, (this.byClient.get(clientId) ?? 0) + 1);
    this.byMethod.set(method, (this.byMethod.get(method) ?? 0) + 1);
  }

  tokenError() {
    this.tokenErrors += 1;
  }

  jwks() {
    this.jwksRequests += 1;
  }

  discovery() {
    this.discoveryRequests += 1;
  }

  snapshot() {
    return {
      token_requests: this.tokenRequests,
      token_requests_by_client: Object.fromEntries(this.byClient),
      token_requests_by_auth_method: Object.fromEntries(this.byMethod),
      token_errors: this.tokenErrors,
      jwks_requests: this.jwksRequests,
      discovery_requests: this.discoveryRequests,
      introspection_requests: this.introspectionRequests,
    };
  }
}

function formDecode(text) {
  try {
    return decodeURIComponent(text.replace(/\+/g, '%20'));
  } catch {
    return text;
  }
}

// The client a token request authenticates as or claims, and how: the id in `Authorization: Basic`
// (form-urlencoded per RFC 6749 section 2.3.1) -> client_secret_basic, else the body's client_id
// -> client_secret_post. Client "<none>" if neither, "<malformed>" if the Basic header is unreadable.
export function clientOf(authorization, body) {
  if (authorization) {
    const [scheme, value] = authorization.split(' ', 2);
    if (scheme?.toLowerCase() === 'basic' && value) {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { client: formDecode(decoded.slice(0, colon)), method: 'client_secret_basic' };
    }
    return { client: '<malformed>', method: 'other' };
  }
  const params = new URLSearchParams(body.toString('utf8'));
  const client = params.get('client_id');
  if (client === null) return { client: '<none>', method: 'none' };
  return { client, method: params.has('client_secret') ? 'client_secret_post' : 'none' };
}
