// Issue 11: the Temporal CLI hints we print (demo "Where to look", npm start) dial the server the
// stack runs, not the CLI's default 7233.
import { temporalCliHint } from '../../src/temporal/cli-path';

test('when the dev server runs on the default port, then the hint is the plain CLI', () => {
  expect(temporalCliHint('127.0.0.1:7233')).toBe('.temporal/bin/temporal');
});

test('when TEMPORAL_PORT is not the default (or the namespace is another), then the hint names --address (and -n)', () => {
  expect(temporalCliHint('127.0.0.1:37233')).toBe('.temporal/bin/temporal --address 127.0.0.1:37233');
  expect(temporalCliHint('temporal:7233', 'ml')).toBe('.temporal/bin/temporal --address temporal:7233 -n ml');
});
