/*
 * The OpenID Connect provider of the production sign-in browser test
 * (packages/app/e2e-tests/oidc-sign-in.test.ts): the certified `oidc-provider`
 * package with a login form and the accounts below, started by
 * scripts/e2e-production-server.sh. Test only: passwords are in this file.
 *
 * Environment: MVR_OIDC_PORT (listens on 127.0.0.1, issuer http://127.0.0.1:PORT),
 * MVR_OIDC_CLIENT_ID, MVR_OIDC_CLIENT_SECRET, MVR_OIDC_REDIRECT_URI (the portal's
 * /api/auth/oidc/handler/frame).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

/** Accounts of the IdP. Alice and Carol are catalog users (examples/org.yaml, by e-mail); Eve is not. */
const ACCOUNTS = {
  alice: {
    email: 'alice@acme-bank.example',
    name: 'Alice Martin',
    password: 'alice-test-password',
  },
  carol: {
    email: 'carol@acme-bank.example',
    name: 'Carol Dubois',
    password: 'carol-test-password',
  },
  eve: {
    email: 'eve@elsewhere.example',
    name: 'Eve Outsider',
    password: 'eve-test-password',
  },
};

/** Log lines of the provider, on stderr (shown with the e2e server's output). */
function log(line) {
  process.stderr.write(`${line}\n`);
}

function required(name) {
  const value = process.env[name];
  if (!value) {
    log(`[oidc-idp] environment variable ${name} is required`);
    process.exit(2);
  }
  return value;
}

const port = Number(required('MVR_OIDC_PORT'));
const issuer = `http://127.0.0.1:${port}`;

const signingKey = generateKeyPairSync('rsa', {
  modulusLength: 2048,
}).privateKey.export({ format: 'jwk' });

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: required('MVR_OIDC_CLIENT_ID'),
      client_secret: required('MVR_OIDC_CLIENT_SECRET'),
      redirect_uris: [required('MVR_OIDC_REDIRECT_URI')],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: {
    keys: [{ ...signingKey, kid: 'test-key', use: 'sig', alg: 'RS256' }],
  },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  features: { devInteractions: { enabled: false } },
  interactions: {
    url: (_ctx, { uid }) => `/interaction/${uid}`,
  },
  async findAccount(_ctx, accountId) {
    const account = Object.hasOwn(ACCOUNTS, accountId)
      ? ACCOUNTS[accountId]
      : undefined;
    if (!account) return undefined;
    return {
      accountId,
      claims: async () => ({
        sub: accountId,
        email: account.email,
        email_verified: true,
        name: account.name,
      }),
    };
  },
  // The portal is a first-party client: no consent screen.
  async loadExistingGrant(ctx) {
    const grantId =
      ctx.oidc.result?.consent?.grantId ||
      ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  // Refresh tokens without offline_access, so that a reload of the portal keeps the
  // session (the auth backend refreshes with them).
  async issueRefreshToken(_ctx, client) {
    return client.grantTypeAllowed('refresh_token');
  },
});

const escapeHtml = text =>
  String(text).replace(
    /[&<>"']/g,
    c =>
      ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[
        c
      ]),
  );

function loginPage(uid, error) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ACME Bank sign-in</title></head>
<body><h1>ACME Bank sign-in</h1>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label>Email <input name="email" type="email" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Sign in</button>
</form></body></html>`;
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 16_384) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res, status, html) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
  });
  res.end(html);
}

async function handleInteraction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt } = details;
  if (prompt.name !== 'login') {
    // Consent is granted by loadExistingGrant; nothing else is configured.
    send(res, 501, `<p>Unsupported prompt ${escapeHtml(prompt.name)}</p>`);
    return;
  }
  if (req.method === 'GET') {
    send(res, 200, loginPage(uid));
    return;
  }
  const form = await readForm(req);
  const email = (form.get('email') ?? '').trim().toLowerCase();
  const password = form.get('password') ?? '';
  const accountId = Object.keys(ACCOUNTS).find(
    id => ACCOUNTS[id].email === email,
  );
  if (!accountId || ACCOUNTS[accountId].password !== password) {
    log(`[oidc-idp] refused login for ${JSON.stringify(email)}`);
    send(res, 401, loginPage(uid, 'Wrong e-mail or password.'));
    return;
  }
  log(`[oidc-idp] ${accountId} signed in`);
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId } },
    { mergeWithLastSubmission: false },
  );
}

const oidcCallback = provider.callback();
const server = createServer((req, res) => {
  if (req.url?.startsWith('/interaction/')) {
    handleInteraction(req, res).catch(error => {
      log(`[oidc-idp] interaction failed: ${error}`);
      if (!res.headersSent)
        send(res, 400, `<p>${escapeHtml(error.message)}</p>`);
    });
    return;
  }
  oidcCallback(req, res);
});
server.listen(port, '127.0.0.1', () => {
  log(`[oidc-idp] OpenID provider ${issuer} ready`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
