// Kubernetes resource quantities, as the stack writes them: CPU as `500m` or `1`/`1.5`, memory in `Mi`.

const CPU = /^([0-9]+)m$|^([0-9]+(\.[0-9]{1,3})?)$/;

/** Millicores of a CPU quantity (`250m`, `1`, `1.5`); NaN for anything else. */
export function cpuMillis(quantity: string): number {
  const m = CPU.exec(quantity);
  if (!m) return NaN;
  return m[1] !== undefined ? Number(m[1]) : Math.round(Number(m[2]) * 1000);
}

/** The CPU quantity Kubernetes prints for a number of millicores: whole cores as `2`, the rest as `750m`. */
export function cpuQuantity(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/** Kubernetes quantity for a MiB figure. */
export const mebibytes = (mib: number): string => `${mib}Mi`;

const MEMORY = /^([0-9]+)(Ki|Mi|Gi)?$/;
const MEMORY_UNIT_MIB: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, "": 1 / (1024 * 1024) };

/** MiB (rounded down) of a memory quantity in bytes, Ki, Mi or Gi (what `kubectl get node` prints); NaN otherwise. */
export function memoryMib(quantity: string): number {
  const m = MEMORY.exec(quantity);
  return m ? Math.floor(Number(m[1]) * MEMORY_UNIT_MIB[m[2] ?? ""]) : NaN;
}
