import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "./schema";
import { ConfigErrors, parseStackConfig, rawConfig } from "./validate";

/**
 * Reads every key this stack uses, once, and validates them together. On bad config it fails the program
 * before any resource is registered, listing every problem.
 */
export function readStackConfig(): StackConfig {
  const config = new pulumi.Config();
  try {
    return parseStackConfig(
      rawConfig(
        pulumi.getStack(),
        new pulumi.Config("gcp").get("project"),
        // Raw strings: a section that is not a JSON object is then one problem among the others.
        (key) => config.get(key),
        Object.keys(pulumi.runtime.allConfig()),
      ),
    );
  } catch (e) {
    // RunError prints the message alone, without a stack trace of this program.
    if (e instanceof ConfigErrors) throw new pulumi.RunError(e.message);
    throw e;
  }
}
