import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { localKeys, viewerFromAuthorization } from '../../src/auth/tokens.js';
import { fromGlobalId, idOf, toGlobalId } from '../../src/resolvers/globalId.js';
import { decodeCursor, encodeCursor } from '../../src/store/pagination.js';

const secret = randomBytes(32);
const keys = localKeys(secret, 'liandong-test');

describe('viewer from a Bearer token', () => {
  test('a minted token gives back its viewer', async () => {
    const token = await keys.sign({ subject: 'u1', role: 'grid-worker', gridIds: ['3', '4'], streetIds: ['2'], department: 'police', name: '李娜' });
    expect(await viewerFromAuthorization(keys, `Bearer ${token}`)).toEqual({
      authenticated: true, subject: 'u1', name: '李娜', role: 'grid-worker', gridIds: ['3', '4'], streetIds: ['2'], department: 'police',
    });
  });

  test('no header is the anonymous viewer', async () => {
    expect(await viewerFromAuthorization(keys, undefined)).toEqual({ authenticated: false });
  });

  test('expired, foreign-key, wrong-issuer, role-less and malformed tokens are refused with a reason', async () => {
    const expired = await keys.sign({ subject: 'u', role: 'police', expiresIn: '-1m' });
    await expect(viewerFromAuthorization(keys, `Bearer ${expired}`)).rejects.toThrow(/expired/);
    const foreign = await localKeys(randomBytes(32), 'liandong-test').sign({ subject: 'u', role: 'police' });
    await expect(viewerFromAuthorization(keys, `Bearer ${foreign}`)).rejects.toThrow(/not valid for this hub/);
    const otherIssuer = await localKeys(secret, 'elsewhere').sign({ subject: 'u', role: 'police' });
    await expect(viewerFromAuthorization(keys, `Bearer ${otherIssuer}`)).rejects.toThrow(/not valid/);
    const noRole = await new SignJWT({ role: 'emperor' }).setProtectedHeader({ alg: 'HS256' }).setSubject('u')
      .setIssuer('liandong-test').setExpirationTime('1h').sign(secret);
    await expect(viewerFromAuthorization(keys, `Bearer ${noRole}`)).rejects.toThrow(/lacks a valid sub or role/);
    await expect(viewerFromAuthorization(keys, 'Basic dXNlcjpwYXNz')).rejects.toThrow(/must be "Bearer <token>"/);
  });
});

describe('global ids and cursors', () => {
  test('round-trip, and refuse what the API did not issue', () => {
    const id = toGlobalId('Person', '42');
    expect(fromGlobalId(id)).toEqual({ type: 'Person', id: '42' });
    expect(() => idOf('Building', id)).toThrow(/Expected the id of a Building, got the id of a Person/);
    expect(() => fromGlobalId(Buffer.from('Person:1 or 1=1').toString('base64url'))).toThrow(/not an id this API issued/);
    expect(() => fromGlobalId(Buffer.from('Secret:1').toString('base64url'))).toThrow(/not an id/);
    expect(decodeCursor(encodeCursor('17'))).toBe('17');
    expect(() => decodeCursor(Buffer.from("c:1'; drop table person").toString('base64url'))).toThrow(/Invalid cursor/);
  });
});

describe('tokens from an identity provider (JWKS)', () => {
  test('an RS256 token signed by a key the JWKS publishes is accepted; others are not', async () => {
    const { generateKeyPair, exportJWK, SignJWT: Sign } = await import('jose');
    const { createServer } = await import('node:http');
    const { remoteJwks } = await import('../../src/auth/tokens.js');
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const stranger = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const server = createServer((_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const verifier = remoteJwks(`http://127.0.0.1:${port}/jwks.json`, 'https://idp.example');
      const sign = (key: typeof privateKey) => new Sign({ role: 'fire' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setSubject('firefighter-3')
        .setIssuer('https://idp.example').setExpirationTime('5m').sign(key);
      expect(await viewerFromAuthorization(verifier, `Bearer ${await sign(privateKey)}`)).toMatchObject({ authenticated: true, subject: 'firefighter-3', role: 'fire' });
      await expect(viewerFromAuthorization(verifier, `Bearer ${await sign(stranger.privateKey)}`)).rejects.toThrow(/not valid for this hub/);
      await expect(viewerFromAuthorization(verifier, `Bearer ${await keys.sign({ subject: 'u', role: 'fire' })}`)).rejects.toThrow(/not valid/);
    } finally {
      server.close();
    }
  });
});
