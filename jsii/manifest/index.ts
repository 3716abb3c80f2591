import { ApiObject, ApiObjectMetadata, JsonPatch } from 'cdk8s';
import { Construct } from 'constructs';
// For its side effect: App.synth() without preparing the app again for each chart.
import './synth';

/**
 * An object whose top-level keys beside `apiVersion`, `kind` and `metadata` (`spec`, `data`,
 * `rules`...) come in one mapping.
 */
export interface ManifestProps {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: ApiObjectMetadata;
  /** Each key is added at `/<key>` in the given order; null values are left out. */
  readonly body?: { [key: string]: any };
  /** No `metadata.namespace`, whatever the chart's namespace (a PriorityClass). */
  readonly clusterScoped?: boolean;
}

/**
 * A `cdk8s.ApiObject` created whole in one call from Python.
 *
 * The body goes in as one JSON patch per key, as `addJsonPatch(JsonPatch.add('/<key>', v))`
 * per key would from Python: the output is the same (keys in the order given, not sorted as
 * props are), and patches added later apply after these.
 */
export class Manifest extends ApiObject {
  constructor(scope: Construct, id: string, props: ManifestProps) {
    super(scope, id, { apiVersion: props.apiVersion, kind: props.kind, metadata: props.metadata });
    for (const [key, value] of Object.entries(props.body ?? {})) {
      if (value !== undefined && value !== null) {
        this.addJsonPatch(JsonPatch.add(`/${key}`, value));
      }
    }
    if (props.clusterScoped && this.metadata.namespace) {
      this.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    }
  }
}
