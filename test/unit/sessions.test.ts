import { SessionStore, csrfMatches, sessionIdOf } from '../../src/api/sessions';

test('when a session is unused for its TTL, then it is gone; use pushes the expiry on up to the absolute limit', () => {
  let now = 1_000_000;
  const store = new SessionStore({ ttlMs: 1000, maxAgeMs: 2500, now: () => now });
  const { id } = store.create({ owner: 'alice', admin: false });
  now += 900;
  expect(store.touch(id)?.owner).toBe('alice');
  now += 900; // 1800 since creation, 900 since last use
  expect(store.touch(id)).toBeDefined();
  now += 900; // 2700 > maxAge
  expect(store.touch(id)).toBeUndefined();
  const b = store.create({ owner: 'bob', admin: false });
  now += 1001;
  expect(store.touch(b.id)).toBeUndefined();
});

test('when a session is deleted, then its id no longer works; a malformed id never matches', () => {
  const store = new SessionStore({ ttlMs: 60_000, maxAgeMs: 60_000 });
  const { id, session } = store.create({ owner: 'alice', admin: true });
  expect(sessionIdOf(`a=b; ty_session=${id}; c=d`)).toBe(id);
  expect(csrfMatches(session, session.csrfToken)).toBe(true);
  expect(csrfMatches(session, session.csrfToken.slice(1))).toBe(false);
  expect(csrfMatches(session, undefined)).toBe(false);
  store.delete(id);
  expect(store.touch(id)).toBeUndefined();
  expect(store.touch('x'.repeat(43))).toBeUndefined();
  expect(store.touch(undefined)).toBeUndefined();
});
