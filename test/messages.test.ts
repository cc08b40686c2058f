/**
 * The console's two message catalogues: every key in one is in the other (a string added in one
 * language only shows its raw key in the other), and every API token scope has its label (the
 * WITNESS scope once showed `apiTokenAdmin.scopes.WITNESS` in the token form).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ApiTokenScope } from '../lib/db/generated/enums';

type Catalogue = { [key: string]: string | Catalogue };
const load = (locale: string) => JSON.parse(readFileSync(`messages/${locale}.json`, 'utf8')) as Catalogue;
const keys = (c: Catalogue, prefix = ''): string[] => Object.entries(c).flatMap(([k, v]) => (typeof v === 'string' ? [`${prefix}${k}`] : keys(v, `${prefix}${k}.`)));

describe('messages', () => {
  const zh = load('zh-CN');
  const en = load('en');

  it('has the same keys in Chinese and English', () => {
    expect(keys(en).sort()).toEqual(keys(zh).sort());
  });

  it('labels every API token scope in both languages', () => {
    for (const catalogue of [zh, en]) {
      const scopes = (catalogue.apiTokenAdmin as Catalogue).scopes as Catalogue;
      expect(Object.keys(scopes).sort()).toEqual(Object.values(ApiTokenScope).sort());
    }
  });
});
