// An OpenID provider for the tests: node-oidc-provider (OpenID Certified) on 127.0.0.1, with
// the users, client and signing keys of a JSON file (tests/oidc.py writes it), and a login
// and consent page of its own, as a real identity provider has. SIGHUP re-reads the users
// (an administrator's changes: the user info answers with them at once) and the keys (a
// rotation: the JWKS then publishes only the new ones, and new tokens are signed with them).
//
//   node tests/support/oidc_provider.mjs <config.json>
//
// config.json: {issuer, port, keys_file, client: {client_id, client_secret, redirect_uris},
//               other_clients: [{client_id, client_secret, redirect_uris}] (optional),
//               claims: {scope: [claim, ...]} (optional),
//               access_token_seconds: N (optional: refresh tokens, see below),
//               users: [{sub, username, password, claims: {...}}]}

import { readFileSync } from "node:fs";
import http from "node:http";
import Provider from "oidc-provider";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
let bySub;
let byName;
function readUsers() {
  const { users } = JSON.parse(readFileSync(process.argv[2], "utf8"));
  bySub = new Map(users.map((user) => [user.sub, user]));
  byName = new Map(users.map((user) => [user.username, user]));
}
readUsers();

function readKeys() {
  return JSON.parse(readFileSync(config.keys_file, "utf8")).keys;
}

// With access_token_seconds, as Keycloak by default: access tokens that last that long, and
// a refresh token with every code's tokens (node-oidc-provider 9.13's default
// issueRefreshToken, lib/helpers/defaults.js, wants the offline_access scope besides the
// refresh_token grant; Keycloak's standard flow issues one without it), and the revocation
// endpoint (RFC 7009), where a client revokes its own tokens (revoking a refresh token
// revokes its grant: defaults.js revokeGrantPolicy). No clock tolerance: the default, 15 s
// (defaults.js clockTolerance), would let a token of a few seconds live on.
const refreshing = config.access_token_seconds !== undefined;

function makeProvider(keys) {
  const provider = new Provider(config.issuer, {
    clients: [config.client, ...(config.other_clients ?? [])].map((client) => ({
      ...client,
      grant_types: refreshing ? ["authorization_code", "refresh_token"] : ["authorization_code"],
      response_types: ["code"],
    })),
    ...(refreshing
      ? {
          ttl: { AccessToken: config.access_token_seconds },
          // Expired is expired (the default, 15 s, would outlast these tokens).
          clockTolerance: 0,
          issueRefreshToken: async (ctx, client) => client.grantTypeAllowed("refresh_token"),
        }
      : {}),
    jwks: { keys },
    // The account id is the user's sub, which differs from every name claim.
    async findAccount(ctx, sub) {
      const user = bySub.get(sub);
      if (user === undefined) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...user.claims }) };
    },
    // The claims of each scope: Dex's "groups" scope unless the config says (Keycloak's
    // group mapper adds them to its default scopes instead).
    claims: config.claims ?? {
      openid: ["sub"],
      profile: ["preferred_username", "name"],
      email: ["email", "email_verified"],
      groups: ["groups"],
    },
    scopes: ["openid", "profile", "email", "groups"],
    // Claims of the granted scopes go into the ID token, as Keycloak, Okta and Dex put them
    // there (the hub reads the ID token only).
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: false },
      revocation: {
        enabled: refreshing,
        allowedPolicy: async (ctx, client, token) => token.clientId === client.clientId,
      },
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: ["test-cookie-key-not-secret"] },
  });
  return provider;
}

let provider = makeProvider(readKeys());
let handle = provider.callback();
let kids = readKeys().map((key) => key.kid).join(" ");
process.on("SIGHUP", () => {
  readUsers();
  // A new provider only for new keys: one for new users alone would forget every grant and
  // token it issued (its store is in memory), which no identity provider does.
  if (readKeys().map((key) => key.kid).join(" ") !== kids) {
    kids = readKeys().map((key) => key.kid).join(" ");
    provider = makeProvider(readKeys());
    handle = provider.callback();
  }
  console.log(`keys: ${kids}`);
});
process.on("SIGTERM", () => process.exit(0));

function page(res, status, body) {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8" });
  res.end(`<!doctype html><html><body>${body}</body></html>`);
}

async function form(req) {
  let body = "";
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (req.method === "GET") {
    if (details.prompt.name === "login") {
      return page(
        res,
        200,
        `<form method="post" action="/interaction/${uid}/login">` +
          '<input name="username"><input name="password" type="password"></form>',
      );
    }
    return page(
      res,
      200,
      `<form method="post" action="/interaction/${uid}/confirm"><button>Allow</button></form>`,
    );
  }
  if (action === "login") {
    const fields = await form(req);
    const user = byName.get(fields.get("username"));
    if (user === undefined || user.password !== fields.get("password")) {
      return page(res, 401, "invalid user name or password");
    }
    return provider.interactionFinished(
      req,
      res,
      { login: { accountId: user.sub } },
      { mergeWithLastSubmission: false },
    );
  }
  // Consent: grant what the client asked for (node-oidc-provider's documented grant flow).
  const { prompt, params, session, grantId } = details;
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  const missing = prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(" "));
  }
  return provider.interactionFinished(
    req,
    res,
    { consent: { grantId: await grant.save() } },
    { mergeWithLastSubmission: true },
  );
}

const INTERACTION = /^\/interaction\/([^/]+)(?:\/(login|confirm))?$/;

const server = http.createServer((req, res) => {
  const match = INTERACTION.exec(new URL(req.url, config.issuer).pathname);
  if (match === null) return handle(req, res);
  interaction(req, res, match[1], match[2]).catch((error) => {
    console.error(error);
    page(res, 400, `interaction failed: ${error.message}`);
  });
});
server.listen(config.port, "127.0.0.1", () => console.log(`listening on ${config.issuer}`));
