// Compute Engine machine types, sized: vCPUs and memory of every predefined type of the families GKE
// Standard node pools commonly use, and custom types. Anything else is refused, so that the capacity model
// never guesses. Sources (2026-11): Compute Engine docs "General-purpose machine family" (E2, N1, N2, N2D,
// N4, T2D), "Compute-optimized machine family" (C2, C2D, C3), and "Custom machine types"
// (cloud.google.com/compute/docs/general-purpose-machines, .../compute-optimized-machines,
// .../instances/creating-instance-with-custom-machine-type). Compute Engine's "GB" of memory are GiB.

export interface MachineShape {
  vcpus: number;
  memoryMib: number;
  /** e2-micro/small/medium: a fraction of a core, bursting; GKE sizes their CPU differently. */
  sharedCore: boolean;
}

type MachineClass = "standard" | "highmem" | "highcpu";

interface Family {
  /** GiB of memory per vCPU, by class. */
  gibPerVcpu: Partial<Record<MachineClass, number>>;
  /** vCPU counts that exist, by class (a class missing here uses `sizes`). */
  sizes: number[];
  sizesByClass?: Partial<Record<MachineClass, number[]>>;
}

export const FAMILIES: Record<string, Family> = {
  e2: {
    gibPerVcpu: { standard: 4, highmem: 8, highcpu: 1 },
    sizes: [2, 4, 8, 16, 32],
    sizesByClass: { highmem: [2, 4, 8, 16] },
  },
  n1: {
    gibPerVcpu: { standard: 3.75, highmem: 6.5, highcpu: 0.9 },
    sizes: [2, 4, 8, 16, 32, 64, 96],
    sizesByClass: { standard: [1, 2, 4, 8, 16, 32, 64, 96] },
  },
  n2: {
    gibPerVcpu: { standard: 4, highmem: 8, highcpu: 1 },
    sizes: [2, 4, 8, 16, 32, 48, 64, 80, 96, 128],
    sizesByClass: { highcpu: [2, 4, 8, 16, 32, 48, 64, 80, 96] },
  },
  n2d: {
    gibPerVcpu: { standard: 4, highmem: 8, highcpu: 1 },
    sizes: [2, 4, 8, 16, 32, 48, 64, 80, 96, 128, 224],
    sizesByClass: { highmem: [2, 4, 8, 16, 32, 48, 64, 80, 96] },
  },
  n4: { gibPerVcpu: { standard: 4, highmem: 8, highcpu: 2 }, sizes: [2, 4, 8, 16, 32, 48, 64, 80] },
  t2d: { gibPerVcpu: { standard: 4 }, sizes: [1, 2, 4, 8, 16, 32, 48, 60] },
  c2: { gibPerVcpu: { standard: 4 }, sizes: [4, 8, 16, 30, 60] },
  c3: { gibPerVcpu: { standard: 4, highmem: 8, highcpu: 2 }, sizes: [4, 8, 22, 44, 88, 176] },
  c2d: { gibPerVcpu: { standard: 4, highmem: 8, highcpu: 2 }, sizes: [2, 4, 8, 16, 32, 56, 112] },
};

/** e2's shared-core types: [vCPUs the VM reports, memory MiB]. */
const SHARED_CORE: Record<string, [number, number]> = {
  "e2-micro": [2, 1024],
  "e2-small": [2, 2048],
  "e2-medium": [2, 4096],
};

const PREDEFINED = /^([a-z][a-z0-9]*)-(standard|highmem|highcpu)-([0-9]+)$/;
const CUSTOM = /^(?:([a-z][a-z0-9]*)-)?custom-([0-9]+)-([0-9]+)(-ext)?$/;
/** Custom types: memory a multiple of 256 MiB, 0.5-8 GiB per vCPU unless extended memory (-ext). */
const CUSTOM_MIB_PER_VCPU = { min: 512, max: 8192 };

/** The machine's shape, or a sentence saying why it cannot be sized. */
export function machineShape(machineType: string): MachineShape | string {
  const shared = SHARED_CORE[machineType];
  if (shared) return { vcpus: shared[0], memoryMib: shared[1], sharedCore: true };
  const predefined = PREDEFINED.exec(machineType);
  if (predefined) {
    const [, familyName, machineClass, n] = predefined;
    const family = FAMILIES[familyName];
    if (!family)
      return `family ${familyName} is not one the capacity model can size (${Object.keys(FAMILIES).join(", ")}; or a custom type)`;
    const gib = family.gibPerVcpu[machineClass as MachineClass];
    if (gib === undefined) return `${familyName} has no ${machineClass} types`;
    const sizes = family.sizesByClass?.[machineClass as MachineClass] ?? family.sizes;
    const vcpus = Number(n);
    if (!sizes.includes(vcpus)) return `${familyName}-${machineClass} comes in ${sizes.join(", ")} vCPUs, not ${vcpus}`;
    return { vcpus, memoryMib: Math.round(vcpus * gib * 1024), sharedCore: false };
  }
  const custom = CUSTOM.exec(machineType);
  if (custom) {
    const [, familyName = "n1", n, mib, extended] = custom;
    if (!FAMILIES[familyName]) return `family ${familyName} is not one the capacity model can size`;
    const vcpus = Number(n);
    const memoryMib = Number(mib);
    if (vcpus < 1) return "a custom type needs at least 1 vCPU";
    if (memoryMib % 256 !== 0) return `custom memory must be a multiple of 256 MiB, not ${memoryMib}`;
    const perVcpu = memoryMib / vcpus;
    if (perVcpu < CUSTOM_MIB_PER_VCPU.min || (!extended && perVcpu > CUSTOM_MIB_PER_VCPU.max)) {
      return `custom memory must be ${CUSTOM_MIB_PER_VCPU.min}-${CUSTOM_MIB_PER_VCPU.max} MiB per vCPU (or use -ext), not ${perVcpu}`;
    }
    return { vcpus, memoryMib, sharedCore: false };
  }
  return "is not a Compute Engine machine type (e.g. e2-standard-2, n2-highmem-4, e2-medium, n2-custom-4-16384)";
}

/** The next larger predefined type of the same family and class (`n2-highmem-2` -> `n2-highmem-4`). */
export function nextLargerMachineType(machineType: string): string | undefined {
  const m = PREDEFINED.exec(machineType);
  if (!m)
    return machineType === "e2-micro"
      ? "e2-small"
      : machineType === "e2-small"
        ? "e2-medium"
        : machineType === "e2-medium"
          ? "e2-standard-2"
          : undefined;
  const family = FAMILIES[m[1]];
  const sizes = family?.sizesByClass?.[m[2] as MachineClass] ?? family?.sizes ?? [];
  const next = sizes.find((s) => s > Number(m[3]));
  return next === undefined ? undefined : `${m[1]}-${m[2]}-${next}`;
}
