/** Configuration comes from the environment lib/ (CDK) or local/ (runtime) set from the wiring table. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

export function numberEnv(name: string, fallback: number): number {
  const value = process.env[name];
  const parsed = value === undefined ? Number.NaN : Number(value);
  return Number.isFinite(parsed) ? parsed : fallback;
}
