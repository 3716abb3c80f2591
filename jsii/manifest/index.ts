import { ApiObject, ApiObjectMetadata, JsonPatch } from 'cdk8s';
import { Construct } from 'constructs';
// For its side effect: App.synth() without preparing the app again for each chart.
import './synth';

/** An object's `apiVersion`, `kind` and `metadata`; its body comes through `Manifest.many`. */
export interface ManifestProps {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: ApiObjectMetadata;
  /** No `metadata.namespace`, whatever the chart's namespace (a PriorityClass). */
  readonly clusterScoped?: boolean;
}

/**
 * One object of `Manifest.many`: its id, `ManifestProps`, and its body, whose keys beside
 * `apiVersion`, `kind` and `metadata` (`spec`, `data`, `rules`...) come in one object.
 */
interface ManifestSpec extends ManifestProps {
  readonly id: string;
  readonly body?: { [key: string]: any };
}

/** JSON text parsed; null values in objects are left out, as jsii leaves out a mapping's None
 * values (the patches are then independent of where the object was made). */
function parsed(json: string): any {
  return JSON.parse(json, function (this: any, _key: string, value: any): any {
    return value === null && !Array.isArray(this) ? undefined : value;
  });
}

function isObject(value: any): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A `cdk8s.ApiObject` created whole in one call from Python.
 *
 * The body goes in as one JSON patch per key, as `addJsonPatch(JsonPatch.add('/<key>', v))`
 * per key would from Python: the output is the same (keys in the order given, not sorted as
 * props are), and patches added later apply after these.
 */
export class Manifest extends ApiObject {
  /**
   * Several objects in `scope`, in the order given, in one call: `specsJson` is a JSON array of
   * objects with `id` and the fields of `ManifestProps`, the body inline (`body`). JSON text
   * rather than structs and mappings: jsii walks those value by value on both sides of its
   * pipe, which cost more than all else a create does; text crosses as one string.
   */
  public static many(scope: Construct, specsJson: string): Manifest[] {
    const specs = parsed(specsJson);
    if (!Array.isArray(specs) || !specs.every(isObject)) {
      throw new Error('Manifest.many: specsJson is not a JSON array of objects');
    }
    return specs.map((spec: ManifestSpec) => {
      const { id, body, ...props } = spec;
      return new Manifest(scope, id, props).withBody(id, body);
    });
  }

  /**
   * What `toJson()` gives of each ApiObject under `scopes` (themselves included, in preorder as
   * `node.findAll()` walks) whose kind is one of `kinds`, as one JSON array. Text for the
   * reason `many` takes text; and one call rather than one per object.
   */
  public static manifestsOf(scopes: Construct[], kinds: string[]): string {
    const wanted = new Set(kinds);
    return JSON.stringify(
      scopes
        .flatMap((scope) => scope.node.findAll())
        .filter((x): x is ApiObject => x instanceof ApiObject && wanted.has(x.kind))
        .map((x) => x.toJson()),
    );
  }

  constructor(scope: Construct, id: string, props: ManifestProps) {
    super(scope, id, { apiVersion: props.apiVersion, kind: props.kind, metadata: props.metadata });
    if (props.clusterScoped && this.metadata.namespace) {
      this.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    }
  }

  private withBody(id: string, body: any): Manifest {
    if (body === undefined) {
      return this;
    }
    if (!isObject(body)) {
      throw new Error(`Manifest ${id}: the body is not a JSON object`);
    }
    for (const [key, value] of Object.entries(body)) {
      if (value !== undefined && value !== null) {
        this.addJsonPatch(JsonPatch.add(`/${key}`, value));
      }
    }
    return this;
  }
}
