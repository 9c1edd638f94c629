// A small schema for the stack's structured config keys: each field declared once, with its type, default,
// description and value check. The parser, the types, the defaults, Pulumi.yaml's declarations and the
// README's key table all come from these declarations.

/** A check of a well-typed value: undefined when good, else what is wrong and the fix ("is not ...; use ..."). */
export type Check<T> = (value: T) => string | undefined;

interface Base<T> {
  default: T;
  doc: string;
  check?: Check<T>;
}
export interface StringField extends Base<string> {
  kind: "string";
}
export interface IntegerField extends Base<number> {
  kind: "integer";
  min: number;
  max: number;
}
export interface BooleanField extends Base<boolean> {
  kind: "boolean";
}
export interface EnumField<E extends string = string> extends Base<E> {
  kind: "enum";
  values: readonly E[];
}
export interface ListField<I extends Field = Field> {
  kind: "list";
  item: I;
  doc: string;
  default: Value<I>[];
  unique?: (item: Value<I>) => string;
}
export interface ObjectField<F extends Fields = Fields> {
  kind: "object";
  fields: F;
  doc: string;
}
export type Field = StringField | IntegerField | BooleanField | EnumField<any> | ListField<any> | ObjectField<any>;
export type Fields = Record<string, Field>;

export type Value<F> = F extends StringField
  ? string
  : F extends IntegerField
    ? number
    : F extends BooleanField
      ? boolean
      : F extends EnumField<infer E>
        ? E
        : F extends ListField<infer I>
          ? Value<I>[]
          : F extends ObjectField<infer G>
            ? { [K in keyof G]: Value<G[K]> }
            : never;
export type ValuesOf<F extends Fields> = { [K in keyof F]: Value<F[K]> };

export const string = (doc: string, dflt: string, check?: Check<string>): StringField => ({
  kind: "string",
  doc,
  default: dflt,
  check,
});
export const integer = (doc: string, dflt: number, min: number, max: number): IntegerField => ({
  kind: "integer",
  doc,
  default: dflt,
  min,
  max,
});
export const boolean = (doc: string, dflt: boolean): BooleanField => ({ kind: "boolean", doc, default: dflt });
export const oneOf = <E extends string>(doc: string, dflt: E, values: readonly E[]): EnumField<E> => ({
  kind: "enum",
  doc,
  default: dflt,
  values,
});
export const list = <I extends Field>(
  doc: string,
  item: I,
  unique?: (item: Value<I>) => string,
  dflt: Value<I>[] = [],
): ListField<I> => ({ kind: "list", doc, item, default: dflt, unique });
export const object = <F extends Fields>(doc: string, fields: F): ObjectField<F> => ({ kind: "object", doc, fields });

/** The default value of a field (an object's is its fields' defaults). */
export function defaultOf<F extends Field>(field: F): Value<F> {
  if (field.kind !== "object") return structuredClone(field.default) as Value<F>;
  return Object.fromEntries(Object.entries(field.fields as Fields).map(([k, f]) => [k, defaultOf(f)])) as Value<F>;
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(
        row[j] + 1,
        row[j - 1] + 1,
        diagonal + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1),
      );
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The known name closest to `name`, if it is close enough to be a typo. */
export function closest(name: string, known: string[]): string | undefined {
  const lower = name.toLowerCase();
  const prefix = known.find((k) => k.toLowerCase().startsWith(lower) || lower.startsWith(k.toLowerCase()));
  if (prefix) return prefix;
  const [best, d] = known.map((k) => [k, distance(name, k)] as const).sort((a, b) => a[1] - b[1])[0] ?? [];
  return best !== undefined && d! <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

const show = (value: unknown) => JSON.stringify(value) ?? String(value);

/**
 * Reads `raw` against `field` at `path`, recording every problem (the path, the bad value, the fix) and
 * falling back to the default where a value is bad, so that all problems are found in one pass.
 */
export function read<F extends Field>(field: F, raw: unknown, path: string, problems: string[]): Value<F> {
  const fail = (value: unknown, why: string) => {
    problems.push(`${path}: ${show(value)} ${why}`);
  };
  const fallback = () => defaultOf(field);
  if (raw === undefined || raw === null) return fallback();
  switch (field.kind) {
    case "object": {
      if (typeof raw !== "object" || Array.isArray(raw)) {
        fail(
          raw,
          `is not an object; set its fields one by one with \`pulumi config set --path memcached-gke:${path}.<field> <value>\``,
        );
        return fallback();
      }
      const known = Object.keys(field.fields);
      for (const key of Object.keys(raw)) {
        if (known.includes(key)) continue;
        const guess = closest(key, known);
        const keyPath = /^[A-Za-z_][\w-]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
        problems.push(
          `${keyPath}: unknown field${guess ? `; did you mean ${guess}?` : `; known fields: ${known.join(", ")}`}`,
        );
      }
      return Object.fromEntries(
        known.map((k) => [k, read(field.fields[k], (raw as Record<string, unknown>)[k], `${path}.${k}`, problems)]),
      ) as Value<F>;
    }
    case "list": {
      if (!Array.isArray(raw)) {
        fail(raw, `is not a list; set items with \`pulumi config set --path 'memcached-gke:${path}[0]' <value>\``);
        return fallback();
      }
      const items = raw.map((item, i) => read(field.item, item, `${path}[${i}]`, problems));
      if (field.unique) {
        const seen = new Map<string, number>();
        items.forEach((item, i) => {
          const key = field.unique!(item);
          if (seen.has(key))
            problems.push(`${path}[${i}]: ${show(raw[i])} repeats ${path}[${seen.get(key)}]; list each only once`);
          else seen.set(key, i);
        });
      }
      return items as Value<F>;
    }
    case "string": {
      if (typeof raw !== "string") {
        fail(raw, "is not a string; quote it");
        return fallback();
      }
      return checked<string>(field, raw, fail, fallback);
    }
    case "integer": {
      // `pulumi config set` without --path stores numbers as strings.
      const value = typeof raw === "string" && /^-?[0-9]+$/.test(raw) ? Number(raw) : raw;
      if (typeof value !== "number" || !Number.isInteger(value) || value < field.min || value > field.max) {
        fail(raw, `is not a whole number from ${field.min} to ${field.max}; set one in that range`);
        return fallback();
      }
      return checked<number>(field, value as number, fail, fallback);
    }
    case "boolean": {
      const value = raw === "true" ? true : raw === "false" ? false : raw;
      if (typeof value !== "boolean") {
        fail(raw, "is not true or false; set one of them");
        return fallback();
      }
      return value as Value<F>;
    }
    case "enum": {
      if (!field.values.includes(raw as string)) {
        const guess = typeof raw === "string" ? closest(raw, [...field.values]) : undefined;
        fail(raw, `is not one of ${field.values.join(", ")}; ${guess ? `did you mean ${guess}?` : "pick one of them"}`);
        return fallback();
      }
      return raw as Value<F>;
    }
  }
}

function checked<T>(field: Base<T>, value: T, fail: (value: unknown, why: string) => void, fallback: () => any): any {
  const problem = field.check?.(value);
  if (problem === undefined) return value;
  fail(value, problem);
  return fallback();
}
