import { ApiObject, App, Chart, DependencyGraph } from 'cdk8s';

// App.synth() prepares the whole app (infers the dependencies, runs every validation), then
// renders each chart with chart.toJson(), which prepares the whole app again: work per chart
// in the size of the app, so an app of many hubs (two charts each) synthesizes in time
// quadratic in their number, and every validation written in Python is called back once per
// chart. While an App.synth() or synthYaml() runs, nothing changes between its charts: they
// render without preparing the app again. chart.toJson() anywhere else (Testing.synth) is
// left as it is. Loaded with the library's Manifest (index.ts), before any app synthesizes.

interface AppInternals {
  _synthChart(chart: Chart): any[];
}

const internals = App as unknown as AppInternals;
const synthChart = internals._synthChart;
const synth = App.prototype.synth;
const synthYaml = App.prototype.synthYaml;
if (typeof synthChart !== 'function' || typeof synth !== 'function' || typeof synthYaml !== 'function') {
  // A cdk8s release that moved these: fail at import rather than render differently.
  throw new Error('jupyterhub-cdk8s: cdk8s.App has no _synthChart, synth or synthYaml to wrap');
}

const synthesizing = new Set<App>();

function whileSynthesizing<T>(app: App, render: () => T): T {
  synthesizing.add(app);
  try {
    return render();
  } finally {
    synthesizing.delete(app);
  }
}

App.prototype.synth = function (this: App): void {
  whileSynthesizing(this, () => synth.call(this));
};

App.prototype.synthYaml = function (this: App): string {
  return whileSynthesizing(this, () => synthYaml.call(this));
};

internals._synthChart = function (chart: Chart): any[] {
  if (!synthesizing.has(chart.node.root as App)) {
    return synthChart.call(App, chart);
  }
  // cdk8s's chartToKube: the chart's own objects, in dependency order.
  return new DependencyGraph(chart.node)
    .topology()
    .filter((x): x is ApiObject => x instanceof ApiObject)
    .filter((x) => Chart.of(x) === chart)
    .map((x) => x.toJson());
};
