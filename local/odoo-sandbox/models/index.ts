import { Env, Registry } from '../orm.js';
import type { Store } from '../store.js';
import { defineMoveIndexes, registerAccountMoveModels } from './account_move.js';
import { registerReversalWizard } from './account_move_reversal.js';
import { registerPaymentModels } from './account_payment.js';
import { ADMIN_UID, registerBaseModels, seedBase } from './base.js';
import { defineXmlidIndexes, registerIrModelData } from './ir_model_data.js';

export function buildRegistry(): Registry {
  const registry = new Registry();
  registerBaseModels(registry);
  registerIrModelData(registry);
  registerAccountMoveModels(registry);
  registerPaymentModels(registry);
  registerReversalWizard(registry);
  return registry;
}

/** The look-ups the models make by key instead of scanning a table (Odoo's database indexes). */
export function defineLookupIndexes(store: Store): void {
  defineXmlidIndexes(store);
  defineMoveIndexes(store);
}

/** Wipes the store and writes the seed data a fresh database starts with. */
export function seed(store: Store, registry: Registry): void {
  store.clear();
  store.transaction(() => seedBase(new Env(store, registry, ADMIN_UID)));
}
