// Mints the gate tests' keys and tokens with panva/jose (and node:crypto for what jose refuses to
// produce, such as a 1024-bit RSA signature), so that nimbus-jose-jwt, the verifier under test,
// never judges tokens it made itself. Usage: node mint.mjs <issuer> <audience>
// Prints one JSON object: { jwks, jwksRotated, jwksWithoutA, tokens: { case: token } }.
import { generateKeyPair, importJWK, exportJWK, exportSPKI, SignJWT, CompactSign, CompactEncrypt, base64url } from 'jose';
import crypto from 'node:crypto';

const [issuer, audience] = process.argv.slice(2);
const now = Math.floor(Date.now() / 1000);
const hex = (n) => crypto.randomBytes(n).toString('hex');
const enc = new TextEncoder();

async function rsa(bits = 2048) {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { modulusLength: bits, extractable: true });
  return { publicKey, privateKey, kid: hex(32) };
}

const a = await rsa();
const b = await rsa();
const attacker = await rsa();
const encryption = await rsa();
const ec = await generateKeyPair('ES256', { extractable: true });
ec.kid = hex(32);
const weak = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
weak.kid = hex(32);

// WebCrypto keys are bound to one algorithm: the same key material under another one.
const as = async (key, alg) => importJWK(await exportJWK(key), alg);
const pub = async (key, kid, alg, extra = {}) => ({ ...(await exportJWK(key)), kid, alg, use: 'sig', ...extra });
const jwkA = await pub(a.publicKey, a.kid, 'RS256');
const jwkB = await pub(b.publicKey, b.kid, 'RS256');
const jwkEc = await pub(ec.publicKey, ec.kid, 'ES256');
const jwkWeak = { ...weak.publicKey.export({ format: 'jwk' }), kid: weak.kid, alg: 'RS256', use: 'sig' };
const jwkEnc = { ...(await exportJWK(encryption.publicKey)), kid: encryption.kid, alg: 'RS256', use: 'enc' };
const certsShape = (keys) => ({ keys, public_cert: { kid: keys[0].kid, cert: '-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n' }, public_certs: [] });

const claims = (extra = {}) => ({
  iss: issuer, aud: [audience], sub: '7335d417-61da-459d-899c-0a01c76a2f94', email: 'alice@example.com',
  type: 'app', identity_nonce: hex(8), country: 'NL', iat: now, nbf: now, exp: now + 600, ...extra,
});
const without = (object, ...names) => { const copy = { ...object }; names.forEach((n) => delete copy[n]); return copy; };

async function sign(payload, { key = a.privateKey, kid = a.kid, alg = 'RS256', header = {} } = {}) {
  const protectedHeader = { alg, typ: 'JWT', ...(kid ? { kid } : {}), ...header };
  Object.keys(protectedHeader).forEach((k) => protectedHeader[k] === undefined && delete protectedHeader[k]);
  return new CompactSign(enc.encode(typeof payload === 'string' ? payload : JSON.stringify(payload)))
    .setProtectedHeader(protectedHeader).sign(key, header.crit ? { crit: Object.fromEntries(header.crit.map((c) => [c, true])) } : undefined);
}

// HMAC keyed with the public key's bytes: the classic RS/HS confusion.
async function hmacWith(secretBytes) {
  return new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: a.kid }).sign(secretBytes);
}

function rawJws(headerObject, payloadText, signer) {
  const input = base64url.encode(JSON.stringify(headerObject)) + '.' + base64url.encode(payloadText);
  return input + '.' + (signer ? base64url.encode(signer(input)) : '');
}

const valid = await sign(claims());
const [h, p, s] = valid.split('.');
const flip = (segment) => segment.slice(0, 10) + (segment[10] === 'A' ? 'B' : 'A') + segment.slice(11);
const spki = await exportSPKI(a.publicKey);

