from __future__ import annotations

from pkgutil import extend_path
__path__ = extend_path(__path__, __name__)

import abc
import builtins
import datetime
import enum
import typing

import jsii
import publication
import typing_extensions

from jsii._type_checking import cached_type_hints, check_type


from ._jsii import *

class _LazyImport:
    def __init__(self, module_name: str) -> None:
        self._module_name = module_name
        self._module: typing.Any = None
    def __getattr__(self, name: str) -> typing.Any:
        if self._module is None:
            import importlib
            self._module = importlib.import_module(self._module_name)
        return getattr(self._module, name)

if typing.TYPE_CHECKING:

    import cdk8s as _cdk8s_d3d9af27
    import constructs as _constructs_77d1e7e8
else:

    _cdk8s_d3d9af27 = _LazyImport("cdk8s")
    _constructs_77d1e7e8 = _LazyImport("constructs")


class Telemetry(
    _cdk8s_d3d9af27.ApiObject,
    metaclass=jsii.JSIIMeta,
    jsii_type="jupyterhub_cdk8s_ioistiotelemetry.Telemetry",
):
    '''
    :schema: Telemetry
    '''

    def __init__(
        self,
        scope: "_constructs_77d1e7e8.Construct",
        id: builtins.str,
        *,
        metadata: typing.Optional[typing.Union["_cdk8s_d3d9af27.ApiObjectMetadata", typing.Dict[builtins.str, typing.Any]]] = None,
        spec: typing.Optional[typing.Union["TelemetrySpec", typing.Dict[builtins.str, typing.Any]]] = None,
    ) -> None:
        '''Defines a "Telemetry" API object.

        :param scope: the scope in which to define this object.
        :param id: a scope-local name for the object.
        :param metadata: 
        :param spec: Telemetry configuration for workloads. See more details at: https://istio.io/docs/reference/config/telemetry.html
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__2f9b5bb04cb1a0ff72b8baf5c1661b40c6d2c44e5c530ada68cb858fb69d8f76)
            check_type(argname="argument scope", value=scope, expected_type=type_hints["scope"])
            check_type(argname="argument id", value=id, expected_type=type_hints["id"])
        props = TelemetryProps(metadata=metadata, spec=spec)

        jsii.create(self.__class__, self, [scope, id, props])

    @jsii.member(jsii_name="manifest")
    @builtins.classmethod
    def manifest(
        cls,
        *,
        metadata: typing.Optional[typing.Union["_cdk8s_d3d9af27.ApiObjectMetadata", typing.Dict[builtins.str, typing.Any]]] = None,
        spec: typing.Optional[typing.Union["TelemetrySpec", typing.Dict[builtins.str, typing.Any]]] = None,
    ) -> typing.Any:
        '''Renders a Kubernetes manifest for "Telemetry".

        This can be used to inline resource manifests inside other objects (e.g. as templates).

        :param metadata: 
        :param spec: Telemetry configuration for workloads. See more details at: https://istio.io/docs/reference/config/telemetry.html
        '''
        props = TelemetryProps(metadata=metadata, spec=spec)

        return typing.cast(typing.Any, jsii.sinvoke(cls, "manifest", [props]))

    @jsii.member(jsii_name="toJson")
    def to_json(self) -> typing.Any:
        '''Renders the object to Kubernetes JSON.'''
        return typing.cast(typing.Any, jsii.invoke(self, "toJson", []))

    @jsii.python.classproperty
    @jsii.member(jsii_name="GVK")
    def GVK(cls) -> "_cdk8s_d3d9af27.GroupVersionKind":
        '''Returns the apiVersion and kind for "Telemetry".'''
        return typing.cast("_cdk8s_d3d9af27.GroupVersionKind", jsii.sget(cls, "GVK"))


@jsii.data_type(
    jsii_type="jupyterhub_cdk8s_ioistiotelemetry.TelemetryProps",
    jsii_struct_bases=[],
    name_mapping={"metadata": "metadata", "spec": "spec"},
)
class TelemetryProps:
    def __init__(
        self,
        *,
        metadata: typing.Optional[typing.Union["_cdk8s_d3d9af27.ApiObjectMetadata", typing.Dict[builtins.str, typing.Any]]] = None,
        spec: typing.Optional[typing.Union["TelemetrySpec", typing.Dict[builtins.str, typing.Any]]] = None,
    ) -> None:
        '''
        :param metadata: 
        :param spec: Telemetry configuration for workloads. See more details at: https://istio.io/docs/reference/config/telemetry.html

        :schema: Telemetry
        '''
        if isinstance(metadata, dict):
            metadata = _cdk8s_d3d9af27.ApiObjectMetadata(**metadata)
        if isinstance(spec, dict):
            spec = TelemetrySpec(**spec)
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__6d85b431427edc5e1e4cfe667a1e5eb4055d041eb88157ce994184c455e147e7)
            check_type(argname="argument metadata", value=metadata, expected_type=type_hints["metadata"])
            check_type(argname="argument spec", value=spec, expected_type=type_hints["spec"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if metadata is not None:
            self._values["metadata"] = metadata
        if spec is not None:
            self._values["spec"] = spec

    @builtins.property
    def metadata(self) -> typing.Optional["_cdk8s_d3d9af27.ApiObjectMetadata"]:
        '''
        :schema: Telemetry#metadata
        '''
        result = self._values.get("metadata")
        return typing.cast(typing.Optional["_cdk8s_d3d9af27.ApiObjectMetadata"], result)

    @builtins.property
    def spec(self) -> typing.Optional["TelemetrySpec"]:
        '''Telemetry configuration for workloads.

        See more details at: https://istio.io/docs/reference/config/telemetry.html

        :schema: Telemetry#spec
        '''
        result = self._values.get("spec")
        return typing.cast(typing.Optional["TelemetrySpec"], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "TelemetryProps(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="jupyterhub_cdk8s_ioistiotelemetry.TelemetrySpec",
    jsii_struct_bases=[],
    name_mapping={
        "access_logging": "accessLogging",
        "metrics": "metrics",
        "selector": "selector",
        "target_ref": "targetRef",
        "target_refs": "targetRefs",
        "tracing": "tracing",
    },
)
class TelemetrySpec:
    def __init__(
        self,
        *,
        access_logging: typing.Optional[typing.Sequence[typing.Union["TelemetrySpecAccessLogging", typing.Dict[builtins.str, typing.Any]]]] = None,
        metrics: typing.Optional[typing.Sequence[typing.Union["TelemetrySpecMetrics", typing.Dict[builtins.str, typing.Any]]]] = None,
        selector: typing.Optional[typing.Union["TelemetrySpecSelector", typing.Dict[builtins.str, typing.Any]]] = None,
        target_ref: typing.Optional[typing.Union["TelemetrySpecTargetRef", typing.Dict[builtins.str, typing.Any]]] = None,
        target_refs: typing.Optional[typing.Sequence[typing.Union["TelemetrySpecTargetRefs", typing.Dict[builtins.str, typing.Any]]]] = None,
        tracing: typing.Optional[typing.Sequence[typing.Union["TelemetrySpecTracing", typing.Dict[builtins.str, typing.Any]]]] = None,
    ) -> None:
        '''Telemetry configuration for workloads.

        See more details at: https://istio.io/docs/reference/config/telemetry.html

        :param access_logging: Optional.
        :param metrics: Optional.
        :param selector: Optional.
        :param target_ref: 
        :param target_refs: Optional.
        :param tracing: Optional.

        :schema: TelemetrySpec
        '''
        if isinstance(selector, dict):
            selector = TelemetrySpecSelector(**selector)
        if isinstance(target_ref, dict):
            target_ref = TelemetrySpecTargetRef(**target_ref)
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__b883324434a2fea152e70254c59895dfe52dcb2c5eaa47ac91969fd6dfdef2d8)
            check_type(argname="argument access_logging", value=access_logging, expected_type=type_hints["access_logging"])
            check_type(argname="argument metrics", value=metrics, expected_type=type_hints["metrics"])
            check_type(argname="argument selector", value=selector, expected_type=type_hints["selector"])
            check_type(argname="argument target_ref", value=target_ref, expected_type=type_hints["target_ref"])
            check_type(argname="argument target_refs", value=target_refs, expected_type=type_hints["target_refs"])
            check_type(argname="argument tracing", value=tracing, expected_type=type_hints["tracing"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if access_logging is not None:
            self._values["access_logging"] = access_logging
        if metrics is not None:
            self._values["metrics"] = metrics
        if selector is not None:
            self._values["selector"] = selector
        if target_ref is not None:
            self._values["target_ref"] = target_ref
        if target_refs is not None:
            self._values["target_refs"] = target_refs
        if tracing is not None:
            self._values["tracing"] = tracing

    @builtins.property
    def access_logging(
        self,
    ) -> typing.Optional[typing.List["TelemetrySpecAccessLogging"]]:
        '''Optional.

        :schema: TelemetrySpec#accessLogging
        '''
        result = self._values.get("access_logging")
        return typing.cast(typing.Optional[typing.List["TelemetrySpecAccessLogging"]], result)

    @builtins.property
    def metrics(self) -> typing.Optional[typing.List["TelemetrySpecMetrics"]]:
        '''Optional.

        :schema: TelemetrySpec#metrics
        '''
        result = self._values.get("metrics")
        return typing.cast(typing.Optional[typing.List["TelemetrySpecMetrics"]], result)

    @builtins.property
    def selector(self) -> typing.Optional["TelemetrySpecSelector"]:
        '''Optional.

        :schema: TelemetrySpec#selector
        '''
        result = self._values.get("selector")
        return typing.cast(typing.Optional["TelemetrySpecSelector"], result)

    @builtins.property
    def target_ref(self) -> typing.Optional["TelemetrySpecTargetRef"]:
        '''
        :schema: TelemetrySpec#targetRef
        '''
        result = self._values.get("target_ref")
        return typing.cast(typing.Optional["TelemetrySpecTargetRef"], result)

    @builtins.property
    def target_refs(self) -> typing.Optional[typing.List["TelemetrySpecTargetRefs"]]:
        '''Optional.

        :schema: TelemetrySpec#targetRefs
        '''
        result = self._values.get("target_refs")
        return typing.cast(typing.Optional[typing.List["TelemetrySpecTargetRefs"]], result)

    @builtins.property
    def tracing(self) -> typing.Optional[typing.List["TelemetrySpecTracing"]]:
        '''Optional.

        :schema: TelemetrySpec#tracing
        '''
        result = self._values.get("tracing")
        return typing.cast(typing.Optional[typing.List["TelemetrySpecTracing"]], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "TelemetrySpec(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="jupyterhub_cdk8s_ioistiotelemetry.TelemetrySpecAccessLogging",
    jsii_struct_bases=[],
    name_mapping={
        "disabled": "disabled",
        "filter": "filter",
        "match": "match",
        "providers": "providers",
    },
)
class TelemetrySpecAccessLogging:
    def __init__(
        self,
        *,
        disabled: typing.Optional[builtins.bool] = None,
        filter: typing.Optional[typing.Union["TelemetrySpecAccessLoggingFilter", typing.Dict[builtins.str, typing.Any]]] = None,
        match: typing.Optional[typing.Union["TelemetrySpecAccessLoggingMatch", typing.Dict[builtins.str, typing.Any]]] = None,
        providers: typing.Optional[typing.Sequence[typing.Union["TelemetrySpecAccessLoggingProviders", typing.Dict[builtins.str, typing.Any]]]] = None,
    ) -> None:
        '''
        :param disabled: Controls logging.
        :param filter: Optional.
        :param match: Allows tailoring of logging behavior to specific conditions.
        :param providers: Optional.

        :schema: TelemetrySpecAccessLogging
        '''
        if isinstance(filter, dict):
            filter = TelemetrySpecAccessLoggingFilter(**filter)
        if isinstance(match, dict):
            match = TelemetrySpecAccessLoggingMatch(**match)
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__e1b8d5bdaa87e61c3d68a7dd4a5da9b4af50ba2a902297907b40faab5118300f)
            check_type(argname="argument disabled", value=disabled, expected_type=type_hints["disabled"])
            check_type(argname="argument filter", value=filter, expected_type=type_hints["filter"])
            check_type(argname="argument match", value=match, expected_type=type_hints["match"])
            check_type(argname="argument providers", value=providers, expected_type=type_hints["providers"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if disabled is not None:
            self._values["disabled"] = disabled
        if filter is not None:
            self._values["filter"] = filter
        if match is not None:
            self._values["match"] = match
        if providers is not None:
            self._values["providers"] = providers

    @builtins.property
    def disabled(self) -> typing.Optional[builtins.bool]:
        '''Controls logging.

        :schema: TelemetrySpecAccessLogging#disabled
        '''
        result = self._values.get("disabled")
        return typing.cast(typing.Optional[builtins.bool], result)

    @builtins.property
    def filter(self) -> typing.Optional["TelemetrySpecAccessLoggingFilter"]:
        '''Optional.

        :schema: TelemetrySpecAccessLogging#filter
        '''
        result = self._values.get("filter")
        return typing.cast(typing.Optional["TelemetrySpecAccessLoggingFilter"], result)

    @builtins.property
    def match(self) -> typing.Optional["TelemetrySpecAccessLoggingMatch"]:
        '''Allows tailoring of logging behavior to specific conditions.

        :schema: TelemetrySpecAccessLogging#match
        '''
        result = self._values.get("match")
        return typing.cast(typing.Optional["TelemetrySpecAccessLoggingMatch"], result)

    @builtins.property
    def providers(
        self,
    ) -> typing.Optional[typing.List["TelemetrySpecAccessLoggingProviders"]]:
        '''Optional.

        :schema: TelemetrySpecAccessLogging#providers
        '''
        result = self._values.get("providers")
        return typing.cast(typing.Optional[typing.List["TelemetrySpecAccessLoggingProviders"]], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "TelemetrySpecAccessLogging(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="jupyterhub_cdk8s_ioistiotelemetry.TelemetrySpecAccessLoggingFilter",
    jsii_struct_bases=[],
    name_mapping={"expression": "expression"},
)
class TelemetrySpecAccessLoggingFilter:
    def __init__(self, *, expression: typing.Optional[builtins.str] = None) -> None:
        '''Optional.

        :param expression: CEL expression for selecting when requests/connections should be logged.

        :schema: TelemetrySpecAccessLoggingFilter
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__2a7ae07f00e01b03349e6e4c59a0dc171b1604456a0a2977217b3861ed74225c)
            check_type(argname="argument expression", value=expression, expected_type=type_hints["expression"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if expression is not None:
            self._values["expression"] = expression

    @builtins.property
    def expression(self) -> typing.Optional[builtins.str]:
        '''CEL expression for selecting when requests/connections should be logged.

        :schema: TelemetrySpecAccessLoggingFilter#expression
        '''
        result = self._values.get("expression")
        return typing.cast(typing.Optional[builtins.str], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "TelemetrySpecAccessLoggingFilter(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="jupyterhub_cdk8s_ioistiotelemetry.TelemetrySpecAccessLoggingMatch",
    jsii_struct_bases=[],
    name_mapping={"mode": "mode"},
)
class TelemetrySpecAccessLoggingMatch:
    def __init__(
        self,
        *,
        mode: typing.Optional["TelemetrySpecAccessLoggingMatchMode"] = None,
    ) -> None:
        '''Allows tailoring of logging behavior to specific conditions.

        :param mode: This determines whether or not to apply the access logging configuration based on the direction of traffic relative to the proxied workload. Valid Options: CLIENT_AND_SERVER, CLIENT, SERVER

        :schema: TelemetrySpecAccessLoggingMatch
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__5b9b5637f79c05eea0a45352fde6beab7b61dd37dce32253c182efe87754d1bc)
            check_type(argname="argument mode", value=mode, expected_type=type_hints["mode"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if mode is not None:
            self._values["mode"] = mode

    @builtins.property
    def mode(self) -> typing.Optional["TelemetrySpecAccessLoggingMatchMode"]:
        '''This determines whether or not to apply the access logging configuration based on the direction of traffic relative to the proxied workload.

        Valid Options: CLIENT_AND_SERVER, CLIENT, SERVER

        :schema: TelemetrySpecAccessLoggingMatch#mode
        '''
        result = self._values.get("mode")
        return typing.cast(typing.Optional["TelemetrySpecAccessLoggingMatchMode"], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "TelemetrySpecAccessLoggingMatch(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.enum(
    jsii_type="jupyterhub_cdk8s_ioistiotelemetry.TelemetrySpecAccessLoggingMatchMode"
)
class TelemetrySpecAccessLoggingMatchMode(enum.Enum):
    '''This determines whether or not to apply the access logging configuration based on the direction of traffic relative to the proxied workload.

    Valid Options: CLIENT_AND_SERVER, CLIENT, SERVER

    :schema: TelemetrySpecAccessLoggingMatchMode
    '''

    CLIENT_UNDERSCORE_AND_UNDERSCORE_SERVER = "CLIENT_UNDERSCORE_AND_UNDERSCORE_SERVER"
    '''CLIENT_AND_SERVER.'''
    CLIENT = "CLIENT"
    '''CLIENT.'''
    SERVER = "SERVER"
    '''SERVER.'''


@jsii.data_type(
    jsii_type="jupyterhub_cdk8s_ioistiotelemetry.TelemetrySpecAccessLoggingProviders",
    jsii_struct_bases=[],
    name_mapping={"name": "name"},
)
class TelemetrySpecAccessLoggingProviders:
    def __init__(self, *, name: builtins.str) -> None:
        '''
        :param name: Required.

        :schema: TelemetrySpecAccessLoggingProviders
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__d20a4c1564ee818b0a9ee986c33cfc619f0f0aa9f35323b7005004831a6ccc01)
            check_type(argname="argument name", value=name, expected_type=type_hints["name"])
        self._values: typing.Dict[builtins.str, typing.Any] = {
            "name": name,
        }

    @builtins.property
    def name(self) -> builtins.str:
        '''Required.

        :schema: TelemetrySpecAccessLoggingProviders#name
        '''
        result = self._values.get("name")
        assert result is not None, "Required property 'name' is missing"
        return typing.cast(builtins.str, result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "TelemetrySpecAccessLoggingProviders(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="jupyterhub_cdk8s_ioistiotelemetry.TelemetrySpecMetrics",
    jsii_struct_bases=[],
    name_mapping={
        "overrides": "overrides",
        "providers": "providers",
        "reporting_interval": "reportingInterval",
    },
)
class TelemetrySpecMetrics:
    def __init__(
        self,
        *,
        overrides: typing.Optional[typing.Sequence[typing.Union["TelemetrySpecMetricsOverrides", typing.Dict[builtins.str, typing.Any]]]] = None,
        providers: typing.Optional[typing.Sequence[typing.Union["TelemetrySpecMetricsProviders", typing.Dict[builtins.str, typing.Any]]]] = None,
        reporting_interval: typing.Optional[builtins.str] = None,
    ) -> None:
        '''
        :param overrides: Optional.
        :param providers: Optional.
        :param reporting_interval: Optional.

        :schema: TelemetrySpecMetrics
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__07bcf469531737c27292eade3da584d13f226f55cdd46b6425acb0b21fc736ca)
            check_type(argname="argument overrides", value=overrides, expected_type=type_hints["overrides"])
            check_type(argname="argument providers", value=providers, expected_type=type_hints["providers"])
            check_type(argname="argument reporting_interval", value=reporting_interval, expected_type=type_hints["reporting_interval"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if overrides is not None:
            self._values["overrides"] = overrides
        if providers is not None:
            self._values["providers"] = providers
        if reporting_interval is not None:
            self._values["reporting_interval"] = reporting_interval

    @builtins.property
    def overrides(
        self,
    ) -> typing.Optional[typing.List["TelemetrySpecMetricsOverrides"]]:
        '''Optional.

        :schema: TelemetrySpecMetrics#overrides
        '''
        result = self._values.get("overrides")
        return typing.cast(typing.Optional[typing.List["TelemetrySpecMetricsOverrides"]], result)

    @builtins.property
    def providers(
        self,
    ) -> typing.Optional[typing.List["TelemetrySpecMetricsProviders"]]:
        '''Optional.

        :schema: TelemetrySpecMetrics#providers
        '''
        result = self._values.get("providers")
        return typing.cast(typing.Optional[typing.List["TelemetrySpecMetricsProviders"]], result)

    @builtins.property
    def reporting_interval(self) -> typing.Optional[builtins.str]:
        '''Optional.

        :schema: TelemetrySpecMetrics#reportingInterval
        '''
        result = self._values.get("reporting_interval")
        return typing.cast(typing.Optional[builtins.str], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "TelemetrySpecMetrics(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="jupyterhub_cdk8s_ioistiotelemetry.TelemetrySpecMetricsOverrides",
    jsii_struct_bases=[],
    name_mapping={
        "disabled": "disabled",
        "match": "match",
        "tag_overrides": "tagOverrides",
    },
)
class TelemetrySpecMetricsOverrides:
    def __init__(
        self,
        *,
        disabled: typing.Optional[builtins.bool] = None,
        match: typing.Optional[typing.Union["TelemetrySpecMetricsOverridesMatch", typing.Dict[builtins.str, typing.Any]]] = None,
        tag_overrides: typing.Optional[typing.Mapping[builtins.str, typing.Union["TelemetrySpecMetricsOverridesTagOverrides", typing.Dict[builtins.str, typing.Any]]]] = None,
    ) -> None:
        '''
        :param disabled: Optional.
        :param match: Match allows providing the scope of the override.
        :param tag_overrides: Optional.

        :schema: TelemetrySpecMetricsOverrides
        '''
        if isinstance(match, dict):
            match = TelemetrySpecMetricsOverridesMatch(**match)
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__56d5cac7b349c79189dbbb1605972cec8f80534b362f1d327636c66bd51c65c8)
            check_type(argname="argument disabled", value=disabled, expected_type=type_hints["disabled"])
            check_type(argname="argument match", value=match, expected_type=type_hints["match"])
            check_type(argname="argument tag_overrides", value=tag_overrides, expected_type=type_hints["tag_overrides"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if disabled is not None:
            self._values["disabled"] = disabled
        if match is not None:
            self._values["match"] = match
        if tag_overrides is not None:
            self._values["tag_overrides"] = tag_overrides

    @builtins.property
    def disabled(self) -> typing.Optional[builtins.bool]:
        '''Optional.

        :schema: TelemetrySpecMetricsOverrides#disabled
        '''
        result = self._values.get("disabled")
        return typing.cast(typing.Optional[builtins.bool], result)

    @builtins.property
    def match(self) -> typing.Optional["TelemetrySpecMetricsOverridesMatch"]:
        '''Match allows providing the scope of the override.

        :schema: TelemetrySpecMetricsOverrides#match
        '''
        result = self._values.get("match")
        return typing.cast(typing.Optional["TelemetrySpecMetricsOverridesMatch"], result)

    @builtins.property
    def tag_overrides(
        self,
    ) -> typing.Optional[typing.Mapping[builtins.str, "TelemetrySpecMetricsOverridesTagOverrides"]]:
        '''Optional.

        :schema: TelemetrySpecMetricsOverrides#tagOverrides
        '''
        result = self._values.get("tag_overrides")
        return typing.cast(typing.Optional[typing.Mapping[builtins.str, "TelemetrySpecMetricsOverridesTagOverrides"]], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "TelemetrySpecMetricsOverrides(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="jupyterhub_cdk8s_ioistiotelemetry.TelemetrySpecMetricsOverridesMatch",
    jsii_struct_bases=[],
    name_mapping={"custom_metric": "customMetric", "metric": "metric", "mode": "mode"},
)
class TelemetrySpecMetricsOverridesMatch:
    def __init__(
        self,
        *,
        custom_metric: typing.Optional[builtins.str] = None,
        metric: typing.Optional["TelemetrySpecMetricsOverridesMatchMetric"] = None,
        mode: typing.Optional["TelemetrySpecMetricsOverridesMatchMode"] = None,
    ) -> None:
        '''Match allows providing the scope of the override.

        :param custom_metric: Allows free-form specification of a metric.
        :param metric: One of the well-known `Istio Standard Metrics <https://istio.io/latest/docs/reference/config/metrics/>`_. Valid Options: ALL_METRICS, REQUEST_COUNT, REQUEST_DURATION, REQUEST_SIZE, RESPONSE_SIZE, TCP_OPENED_CONNECTIONS, TCP_CLOSED_CONNECTIONS, TCP_SENT_BYTES, TCP_RECEIVED_BYTES, GRPC_REQUEST_MESSAGES, GRPC_RESPONSE_MESSAGES
        :param mode: Controls which mode of metrics generation is selected: ``CLIENT``, ``SERVER``, or ``CLIENT_AND_SERVER``. Valid Options: CLIENT_AND_SERVER, CLIENT, SERVER

        :schema: TelemetrySpecMetricsOverridesMatch
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__cf756b0be30bacae8dfa04d6a78e27c6184680d3d4aeb40c9eaed60e7f539992)
            check_type(argname="argument custom_metric", value=custom_metric, expected_type=type_hints["custom_metric"])
            check_type(argname="argument metric", value=metric, expected_type=type_hints["metric"])
            check_type(argname="argument mode", value=mode, expected_type=type_hints["mode"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if custom_metric is not None:
            self._values["custom_metric"] = custom_metric
        if metric is not None:
            self._values["metric"] = metric
        if mode is not None:
            self._values["mode"] = mode

    @builtins.property
    def custom_metric(self) -> typing.Optional[builtins.str]:
        '''Allows free-form specification of a metric.

        :schema: TelemetrySpecMetricsOverridesMatch#customMetric
        '''
        result = self._values.get("custom_metric")
        return typing.cast(typing.Optional[builtins.str], result)

    @builtins.property
    def metric(self) -> typing.Optional["TelemetrySpecMetricsOverridesMatchMetric"]:
        '''One of the well-known `Istio Standard Metrics <https://istio.io/latest/docs/reference/config/metrics/>`_.

        Valid Options: ALL_METRICS, REQUEST_COUNT, REQUEST_DURATION, REQUEST_SIZE, RESPONSE_SIZE, TCP_OPENED_CONNECTIONS, TCP_CLOSED_CONNECTIONS, TCP_SENT_BYTES, TCP_RECEIVED_BYTES, GRPC_REQUEST_MESSAGES, GRPC_RESPONSE_MESSAGES

        :schema: TelemetrySpecMetricsOverridesMatch#metric
        '''
        result = self._values.get("metric")
        return typing.cast(typing.Optional["TelemetrySpecMetricsOverridesMatchMetric"], result)

    @builtins.property
    def mode(self) -> typing.Optional["TelemetrySpecMetricsOverridesMatchMode"]:
        '''Controls which mode of metrics generation is selected: ``CLIENT``, ``SERVER``, or ``CLIENT_AND_SERVER``.

        Valid Options: CLIENT_AND_SERVER, CLIENT, SERVER

        :schema: TelemetrySpecMetricsOverridesMatch#mode
        '''
        result = self._values.get("mode")
        return typing.cast(typing.Optional["TelemetrySpecMetricsOverridesMatchMode"], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "TelemetrySpecMetricsOverridesMatch(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.enum(
    jsii_type="jupyterhub_cdk8s_ioistiotelemetry.TelemetrySpecMetricsOverridesMatchMetric"
)
class TelemetrySpecMetricsOverridesMatchMetric(enum.Enum):
    '''One of the well-known `Istio Standard Metrics <https://istio.io/latest/docs/reference/config/metrics/>`_.

    Valid Options: ALL_METRICS, REQUEST_COUNT, REQUEST_DURATION, REQUEST_SIZE, RESPONSE_SIZE, TCP_OPENED_CONNECTIONS, TCP_CLOSED_CONNECTIONS, TCP_SENT_BYTES, TCP_RECEIVED_BYTES, GRPC_REQUEST_MESSAGES, GRPC_RESPONSE_MESSAGES

    :schema: TelemetrySpecMetricsOverridesMatchMetric
    '''

    ALL_UNDERSCORE_METRICS = "ALL_UNDERSCORE_METRICS"
    '''ALL_METRICS.'''
    REQUEST_UNDERSCORE_COUNT = "REQUEST_UNDERSCORE_COUNT"
    '''REQUEST_COUNT.'''
    REQUEST_UNDERSCORE_DURATION = "REQUEST_UNDERSCORE_DURATION"
    '''REQUEST_DURATION.'''
    REQUEST_UNDERSCORE_SIZE = "REQUEST_UNDERSCORE_SIZE"
    '''REQUEST_SIZE.'''
    RESPONSE_UNDERSCORE_SIZE = "RESPONSE_UNDERSCORE_SIZE"
    '''RESPONSE_SIZE.'''
    TCP_UNDERSCORE_OPENED_UNDERSCORE_CONNECTIONS = "TCP_UNDERSCORE_OPENED_UNDERSCORE_CONNECTIONS"
    '''TCP_OPENED_CONNECTIONS.'''
    TCP_UNDERSCORE_CLOSED_UNDERSCORE_CONNECTIONS = "TCP_UNDERSCORE_CLOSED_UNDERSCORE_CONNECTIONS"
    '''TCP_CLOSED_CONNECTIONS.'''
    TCP_UNDERSCORE_SENT_UNDERSCORE_BYTES = "TCP_UNDERSCORE_SENT_UNDERSCORE_BYTES"
    '''TCP_SENT_BYTES.'''
    TCP_UNDERSCORE_RECEIVED_UNDERSCORE_BYTES = "TCP_UNDERSCORE_RECEIVED_UNDERSCORE_BYTES"
    '''TCP_RECEIVED_BYTES.'''
    GRPC_UNDERSCORE_REQUEST_UNDERSCORE_MESSAGES = "GRPC_UNDERSCORE_REQUEST_UNDERSCORE_MESSAGES"
    '''GRPC_REQUEST_MESSAGES.'''
    GRPC_UNDERSCORE_RESPONSE_UNDERSCORE_MESSAGES = "GRPC_UNDERSCORE_RESPONSE_UNDERSCORE_MESSAGES"
    '''GRPC_RESPONSE_MESSAGES.'''


@jsii.enum(
    jsii_type="jupyterhub_cdk8s_ioistiotelemetry.TelemetrySpecMetricsOverridesMatchMode"
)
class TelemetrySpecMetricsOverridesMatchMode(enum.Enum):
    '''Controls which mode of metrics generation is selected: ``CLIENT``, ``SERVER``, or ``CLIENT_AND_SERVER``.

    Valid Options: CLIENT_AND_SERVER, CLIENT, SERVER

    :schema: TelemetrySpecMetricsOverridesMatchMode
    '''

    CLIENT_UNDERSCORE_AND_UNDERSCORE_SERVER = "CLIENT_UNDERSCORE_AND_UNDERSCORE_SERVER"
    '''CLIENT_AND_SERVER.'''
    CLIENT = "CLIENT"
    '''CLIENT.'''
    SERVER = "SERVER"
    '''SERVER.'''


@jsii.data_type(
    jsii_type="jupyterhub_cdk8s_ioistiotelemetry.TelemetrySpecMetricsOverridesTagOverrides",
    jsii_struct_bases=[],
    name_mapping={"operation": "operation", "value": "value"},
)
class TelemetrySpecMetricsOverridesTagOverrides:
    def __init__(
        self,
        *,
        operation: typing.Optional["TelemetrySpecMetricsOverridesTagOverridesOperation"] = None,
        value: typing.Optional[builtins.str] = None,
    ) -> None:
        '''
        :param operation: Operation controls whether or not to update/add a tag, or to remove it. Valid Options: UPSERT, REMOVE
        :param value: Value is only considered if the operation is ``UPSERT``.

        :schema: TelemetrySpecMetricsOverridesTagOverrides
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__7e316cfb5d7bfa00aaa942b017588895cafc0bf9687cc6f468efb45f9553aa98)
            check_type(argname="argument operation", value=operation, expected_type=type_hints["operation"])
            check_type(argname="argument value", value=value, expected_type=type_hints["value"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if operation is not None:
            self._values["operation"] = operation
        if value is not None:
            self._values["value"] = value

    @builtins.property
    def operation(
        self,
    ) -> typing.Optional["TelemetrySpecMetricsOverridesTagOverridesOperation"]:
        '''Operation controls whether or not to update/add a tag, or to remove it.

        Valid Options: UPSERT, REMOVE

        :schema: TelemetrySpecMetricsOverridesTagOverrides#operation
        '''
        result = self._values.get("operation")
        return typing.cast(typing.Optional["TelemetrySpecMetricsOverridesTagOverridesOperation"], result)

    @builtins.property
    def value(self) -> typing.Optional[builtins.str]:
        '''Value is only considered if the operation is ``UPSERT``.

        :schema: TelemetrySpecMetricsOverridesTagOverrides#value
        '''
        result = self._values.get("value")
        return typing.cast(typing.Optional[builtins.str], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "TelemetrySpecMetricsOverridesTagOverrides(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.enum(
    jsii_type="jupyterhub_cdk8s_ioistiotelemetry.TelemetrySpecMetricsOverridesTagOverridesOperation"
)
class TelemetrySpecMetricsOverridesTagOverridesOperation(enum.Enum):
    '''Operation controls whether or not to update/add a tag, or to remove it.

    Valid Options: UPSERT, REMOVE

    :schema: TelemetrySpecMetricsOverridesTagOverridesOperation
    '''

    UPSERT = "UPSERT"
    '''UPSERT.'''
    REMOVE = "REMOVE"
    '''REMOVE.'''


@jsii.data_type(
    jsii_type="jupyterhub_cdk8s_ioistiotelemetry.TelemetrySpecMetricsProviders",
    jsii_struct_bases=[],
    name_mapping={"name": "name"},
)
class TelemetrySpecMetricsProviders:
    def __init__(self, *, name: builtins.str) -> None:
        '''
        :param name: Required.

        :schema: TelemetrySpecMetricsProviders
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__ef27de3535e9aabbe3be36f17f110f7524f9e2445fc82e45ead2473694506e43)
            check_type(argname="argument name", value=name, expected_type=type_hints["name"])
        self._values: typing.Dict[builtins.str, typing.Any] = {
            "name": name,
        }

    @builtins.property
    def name(self) -> builtins.str:
        '''Required.

        :schema: TelemetrySpecMetricsProviders#name
        '''
        result = self._values.get("name")
        assert result is not None, "Required property 'name' is missing"
        return typing.cast(builtins.str, result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "TelemetrySpecMetricsProviders(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="jupyterhub_cdk8s_ioistiotelemetry.TelemetrySpecSelector",
    jsii_struct_bases=[],
    name_mapping={"match_labels": "matchLabels"},
)
class TelemetrySpecSelector:
    def __init__(
        self,
        *,
        match_labels: typing.Optional[typing.Mapping[builtins.str, builtins.str]] = None,
    ) -> None:
        '''Optional.

        :param match_labels: One or more labels that indicate a specific set of pods/VMs on which a policy should be applied.

        :schema: TelemetrySpecSelector
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__38fe28b367ad8b64df4a86a18077820316a5d39d1cf96de09928e21c30468c8d)
            check_type(argname="argument match_labels", value=match_labels, expected_type=type_hints["match_labels"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if match_labels is not None:
            self._values["match_labels"] = match_labels

    @builtins.property
    def match_labels(
        self,
    ) -> typing.Optional[typing.Mapping[builtins.str, builtins.str]]:
        '''One or more labels that indicate a specific set of pods/VMs on which a policy should be applied.

        :schema: TelemetrySpecSelector#matchLabels
        '''
        result = self._values.get("match_labels")
        return typing.cast(typing.Optional[typing.Mapping[builtins.str, builtins.str]], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "TelemetrySpecSelector(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="jupyterhub_cdk8s_ioistiotelemetry.TelemetrySpecTargetRef",
    jsii_struct_bases=[],
    name_mapping={
        "kind": "kind",
        "name": "name",
        "group": "group",
        "namespace": "namespace",
    },
)
class TelemetrySpecTargetRef:
    def __init__(
        self,
        *,
        kind: builtins.str,
        name: builtins.str,
        group: typing.Optional[builtins.str] = None,
        namespace: typing.Optional[builtins.str] = None,
    ) -> None:
        '''
        :param kind: kind is kind of the target resource.
        :param name: name is the name of the target resource.
        :param group: group is the group of the target resource.
        :param namespace: namespace is the namespace of the referent.

        :schema: TelemetrySpecTargetRef
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__9493d61bdd6b7853c176c1c963346cd24c6776465a00cb319e4da8fb4f93477f)
            check_type(argname="argument kind", value=kind, expected_type=type_hints["kind"])
            check_type(argname="argument name", value=name, expected_type=type_hints["name"])
            check_type(argname="argument group", value=group, expected_type=type_hints["group"])
            check_type(argname="argument namespace", value=namespace, expected_type=type_hints["namespace"])
        self._values: typing.Dict[builtins.str, typing.Any] = {
            "kind": kind,
            "name": name,
        }
        if group is not None:
            self._values["group"] = group
        if namespace is not None:
            self._values["namespace"] = namespace

    @builtins.property
    def kind(self) -> builtins.str:
        '''kind is kind of the target resource.

        :schema: TelemetrySpecTargetRef#kind
        '''
        result = self._values.get("kind")
        assert result is not None, "Required property 'kind' is missing"
        return typing.cast(builtins.str, result)

    @builtins.property
    def name(self) -> builtins.str:
        '''name is the name of the target resource.

        :schema: TelemetrySpecTargetRef#name
        '''
        result = self._values.get("name")
        assert result is not None, "Required property 'name' is missing"
        return typing.cast(builtins.str, result)

    @builtins.property
    def group(self) -> typing.Optional[builtins.str]:
        '''group is the group of the target resource.

        :schema: TelemetrySpecTargetRef#group
        '''
        result = self._values.get("group")
        return typing.cast(typing.Optional[builtins.str], result)

    @builtins.property
    def namespace(self) -> typing.Optional[builtins.str]:
        '''namespace is the namespace of the referent.

        :schema: TelemetrySpecTargetRef#namespace
        '''
        result = self._values.get("namespace")
        return typing.cast(typing.Optional[builtins.str], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "TelemetrySpecTargetRef(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="jupyterhub_cdk8s_ioistiotelemetry.TelemetrySpecTargetRefs",
    jsii_struct_bases=[],
    name_mapping={
        "kind": "kind",
        "name": "name",
        "group": "group",
        "namespace": "namespace",
    },
)
class TelemetrySpecTargetRefs:
    def __init__(
        self,
        *,
        kind: builtins.str,
        name: builtins.str,
        group: typing.Optional[builtins.str] = None,
        namespace: typing.Optional[builtins.str] = None,
    ) -> None:
        '''
        :param kind: kind is kind of the target resource.
        :param name: name is the name of the target resource.
        :param group: group is the group of the target resource.
        :param namespace: namespace is the namespace of the referent.

        :schema: TelemetrySpecTargetRefs
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__46f8bf50f246c1fe8d87e43755a6137386fe218b31f29f073fc79d0bce0a692d)
            check_type(argname="argument kind", value=kind, expected_type=type_hints["kind"])
            check_type(argname="argument name", value=name, expected_type=type_hints["name"])
            check_type(argname="argument group", value=group, expected_type=type_hints["group"])
            check_type(argname="argument namespace", value=namespace, expected_type=type_hints["namespace"])
        self._values: typing.Dict[builtins.str, typing.Any] = {
            "kind": kind,
            "name": name,
        }
        if group is not None:
            self._values["group"] = group
        if namespace is not None:
            self._values["namespace"] = namespace

    @builtins.property
    def kind(self) -> builtins.str:
        '''kind is kind of the target resource.

        :schema: TelemetrySpecTargetRefs#kind
        '''
        result = self._values.get("kind")
        assert result is not None, "Required property 'kind' is missing"
        return typing.cast(builtins.str, result)

    @builtins.property
    def name(self) -> builtins.str:
        '''name is the name of the target resource.

        :schema: TelemetrySpecTargetRefs#name
        '''
        result = self._values.get("name")
        assert result is not None, "Required property 'name' is missing"
        return typing.cast(builtins.str, result)

    @builtins.property
    def group(self) -> typing.Optional[builtins.str]:
        '''group is the group of the target resource.

        :schema: TelemetrySpecTargetRefs#group
        '''
        result = self._values.get("group")
        return typing.cast(typing.Optional[builtins.str], result)

    @builtins.property
    def namespace(self) -> typing.Optional[builtins.str]:
        '''namespace is the namespace of the referent.

        :schema: TelemetrySpecTargetRefs#namespace
        '''
        result = self._values.get("namespace")
        return typing.cast(typing.Optional[builtins.str], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "TelemetrySpecTargetRefs(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="jupyterhub_cdk8s_ioistiotelemetry.TelemetrySpecTracing",
    jsii_struct_bases=[],
    name_mapping={
        "custom_tags": "customTags",
        "disable_context_propagation": "disableContextPropagation",
        "disable_span_reporting": "disableSpanReporting",
        "enable_istio_tags": "enableIstioTags",
        "match": "match",
        "providers": "providers",
        "random_sampling_percentage": "randomSamplingPercentage",
        "use_request_id_for_trace_sampling": "useRequestIdForTraceSampling",
    },
)
class TelemetrySpecTracing:
    def __init__(
        self,
        *,
        custom_tags: typing.Optional[typing.Mapping[builtins.str, typing.Union["TelemetrySpecTracingCustomTags", typing.Dict[builtins.str, typing.Any]]]] = None,
        disable_context_propagation: typing.Optional[builtins.bool] = None,
        disable_span_reporting: typing.Optional[builtins.bool] = None,
        enable_istio_tags: typing.Optional[builtins.bool] = None,
        match: typing.Optional[typing.Union["TelemetrySpecTracingMatch", typing.Dict[builtins.str, typing.Any]]] = None,
        providers: typing.Optional[typing.Sequence[typing.Union["TelemetrySpecTracingProviders", typing.Dict[builtins.str, typing.Any]]]] = None,
        random_sampling_percentage: typing.Optional[jsii.Number] = None,
        use_request_id_for_trace_sampling: typing.Optional[builtins.bool] = None,
    ) -> None:
        '''
        :param custom_tags: Optional.
        :param disable_context_propagation: Controls whether trace context headers (e.g., ``traceparent``/``tracestate`` for W3C, ``X-B3-*`` for Zipkin) are propagated in forwarded requests.
        :param disable_span_reporting: Controls span reporting.
        :param enable_istio_tags: Determines whether or not trace spans generated by Envoy will include Istio specific tags.
        :param match: Allows tailoring of behavior to specific conditions.
        :param providers: Optional.
        :param random_sampling_percentage: Controls the rate at which traffic will be selected for tracing if no prior sampling decision has been made.
        :param use_request_id_for_trace_sampling: 

        :schema: TelemetrySpecTracing
        '''
        if isinstance(match, dict):
            match = TelemetrySpecTracingMatch(**match)
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__94c7bdeb76748e5c3c257546ed1179959252cf79c61b31dddd3cfd936a8db70d)
            check_type(argname="argument custom_tags", value=custom_tags, expected_type=type_hints["custom_tags"])
            check_type(argname="argument disable_context_propagation", value=disable_context_propagation, expected_type=type_hints["disable_context_propagation"])
            check_type(argname="argument disable_span_reporting", value=disable_span_reporting, expected_type=type_hints["disable_span_reporting"])
            check_type(argname="argument enable_istio_tags", value=enable_istio_tags, expected_type=type_hints["enable_istio_tags"])
            check_type(argname="argument match", value=match, expected_type=type_hints["match"])
            check_type(argname="argument providers", value=providers, expected_type=type_hints["providers"])
            check_type(argname="argument random_sampling_percentage", value=random_sampling_percentage, expected_type=type_hints["random_sampling_percentage"])
            check_type(argname="argument use_request_id_for_trace_sampling", value=use_request_id_for_trace_sampling, expected_type=type_hints["use_request_id_for_trace_sampling"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if custom_tags is not None:
            self._values["custom_tags"] = custom_tags
        if disable_context_propagation is not None:
            self._values["disable_context_propagation"] = disable_context_propagation
        if disable_span_reporting is not None:
            self._values["disable_span_reporting"] = disable_span_reporting
        if enable_istio_tags is not None:
            self._values["enable_istio_tags"] = enable_istio_tags
        if match is not None:
            self._values["match"] = match
        if providers is not None:
            self._values["providers"] = providers
        if random_sampling_percentage is not None:
            self._values["random_sampling_percentage"] = random_sampling_percentage
        if use_request_id_for_trace_sampling is not None:
            self._values["use_request_id_for_trace_sampling"] = use_request_id_for_trace_sampling

    @builtins.property
    def custom_tags(
        self,
    ) -> typing.Optional[typing.Mapping[builtins.str, "TelemetrySpecTracingCustomTags"]]:
        '''Optional.

        :schema: TelemetrySpecTracing#customTags
        '''
        result = self._values.get("custom_tags")
        return typing.cast(typing.Optional[typing.Mapping[builtins.str, "TelemetrySpecTracingCustomTags"]], result)

    @builtins.property
    def disable_context_propagation(self) -> typing.Optional[builtins.bool]:
        '''Controls whether trace context headers (e.g., ``traceparent``/``tracestate`` for W3C, ``X-B3-*`` for Zipkin) are propagated in forwarded requests.

        :schema: TelemetrySpecTracing#disableContextPropagation
        '''
        result = self._values.get("disable_context_propagation")
        return typing.cast(typing.Optional[builtins.bool], result)

    @builtins.property
    def disable_span_reporting(self) -> typing.Optional[builtins.bool]:
        '''Controls span reporting.

        :schema: TelemetrySpecTracing#disableSpanReporting
        '''
        result = self._values.get("disable_span_reporting")
        return typing.cast(typing.Optional[builtins.bool], result)

    @builtins.property
    def enable_istio_tags(self) -> typing.Optional[builtins.bool]:
        '''Determines whether or not trace spans generated by Envoy will include Istio specific tags.

        :schema: TelemetrySpecTracing#enableIstioTags
        '''
        result = self._values.get("enable_istio_tags")
        return typing.cast(typing.Optional[builtins.bool], result)

    @builtins.property
    def match(self) -> typing.Optional["TelemetrySpecTracingMatch"]:
        '''Allows tailoring of behavior to specific conditions.

        :schema: TelemetrySpecTracing#match
        '''
        result = self._values.get("match")
        return typing.cast(typing.Optional["TelemetrySpecTracingMatch"], result)

    @builtins.property
    def providers(
        self,
    ) -> typing.Optional[typing.List["TelemetrySpecTracingProviders"]]:
        '''Optional.

        :schema: TelemetrySpecTracing#providers
        '''
        result = self._values.get("providers")
        return typing.cast(typing.Optional[typing.List["TelemetrySpecTracingProviders"]], result)

    @builtins.property
    def random_sampling_percentage(self) -> typing.Optional[jsii.Number]:
        '''Controls the rate at which traffic will be selected for tracing if no prior sampling decision has been made.

        :schema: TelemetrySpecTracing#randomSamplingPercentage
        '''
        result = self._values.get("random_sampling_percentage")
        return typing.cast(typing.Optional[jsii.Number], result)

    @builtins.property
    def use_request_id_for_trace_sampling(self) -> typing.Optional[builtins.bool]:
        '''
        :schema: TelemetrySpecTracing#useRequestIdForTraceSampling
        '''
        result = self._values.get("use_request_id_for_trace_sampling")
        return typing.cast(typing.Optional[builtins.bool], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "TelemetrySpecTracing(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="jupyterhub_cdk8s_ioistiotelemetry.TelemetrySpecTracingCustomTags",
    jsii_struct_bases=[],
    name_mapping={
        "environment": "environment",
        "formatter": "formatter",
        "header": "header",
        "literal": "literal",
    },
)
class TelemetrySpecTracingCustomTags:
    def __init__(
        self,
        *,
        environment: typing.Optional[typing.Union["TelemetrySpecTracingCustomTagsEnvironment", typing.Dict[builtins.str, typing.Any]]] = None,
        formatter: typing.Optional[typing.Union["TelemetrySpecTracingCustomTagsFormatter", typing.Dict[builtins.str, typing.Any]]] = None,
        header: typing.Optional[typing.Union["TelemetrySpecTracingCustomTagsHeader", typing.Dict[builtins.str, typing.Any]]] = None,
        literal: typing.Optional[typing.Union["TelemetrySpecTracingCustomTagsLiteral", typing.Dict[builtins.str, typing.Any]]] = None,
    ) -> None:
        '''
        :param environment: Environment adds the value of an environment variable to each span.
        :param formatter: Formatter adds the value of access logging substitution formatter.
        :param header: RequestHeader adds the value of an header from the request to each span.
        :param literal: Literal adds the same, hard-coded value to each span.

        :schema: TelemetrySpecTracingCustomTags
        '''
        if isinstance(environment, dict):
            environment = TelemetrySpecTracingCustomTagsEnvironment(**environment)
        if isinstance(formatter, dict):
            formatter = TelemetrySpecTracingCustomTagsFormatter(**formatter)
        if isinstance(header, dict):
            header = TelemetrySpecTracingCustomTagsHeader(**header)
        if isinstance(literal, dict):
            literal = TelemetrySpecTracingCustomTagsLiteral(**literal)
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__d69ed5808b5b02539ca2dbeed5aa0e9e000aaedaf6345a6f839f4d9b11c96ef2)
            check_type(argname="argument environment", value=environment, expected_type=type_hints["environment"])
            check_type(argname="argument formatter", value=formatter, expected_type=type_hints["formatter"])
            check_type(argname="argument header", value=header, expected_type=type_hints["header"])
            check_type(argname="argument literal", value=literal, expected_type=type_hints["literal"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if environment is not None:
            self._values["environment"] = environment
        if formatter is not None:
            self._values["formatter"] = formatter
        if header is not None:
            self._values["header"] = header
        if literal is not None:
            self._values["literal"] = literal

    @builtins.property
    def environment(
        self,
    ) -> typing.Optional["TelemetrySpecTracingCustomTagsEnvironment"]:
        '''Environment adds the value of an environment variable to each span.

        :schema: TelemetrySpecTracingCustomTags#environment
        '''
        result = self._values.get("environment")
        return typing.cast(typing.Optional["TelemetrySpecTracingCustomTagsEnvironment"], result)

    @builtins.property
    def formatter(self) -> typing.Optional["TelemetrySpecTracingCustomTagsFormatter"]:
        '''Formatter adds the value of access logging substitution formatter.

        :schema: TelemetrySpecTracingCustomTags#formatter
        '''
        result = self._values.get("formatter")
        return typing.cast(typing.Optional["TelemetrySpecTracingCustomTagsFormatter"], result)

    @builtins.property
    def header(self) -> typing.Optional["TelemetrySpecTracingCustomTagsHeader"]:
        '''RequestHeader adds the value of an header from the request to each span.

        :schema: TelemetrySpecTracingCustomTags#header
        '''
        result = self._values.get("header")
        return typing.cast(typing.Optional["TelemetrySpecTracingCustomTagsHeader"], result)

    @builtins.property
    def literal(self) -> typing.Optional["TelemetrySpecTracingCustomTagsLiteral"]:
        '''Literal adds the same, hard-coded value to each span.

        :schema: TelemetrySpecTracingCustomTags#literal
        '''
        result = self._values.get("literal")
        return typing.cast(typing.Optional["TelemetrySpecTracingCustomTagsLiteral"], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "TelemetrySpecTracingCustomTags(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="jupyterhub_cdk8s_ioistiotelemetry.TelemetrySpecTracingCustomTagsEnvironment",
    jsii_struct_bases=[],
    name_mapping={"name": "name", "default_value": "defaultValue"},
)
class TelemetrySpecTracingCustomTagsEnvironment:
    def __init__(
        self,
        *,
        name: builtins.str,
        default_value: typing.Optional[builtins.str] = None,
    ) -> None:
        '''Environment adds the value of an environment variable to each span.

        :param name: Name of the environment variable from which to extract the tag value.
        :param default_value: Optional.

        :schema: TelemetrySpecTracingCustomTagsEnvironment
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__e54b50575c3fe65d23aa0370aa3cd4c7b305a4c54b8edcc43448e1da05e472fb)
            check_type(argname="argument name", value=name, expected_type=type_hints["name"])
            check_type(argname="argument default_value", value=default_value, expected_type=type_hints["default_value"])
        self._values: typing.Dict[builtins.str, typing.Any] = {
            "name": name,
        }
        if default_value is not None:
            self._values["default_value"] = default_value

    @builtins.property
    def name(self) -> builtins.str:
        '''Name of the environment variable from which to extract the tag value.

        :schema: TelemetrySpecTracingCustomTagsEnvironment#name
        '''
        result = self._values.get("name")
        assert result is not None, "Required property 'name' is missing"
        return typing.cast(builtins.str, result)

    @builtins.property
    def default_value(self) -> typing.Optional[builtins.str]:
        '''Optional.

        :schema: TelemetrySpecTracingCustomTagsEnvironment#defaultValue
        '''
        result = self._values.get("default_value")
        return typing.cast(typing.Optional[builtins.str], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "TelemetrySpecTracingCustomTagsEnvironment(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="jupyterhub_cdk8s_ioistiotelemetry.TelemetrySpecTracingCustomTagsFormatter",
    jsii_struct_bases=[],
    name_mapping={"value": "value"},
)
class TelemetrySpecTracingCustomTagsFormatter:
    def __init__(self, *, value: builtins.str) -> None:
        '''Formatter adds the value of access logging substitution formatter.

        :param value: The formatter tag value to use, same formatter as HTTP access logging (e.g.

        :schema: TelemetrySpecTracingCustomTagsFormatter
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__d6f4d545a5d82276a42b370e2895ae0cfaf879c2b63f0c2e8460152fc1e1f9b8)
            check_type(argname="argument value", value=value, expected_type=type_hints["value"])
        self._values: typing.Dict[builtins.str, typing.Any] = {
            "value": value,
        }

    @builtins.property
    def value(self) -> builtins.str:
        '''The formatter tag value to use, same formatter as HTTP access logging (e.g.

        :schema: TelemetrySpecTracingCustomTagsFormatter#value
        '''
        result = self._values.get("value")
        assert result is not None, "Required property 'value' is missing"
        return typing.cast(builtins.str, result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "TelemetrySpecTracingCustomTagsFormatter(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="jupyterhub_cdk8s_ioistiotelemetry.TelemetrySpecTracingCustomTagsHeader",
    jsii_struct_bases=[],
    name_mapping={"name": "name", "default_value": "defaultValue"},
)
class TelemetrySpecTracingCustomTagsHeader:
    def __init__(
        self,
        *,
        name: builtins.str,
        default_value: typing.Optional[builtins.str] = None,
    ) -> None:
        '''RequestHeader adds the value of an header from the request to each span.

        :param name: Name of the header from which to extract the tag value.
        :param default_value: Optional.

        :schema: TelemetrySpecTracingCustomTagsHeader
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__1adc1f3906ca209a3e398d9685612b88b4aa256ebd500713ae7a8cac9897228e)
            check_type(argname="argument name", value=name, expected_type=type_hints["name"])
            check_type(argname="argument default_value", value=default_value, expected_type=type_hints["default_value"])
        self._values: typing.Dict[builtins.str, typing.Any] = {
            "name": name,
        }
        if default_value is not None:
            self._values["default_value"] = default_value

    @builtins.property
    def name(self) -> builtins.str:
        '''Name of the header from which to extract the tag value.

        :schema: TelemetrySpecTracingCustomTagsHeader#name
        '''
        result = self._values.get("name")
        assert result is not None, "Required property 'name' is missing"
        return typing.cast(builtins.str, result)

    @builtins.property
    def default_value(self) -> typing.Optional[builtins.str]:
        '''Optional.

        :schema: TelemetrySpecTracingCustomTagsHeader#defaultValue
        '''
        result = self._values.get("default_value")
        return typing.cast(typing.Optional[builtins.str], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "TelemetrySpecTracingCustomTagsHeader(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="jupyterhub_cdk8s_ioistiotelemetry.TelemetrySpecTracingCustomTagsLiteral",
    jsii_struct_bases=[],
    name_mapping={"value": "value"},
)
class TelemetrySpecTracingCustomTagsLiteral:
    def __init__(self, *, value: builtins.str) -> None:
        '''Literal adds the same, hard-coded value to each span.

        :param value: The tag value to use.

        :schema: TelemetrySpecTracingCustomTagsLiteral
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__8d48c81ac6491607296b392bfeb1f223bdbc29727adec24617ce06bdf4a41be3)
            check_type(argname="argument value", value=value, expected_type=type_hints["value"])
        self._values: typing.Dict[builtins.str, typing.Any] = {
            "value": value,
        }

    @builtins.property
    def value(self) -> builtins.str:
        '''The tag value to use.

        :schema: TelemetrySpecTracingCustomTagsLiteral#value
        '''
        result = self._values.get("value")
        assert result is not None, "Required property 'value' is missing"
        return typing.cast(builtins.str, result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "TelemetrySpecTracingCustomTagsLiteral(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="jupyterhub_cdk8s_ioistiotelemetry.TelemetrySpecTracingMatch",
    jsii_struct_bases=[],
    name_mapping={"mode": "mode"},
)
class TelemetrySpecTracingMatch:
    def __init__(
        self,
        *,
        mode: typing.Optional["TelemetrySpecTracingMatchMode"] = None,
    ) -> None:
        '''Allows tailoring of behavior to specific conditions.

        :param mode: This determines whether or not to apply the tracing configuration based on the direction of traffic relative to the proxied workload. Valid Options: CLIENT_AND_SERVER, CLIENT, SERVER

        :schema: TelemetrySpecTracingMatch
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__8ba110c7613147c86c4cb5307f5ae06a07703ad83d2d9e2d0df1a1f205647aa1)
            check_type(argname="argument mode", value=mode, expected_type=type_hints["mode"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if mode is not None:
            self._values["mode"] = mode

    @builtins.property
    def mode(self) -> typing.Optional["TelemetrySpecTracingMatchMode"]:
        '''This determines whether or not to apply the tracing configuration based on the direction of traffic relative to the proxied workload.

        Valid Options: CLIENT_AND_SERVER, CLIENT, SERVER

        :schema: TelemetrySpecTracingMatch#mode
        '''
        result = self._values.get("mode")
        return typing.cast(typing.Optional["TelemetrySpecTracingMatchMode"], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "TelemetrySpecTracingMatch(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.enum(jsii_type="jupyterhub_cdk8s_ioistiotelemetry.TelemetrySpecTracingMatchMode")
class TelemetrySpecTracingMatchMode(enum.Enum):
    '''This determines whether or not to apply the tracing configuration based on the direction of traffic relative to the proxied workload.

    Valid Options: CLIENT_AND_SERVER, CLIENT, SERVER

    :schema: TelemetrySpecTracingMatchMode
    '''

    CLIENT_UNDERSCORE_AND_UNDERSCORE_SERVER = "CLIENT_UNDERSCORE_AND_UNDERSCORE_SERVER"
    '''CLIENT_AND_SERVER.'''
    CLIENT = "CLIENT"
    '''CLIENT.'''
    SERVER = "SERVER"
    '''SERVER.'''


@jsii.data_type(
    jsii_type="jupyterhub_cdk8s_ioistiotelemetry.TelemetrySpecTracingProviders",
    jsii_struct_bases=[],
    name_mapping={"name": "name"},
)
class TelemetrySpecTracingProviders:
    def __init__(self, *, name: builtins.str) -> None:
        '''
        :param name: Required.

        :schema: TelemetrySpecTracingProviders
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__2e60ac57cbc5fe303ece15195840a199c6dd2a676d4c2968227f32cb4f72764a)
            check_type(argname="argument name", value=name, expected_type=type_hints["name"])
        self._values: typing.Dict[builtins.str, typing.Any] = {
            "name": name,
        }

    @builtins.property
    def name(self) -> builtins.str:
        '''Required.

        :schema: TelemetrySpecTracingProviders#name
        '''
        result = self._values.get("name")
        assert result is not None, "Required property 'name' is missing"
        return typing.cast(builtins.str, result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "TelemetrySpecTracingProviders(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


__all__ = [
    "Telemetry",
    "TelemetryProps",
    "TelemetrySpec",
    "TelemetrySpecAccessLogging",
    "TelemetrySpecAccessLoggingFilter",
    "TelemetrySpecAccessLoggingMatch",
    "TelemetrySpecAccessLoggingMatchMode",
    "TelemetrySpecAccessLoggingProviders",
    "TelemetrySpecMetrics",
    "TelemetrySpecMetricsOverrides",
    "TelemetrySpecMetricsOverridesMatch",
    "TelemetrySpecMetricsOverridesMatchMetric",
    "TelemetrySpecMetricsOverridesMatchMode",
    "TelemetrySpecMetricsOverridesTagOverrides",
    "TelemetrySpecMetricsOverridesTagOverridesOperation",
    "TelemetrySpecMetricsProviders",
    "TelemetrySpecSelector",
    "TelemetrySpecTargetRef",
    "TelemetrySpecTargetRefs",
    "TelemetrySpecTracing",
    "TelemetrySpecTracingCustomTags",
    "TelemetrySpecTracingCustomTagsEnvironment",
    "TelemetrySpecTracingCustomTagsFormatter",
    "TelemetrySpecTracingCustomTagsHeader",
    "TelemetrySpecTracingCustomTagsLiteral",
    "TelemetrySpecTracingMatch",
    "TelemetrySpecTracingMatchMode",
    "TelemetrySpecTracingProviders",
]

publication.publish()

def _typecheckingstub__2f9b5bb04cb1a0ff72b8baf5c1661b40c6d2c44e5c530ada68cb858fb69d8f76(
    scope: _constructs_77d1e7e8.Construct,
    id: builtins.str,
    *,
    metadata: typing.Optional[typing.Union[_cdk8s_d3d9af27.ApiObjectMetadata, typing.Dict[builtins.str, typing.Any]]] = None,
    spec: typing.Optional[typing.Union[TelemetrySpec, typing.Dict[builtins.str, typing.Any]]] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__6d85b431427edc5e1e4cfe667a1e5eb4055d041eb88157ce994184c455e147e7(
    *,
    metadata: typing.Optional[typing.Union[_cdk8s_d3d9af27.ApiObjectMetadata, typing.Dict[builtins.str, typing.Any]]] = None,
    spec: typing.Optional[typing.Union[TelemetrySpec, typing.Dict[builtins.str, typing.Any]]] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__b883324434a2fea152e70254c59895dfe52dcb2c5eaa47ac91969fd6dfdef2d8(
    *,
    access_logging: typing.Optional[typing.Sequence[typing.Union[TelemetrySpecAccessLogging, typing.Dict[builtins.str, typing.Any]]]] = None,
    metrics: typing.Optional[typing.Sequence[typing.Union[TelemetrySpecMetrics, typing.Dict[builtins.str, typing.Any]]]] = None,
    selector: typing.Optional[typing.Union[TelemetrySpecSelector, typing.Dict[builtins.str, typing.Any]]] = None,
    target_ref: typing.Optional[typing.Union[TelemetrySpecTargetRef, typing.Dict[builtins.str, typing.Any]]] = None,
    target_refs: typing.Optional[typing.Sequence[typing.Union[TelemetrySpecTargetRefs, typing.Dict[builtins.str, typing.Any]]]] = None,
    tracing: typing.Optional[typing.Sequence[typing.Union[TelemetrySpecTracing, typing.Dict[builtins.str, typing.Any]]]] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__e1b8d5bdaa87e61c3d68a7dd4a5da9b4af50ba2a902297907b40faab5118300f(
    *,
    disabled: typing.Optional[builtins.bool] = None,
    filter: typing.Optional[typing.Union[TelemetrySpecAccessLoggingFilter, typing.Dict[builtins.str, typing.Any]]] = None,
    match: typing.Optional[typing.Union[TelemetrySpecAccessLoggingMatch, typing.Dict[builtins.str, typing.Any]]] = None,
    providers: typing.Optional[typing.Sequence[typing.Union[TelemetrySpecAccessLoggingProviders, typing.Dict[builtins.str, typing.Any]]]] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__2a7ae07f00e01b03349e6e4c59a0dc171b1604456a0a2977217b3861ed74225c(
    *,
    expression: typing.Optional[builtins.str] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__5b9b5637f79c05eea0a45352fde6beab7b61dd37dce32253c182efe87754d1bc(
    *,
    mode: typing.Optional[TelemetrySpecAccessLoggingMatchMode] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__d20a4c1564ee818b0a9ee986c33cfc619f0f0aa9f35323b7005004831a6ccc01(
    *,
    name: builtins.str,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__07bcf469531737c27292eade3da584d13f226f55cdd46b6425acb0b21fc736ca(
    *,
    overrides: typing.Optional[typing.Sequence[typing.Union[TelemetrySpecMetricsOverrides, typing.Dict[builtins.str, typing.Any]]]] = None,
    providers: typing.Optional[typing.Sequence[typing.Union[TelemetrySpecMetricsProviders, typing.Dict[builtins.str, typing.Any]]]] = None,
    reporting_interval: typing.Optional[builtins.str] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__56d5cac7b349c79189dbbb1605972cec8f80534b362f1d327636c66bd51c65c8(
    *,
    disabled: typing.Optional[builtins.bool] = None,
    match: typing.Optional[typing.Union[TelemetrySpecMetricsOverridesMatch, typing.Dict[builtins.str, typing.Any]]] = None,
    tag_overrides: typing.Optional[typing.Mapping[builtins.str, typing.Union[TelemetrySpecMetricsOverridesTagOverrides, typing.Dict[builtins.str, typing.Any]]]] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__cf756b0be30bacae8dfa04d6a78e27c6184680d3d4aeb40c9eaed60e7f539992(
    *,
    custom_metric: typing.Optional[builtins.str] = None,
    metric: typing.Optional[TelemetrySpecMetricsOverridesMatchMetric] = None,
    mode: typing.Optional[TelemetrySpecMetricsOverridesMatchMode] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__7e316cfb5d7bfa00aaa942b017588895cafc0bf9687cc6f468efb45f9553aa98(
    *,
    operation: typing.Optional[TelemetrySpecMetricsOverridesTagOverridesOperation] = None,
    value: typing.Optional[builtins.str] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__ef27de3535e9aabbe3be36f17f110f7524f9e2445fc82e45ead2473694506e43(
    *,
    name: builtins.str,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__38fe28b367ad8b64df4a86a18077820316a5d39d1cf96de09928e21c30468c8d(
    *,
    match_labels: typing.Optional[typing.Mapping[builtins.str, builtins.str]] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__9493d61bdd6b7853c176c1c963346cd24c6776465a00cb319e4da8fb4f93477f(
    *,
    kind: builtins.str,
    name: builtins.str,
    group: typing.Optional[builtins.str] = None,
    namespace: typing.Optional[builtins.str] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__46f8bf50f246c1fe8d87e43755a6137386fe218b31f29f073fc79d0bce0a692d(
    *,
    kind: builtins.str,
    name: builtins.str,
    group: typing.Optional[builtins.str] = None,
    namespace: typing.Optional[builtins.str] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__94c7bdeb76748e5c3c257546ed1179959252cf79c61b31dddd3cfd936a8db70d(
    *,
    custom_tags: typing.Optional[typing.Mapping[builtins.str, typing.Union[TelemetrySpecTracingCustomTags, typing.Dict[builtins.str, typing.Any]]]] = None,
    disable_context_propagation: typing.Optional[builtins.bool] = None,
    disable_span_reporting: typing.Optional[builtins.bool] = None,
    enable_istio_tags: typing.Optional[builtins.bool] = None,
    match: typing.Optional[typing.Union[TelemetrySpecTracingMatch, typing.Dict[builtins.str, typing.Any]]] = None,
    providers: typing.Optional[typing.Sequence[typing.Union[TelemetrySpecTracingProviders, typing.Dict[builtins.str, typing.Any]]]] = None,
    random_sampling_percentage: typing.Optional[jsii.Number] = None,
    use_request_id_for_trace_sampling: typing.Optional[builtins.bool] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__d69ed5808b5b02539ca2dbeed5aa0e9e000aaedaf6345a6f839f4d9b11c96ef2(
    *,
    environment: typing.Optional[typing.Union[TelemetrySpecTracingCustomTagsEnvironment, typing.Dict[builtins.str, typing.Any]]] = None,
    formatter: typing.Optional[typing.Union[TelemetrySpecTracingCustomTagsFormatter, typing.Dict[builtins.str, typing.Any]]] = None,
    header: typing.Optional[typing.Union[TelemetrySpecTracingCustomTagsHeader, typing.Dict[builtins.str, typing.Any]]] = None,
    literal: typing.Optional[typing.Union[TelemetrySpecTracingCustomTagsLiteral, typing.Dict[builtins.str, typing.Any]]] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__e54b50575c3fe65d23aa0370aa3cd4c7b305a4c54b8edcc43448e1da05e472fb(
    *,
    name: builtins.str,
    default_value: typing.Optional[builtins.str] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__d6f4d545a5d82276a42b370e2895ae0cfaf879c2b63f0c2e8460152fc1e1f9b8(
    *,
    value: builtins.str,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__1adc1f3906ca209a3e398d9685612b88b4aa256ebd500713ae7a8cac9897228e(
    *,
    name: builtins.str,
    default_value: typing.Optional[builtins.str] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__8d48c81ac6491607296b392bfeb1f223bdbc29727adec24617ce06bdf4a41be3(
    *,
    value: builtins.str,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__8ba110c7613147c86c4cb5307f5ae06a07703ad83d2d9e2d0df1a1f205647aa1(
    *,
    mode: typing.Optional[TelemetrySpecTracingMatchMode] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__2e60ac57cbc5fe303ece15195840a199c6dd2a676d4c2968227f32cb4f72764a(
    *,
    name: builtins.str,
) -> None:
    """Type checking stubs"""
    pass
