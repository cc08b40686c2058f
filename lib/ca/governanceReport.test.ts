/** The replay as a pure function over events, as an auditor would run it over an exported chain. */
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../audit';
import { replayGovernance } from './governanceReport';

type Step = [actorId: number | null, action: string, objectId: string, details?: Record<string, unknown>];

const NAMES: Record<number, string> = { 1: 'mallory', 2: 'trent', 3: 'o1', 4: 'o2' };

function chain(steps: readonly Step[]): StoredEvent[] {
  return steps.map(([actorId, action, objectId, details = {}], i) => ({
    seq: BigInt(i + 1),
    chainVersion: 1,
    time: new Date(Date.UTC(2026, 11, 1, 0, 0, i)),
    actorId,
    actor: actorId === null ? 'system' : NAMES[actorId],
    action,
    objectType: action.split('.')[0],
    objectId,
    details,
    prevHash: new Uint8Array(32),
    hash: new Uint8Array(32),
  }));
}

const bootstrapSet: Step[] = [
  [null, 'operator.create', '1', { username: 'mallory', roles: ['ADMIN'], bootstrap: true }],
  [1, 'operator.create', '2', { username: 'trent', roles: ['ADMIN'] }],
  [1, 'operator.create', '3', { username: 'o1', roles: ['OFFICER'] }],
  [1, 'operator.create', '4', { username: 'o2', roles: ['OFFICER'] }],
];
const seal: Step = [1, 'governance.sealed', 'seal', { operators: ['mallory', 'trent', 'o1', 'o2'].map((username) => ({ username })) }];

const rules = (steps: Step[]) => replayGovernance(chain(steps)).violations.map((v) => [v.seq, v.rule, v.operators]);

describe('replayGovernance', () => {
  it('finds nothing wrong in a sealed set whose ceremony had two officers', () => {
    const report = replayGovernance(
      chain([...bootstrapSet, seal, [3, 'rootKeyCeremony.requested', '1', { action: 'CREATE' }], [4, 'rootKeyCeremony.approved', '1'], [4, 'rootKey.created', '90', { ceremonyId: 1 }]]),
    );
    expect(report.violations).toEqual([]);
    expect(report.dualControl.map((a) => a.participants)).toEqual([['o1', 'o2']]);
  });

  it('flags one person in two roles, a ceremony before the seal, and one officer taking both parts', () => {
    expect(
      rules([
        ...bootstrapSet,
        [3, 'rootKeyCeremony.requested', '1', { action: 'CREATE' }],
        [3, 'rootKeyCeremony.approved', '1'],
        [1, 'operator.rolesChanged', '1', { from: ['ADMIN'], to: ['ADMIN', 'OFFICER'] }],
      ]),
    ).toEqual([
      ['5', 'CEREMONY_BEFORE_SEAL', ['o1']],
      ['6', 'DUAL_CONTROL', ['o1']],
      ['7', 'SEPARATION_OF_DUTIES', ['mallory']],
    ]);
  });

  it('flags an operator change after the seal that no second administrator approved, and an approval by its requester', () => {
    expect(
      rules([
        ...bootstrapSet,
        seal,
        [1, 'operator.create', '5', { username: 'o3', roles: ['OFFICER'] }],
        [1, 'operatorChange.requested', '1', { kind: 'CREATE' }],
        [1, 'operatorChange.approved', '1', { kind: 'CREATE', target: 'o4' }],
        [1, 'operator.create', '6', { username: 'o4', roles: ['OFFICER'], changeRequestId: 1 }],
      ]),
    ).toEqual([
      ['6', 'UNAPPROVED_OPERATOR_CHANGE', ['mallory']],
      ['8', 'DUAL_CONTROL', ['mallory']],
    ]);
  });

  it('flags a participant who did not hold the role at that time', () => {
    expect(
      rules([...bootstrapSet, seal, [1, 'operator.disable', '4', {}], [3, 'certificateRequest.reviewed', '7'], [4, 'certificateRequest.approved', '7']]),
    ).toEqual([['8', 'ROLE_REQUIRED', ['o2']]]);
  });
});