const tokens = {
  'valid': valid,
  'valid-service-token': await sign(without(claims({ sub: '', common_name: 'f1e2d3c4b5.access' }), 'email', 'nbf')),
  'valid-expired-within-skew': await sign(claims({ iat: now - 630, nbf: now - 630, exp: now - 30 })),
  'valid-aud-string': await sign(claims({ aud: audience })),
  'valid-aud-one-of-many': await sign(claims({ aud: ['another-app-tag', audience] })),
  'valid-typ-absent': await sign(claims(), { header: { typ: undefined } }),
  'valid-es256': await sign(claims(), { key: ec.privateKey, kid: ec.kid, alg: 'ES256' }),
  'expired': await sign(claims({ iat: now - 7200, nbf: now - 7200, exp: now - 3600 })),
  'not-yet-valid': await sign(claims({ nbf: now + 3600, exp: now + 7200 })),
  'issued-in-future': await sign(claims({ iat: now + 3600, nbf: undefined, exp: now + 7200 })),
  'missing-exp': await sign(without(claims(), 'exp')),
  'lifetime-ten-years': await sign(claims({ exp: now + 10 * 365 * 86400 })),
  'wrong-aud': await sign(claims({ aud: ['another-app-tag'] })),
  'aud-empty': await sign(claims({ aud: [] })),
  'wrong-iss': await sign(claims({ iss: 'https://evil.example.com' })),
  'iss-other-team': await sign(claims({ iss: issuer.replace('://', '://other') })),
  'iss-trailing-slash': await sign(claims({ iss: issuer + '/' })),
  'type-org': await sign(claims({ type: 'org' })),
  'type-missing': await sign(without(claims(), 'type')),
  'alg-none': rawJws({ alg: 'none', typ: 'JWT' }, JSON.stringify(claims())),
  'alg-none-with-signature': rawJws({ alg: 'none', typ: 'JWT', kid: a.kid }, JSON.stringify(claims())) + s,
  'alg-None-mixed-case': rawJws({ alg: 'None', typ: 'JWT', kid: a.kid }, JSON.stringify(claims())) + s,
  'hs256-with-rsa-pem': await hmacWith(enc.encode(spki)),
  'hs256-with-rsa-jwk': await hmacWith(enc.encode(JSON.stringify(jwkA))),
  'hs256-with-rsa-modulus': await hmacWith(base64url.decode(jwkA.n)),
  'rs384-right-key': await sign(claims(), { key: await as(a.privateKey, 'RS384'), alg: 'RS384' }),
  'ps256-right-key': await sign(claims(), { key: await as(a.privateKey, 'PS256'), alg: 'PS256' }),
  'unknown-kid': await sign(claims(), { key: attacker.privateKey, kid: hex(32) }),
  'kid-path-traversal': await sign(claims(), { key: attacker.privateKey, kid: '../../../../dev/null' }),
  'kid-sql': await sign(claims(), { key: attacker.privateKey, kid: "x' OR '1'='1" }),
  'kid-known-wrong-key': await sign(claims(), { key: attacker.privateKey, kid: a.kid }),
  'no-kid-attacker-key': await sign(claims(), { key: attacker.privateKey, kid: null }),
  'jwk-header-attacker-key': await sign(claims(), { key: attacker.privateKey, kid: null, header: { jwk: await exportJWK(attacker.publicKey) } }),
  'jku-attacker': await sign(claims(), { key: attacker.privateKey, kid: null, header: { jku: 'http://127.0.0.1:9/jwks.json' } }),
  'x5u-attacker': await sign(claims(), { key: attacker.privateKey, kid: null, header: { x5u: 'http://127.0.0.1:9/cert.pem' } }),
  'tampered-payload': h + '.' + base64url.encode(JSON.stringify(claims({ email: 'mallory@example.com' }))) + '.' + s,
  'tampered-header': base64url.encode(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: a.kid, x: 1 })) + '.' + p + '.' + s,
  'tampered-signature': h + '.' + p + '.' + flip(s),
  'truncated-signature': h + '.' + p + '.' + s.slice(0, s.length - 8),
  'stripped-signature': h + '.' + p + '.',
  'crit-unknown': await sign(claims(), { header: { crit: ['exp-gate'], 'exp-gate': 1 } }),
  'typ-at-jwt': await sign(claims(), { header: { typ: 'at+jwt' } }),
  'duplicate-claim': await sign('{"iss":"' + issuer + '","aud":["' + audience + '"],"sub":"a","sub":"b","type":"app","iat":' + now + ',"exp":' + (now + 600) + '}'),
  'duplicate-header-param': null, // set below with node:crypto
  'exp-as-string': await sign(claims({ exp: String(now + 600) })),
  'email-as-array': await sign(claims({ email: ['alice@example.com'] })),
  'groups-as-number': await sign(claims({ groups: 5 })),
  'payload-json-array': await sign('[1,2,3]'),
  'payload-nested-jwt': await sign(valid, { header: { cty: 'JWT' } }),
  'jwe-compact': await new CompactEncrypt(enc.encode(valid)).setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: a.kid }).encrypt(await as(a.publicKey, 'RSA-OAEP-256')),
  'two-segments': h + '.' + p,
  'four-segments': valid + '.' + s,
  'empty': '',
  'bearer-prefix': 'Bearer ' + valid,
  'non-ascii': valid.slice(0, 20) + '\u00e9' + valid.slice(21),
  'base64-padding': valid + '==',
  'base64-standard-alphabet': h + '.' + p + '.' + s.replace(/-/g, '+').replace(/_/g, '/'),
  'malformed-base64': h + '.' + p.slice(0, 5) + '!' + p.slice(6) + '.' + s,
  'oversized': await sign(claims({ padding: 'x'.repeat(5000) })),
  'weak-1024-bit-key': rawJws({ alg: 'RS256', typ: 'JWT', kid: weak.kid }, JSON.stringify(claims()), (input) => crypto.sign('sha256', Buffer.from(input), weak.privateKey)),
  'encryption-key-used-to-sign': await sign(claims(), { key: encryption.privateKey, kid: encryption.kid }),
  // For the rotation test, not the table: signed by B, which the served set does not hold at first.
  'rotated-key-b': await sign(claims(), { key: b.privateKey, kid: b.kid }),
  'rotated-key-b-fresh-1': await sign(claims({ jti: hex(8) }), { key: b.privateKey, kid: b.kid }),
  'rotated-key-b-fresh-2': await sign(claims({ jti: hex(8) }), { key: b.privateKey, kid: b.kid }),
  'key-a-fresh-1': await sign(claims({ jti: hex(8) })),
  'identity-bob-family': await sign(claims({ email: 'bob@family.example', groups: ['family'] })),
  'identity-carol-admins': await sign(claims({ email: 'carol@corp.example', groups: ['admins', 'staff'] })),
};
// Keys exported by jose are CryptoKeys in node 20: sign the duplicate-header case with node:crypto from the JWK.
{
  const privateJwk = await exportJWK(a.privateKey);
  const header = '{"alg":"RS256","alg":"RS256","typ":"JWT","kid":"' + a.kid + '"}';
  const input = base64url.encode(header) + '.' + p;
  const key = crypto.createPrivateKey({ key: privateJwk, format: 'jwk' });
  tokens['duplicate-header-param'] = input + '.' + base64url.encode(crypto.sign('sha256', Buffer.from(input), key));
}

console.log(JSON.stringify({
  now,
  jwks: certsShape([jwkA, jwkEc, jwkWeak, jwkEnc]),
  jwksRotated: certsShape([jwkA, jwkB, jwkEc]),
  jwksWithoutA: certsShape([jwkB, jwkEc]),
  tokens,
}));
