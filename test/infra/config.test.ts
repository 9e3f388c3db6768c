/** The stage config is checked before anything is built, so a typo in cdk.json fails the synth by name. */
import { describe, expect, it } from 'vitest';
import { loadStage, StageConfigError } from '../../lib/config.js';
import { cdkContext } from './synth.js';

const stages = cdkContext.stages as Record<string, Record<string, unknown>>;

describe('stage config', () => {
  it.each(Object.keys(stages))('accepts the %s stage of cdk.json', (name) => {
    // Act
    const stage = loadStage(name, stages);

    // Assess
    expect(stage.name).toBe(name);
    expect(stage.config.odooWriteConcurrency).toBeGreaterThanOrEqual(2);
  });

  it('refuses more ERA lanes than Odoo writers, naming the field', () => {
    const act = () =>
      loadStage('prod', { prod: { ...stages.prod, odooWriteConcurrency: 2, odooEraLanes: 3 } });
    expect(act).toThrow(StageConfigError);
    expect(act).toThrow(/exceed odooWriteConcurrency.*at odooEraLanes/s);
    expect(
      loadStage('prod', { prod: { ...stages.prod, odooWriteConcurrency: 3, odooEraLanes: 3 } }).config
        .odooEraLanes,
    ).toBe(3);
  });

  it('applies defaults for optional settings', () => {
    const { config } = loadStage('dev', { dev: { ...stages.dev, apiThrottle: undefined } });
    expect(config.apiThrottle).toEqual({ rateLimit: 50, burstLimit: 100 });
  });

  it('rejects a bad config and names every invalid field', () => {
    // Prepare
    const bad = {
      ...stages.dev,
      removalPolicy: 'keep',
      logRetentionDays: 31,
      odooWriteConcurrency: 1,
      monitoring: { alertEmails: { finance: ['not-an-email'] } },
    };

    // Act
    const act = () => loadStage('dev', { dev: bad });

    // Assess
    expect(act).toThrow(StageConfigError);
    expect(act).toThrow(/stages\.dev/);
    for (const field of ['removalPolicy', 'logRetentionDays', 'odooWriteConcurrency', 'alertEmails']) {
      expect(act).toThrow(new RegExp(field));
    }
  });

  it('reads the triage payer windows as data, with 90 / 180 days by default and bad windows refused', () => {
    const { triage: _omitted, ...withoutTriage } = stages.dev as Record<string, unknown>;
    expect(loadStage('dev', { dev: withoutTriage }).config.triage.payerWindows).toEqual({
      default: { filingDays: 90, appealDays: 180 },
      payers: {},
    });
    const bad = {
      ...stages.dev,
      triage: { payerWindows: { payers: { 'PAYER-X': { filingDays: 0, appealDays: 30 } } } },
    };
    expect(() => loadStage('dev', { dev: bad })).toThrow(
      /triage\.payerWindows\.payers\["PAYER-X"\]\.filingDays/,
    );
  });

  it('rejects unknown keys (a typo is not silently ignored)', () => {
    expect(() => loadStage('dev', { dev: { ...stages.dev, odooWriteConcurency: 3 } })).toThrow(
      /odooWriteConcurency/,
    );
  });

  it('rejects an unknown stage, listing the known ones', () => {
    expect(() => loadStage('qa', stages)).toThrow(/Unknown stage "qa".*dev, prod/);
  });

  it('rejects a malformed stage name', () => {
    expect(() => loadStage('Prod!', stages)).toThrow(StageConfigError);
  });

  it('rejects an account that is not 12 digits', () => {
    expect(() => loadStage('dev', { dev: { ...stages.dev, account: '1234' } })).toThrow(/account/);
  });
});
