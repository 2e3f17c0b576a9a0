import { stackTags, StackTagsError } from '../../lib/config/stack-tags';

describe('stackTags', () => {
  it('tags every stage with the service and the stage', () => {
    expect(stackTags('hotglue-webhooks', 'prod')).toEqual({
      service: 'hotglue-webhooks',
      stage: 'prod',
    });
  });

  it('adds the tags param, trimmed, a value may hold "=" and be empty', () => {
    expect(stackTags('s', 'dev', ' team = data ,owner=a=b, empty=')).toEqual({
      service: 's',
      stage: 'dev',
      team: 'data',
      owner: 'a=b',
      empty: '',
    });
  });

  it.each([
    ['team', /not key=value/],
    ['=data', /not key=value/],
    ['stage=other', /set by the stack itself/],
    ['SERVICE=other', /set by the stack itself/],
    ['team=a,Team=b', /one key to IAM/],
    [' =x', /not key=value/],
    ['aws:created=x', /aws: prefix/],
    ['team=a;b', /character AWS does not allow/],
    [`${'k'.repeat(129)}=v`, /longer than AWS allows/],
    [Array.from({ length: 49 }, (_, i) => `t${i}=v`).join(','), /at most 50 tags/],
  ])('refuses %s with a reason', (param, reason) => {
    expect(() => stackTags('s', 'dev', param)).toThrow(StackTagsError);
    expect(() => stackTags('s', 'dev', param)).toThrow(reason);
  });
});
