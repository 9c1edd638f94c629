// What the sandbox's tests need from the run that started them: the programs scripts/build-tools.sh built.
import { ImageBins, imageBinsFromEnv } from "../../sandbox/images";

export function sandboxBins(): ImageBins {
  const bins = imageBinsFromEnv();
  if (!bins.node || !bins.own || !bins.exporter) {
    throw new Error(
      "the sandbox's tests run through `npm run test:sandbox`, which builds the tools and exports their paths",
    );
  }
  return bins;
}
