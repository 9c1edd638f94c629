// Google Cloud regions and their zones, for validating cluster.location and cluster.nodeLocations.
// Source: Compute Engine documentation, "Regions and zones" (cloud.google.com/compute/docs/regions-zones),
// as of 2026-11. A zone newer than this table: set cluster.allowUnlistedLocations to true.
export const GCP_LOCATIONS_AS_OF = "2026-11";

const ABC = ["a", "b", "c"];
export const GCP_ZONES: Record<string, string[]> = {
  "africa-south1": ABC,
  "asia-east1": ABC,
  "asia-east2": ABC,
  "asia-northeast1": ABC,
  "asia-northeast2": ABC,
  "asia-northeast3": ABC,
  "asia-south1": ABC,
  "asia-south2": ABC,
  "asia-southeast1": ABC,
  "asia-southeast2": ABC,
  "australia-southeast1": ABC,
  "australia-southeast2": ABC,
  "europe-central2": ABC,
  "europe-north1": ABC,
  "europe-north2": ABC,
  "europe-southwest1": ABC,
  "europe-west1": ["b", "c", "d"],
  "europe-west2": ABC,
  "europe-west3": ABC,
  "europe-west4": ABC,
  "europe-west6": ABC,
  "europe-west8": ABC,
  "europe-west9": ABC,
  "europe-west10": ABC,
  "europe-west12": ABC,
  "me-central1": ABC,
  "me-central2": ABC,
  "me-west1": ABC,
  "northamerica-northeast1": ABC,
  "northamerica-northeast2": ABC,
  "northamerica-south1": ABC,
  "southamerica-east1": ABC,
  "southamerica-west1": ABC,
  "us-central1": ["a", "b", "c", "f"],
  "us-east1": ["b", "c", "d"],
  "us-east4": ABC,
  "us-east5": ABC,
  "us-south1": ABC,
  "us-west1": ABC,
  "us-west2": ABC,
  "us-west3": ABC,
  "us-west4": ABC,
};

const ZONE = /^([a-z]+-[a-z]+[0-9]+)-([a-z])$/;
const REGION = /^[a-z]+-[a-z]+[0-9]+$/;

export type Location = { kind: "zone"; region: string } | { kind: "region"; region: string };

/** A location's kind, or why it is not one (`allowUnlisted`: accept well-formed names the table lacks). */
export function gcpLocation(name: string, allowUnlisted: boolean): Location | string {
  const zone = ZONE.exec(name);
  if (zone) {
    if (allowUnlisted || GCP_ZONES[zone[1]]?.includes(zone[2])) return { kind: "zone", region: zone[1] };
    const zones = GCP_ZONES[zone[1]];
    return zones
      ? `is not a zone of ${zone[1]} (${zones.map((z) => `${zone[1]}-${z}`).join(", ")}); pick one, or set cluster.allowUnlistedLocations if it is newer than this table (${GCP_LOCATIONS_AS_OF})`
      : `is not in a known region; pick a zone such as us-central1-f, or set cluster.allowUnlistedLocations if it is newer than this table (${GCP_LOCATIONS_AS_OF})`;
  }
  if (REGION.test(name)) {
    if (allowUnlisted || GCP_ZONES[name]) return { kind: "region", region: name };
    return `is not a known region; pick one such as us-central1, or set cluster.allowUnlistedLocations if it is newer than this table (${GCP_LOCATIONS_AS_OF})`;
  }
  return "is neither a zone (e.g. us-central1-f) nor a region (e.g. us-central1); set a valid GCP location";
}
