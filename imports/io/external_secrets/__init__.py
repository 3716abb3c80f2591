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


class ExternalSecret(
    _cdk8s_d3d9af27.ApiObject,
    metaclass=jsii.JSIIMeta,
    jsii_type="ioexternal-secrets.ExternalSecret",
):
    '''ExternalSecret is the Schema for the external-secrets API.

    It defines how to fetch data from external APIs and make it available as Kubernetes Secrets.

    :schema: ExternalSecret
    '''

    def __init__(
        self,
        scope: "_constructs_77d1e7e8.Construct",
        id: builtins.str,
        *,
        metadata: typing.Optional[typing.Union["_cdk8s_d3d9af27.ApiObjectMetadata", typing.Dict[builtins.str, typing.Any]]] = None,
        spec: typing.Optional[typing.Union["ExternalSecretSpec", typing.Dict[builtins.str, typing.Any]]] = None,
    ) -> None:
        '''Defines a "ExternalSecret" API object.

        :param scope: the scope in which to define this object.
        :param id: a scope-local name for the object.
        :param metadata: 
        :param spec: ExternalSecretSpec defines the desired state of ExternalSecret.
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__8c3b70f22c7723f819f402a6957ab71e8991db57a58ba85047be7a2faaad81e0)
            check_type(argname="argument scope", value=scope, expected_type=type_hints["scope"])
            check_type(argname="argument id", value=id, expected_type=type_hints["id"])
        props = ExternalSecretProps(metadata=metadata, spec=spec)

        jsii.create(self.__class__, self, [scope, id, props])

    @jsii.member(jsii_name="manifest")
    @builtins.classmethod
    def manifest(
        cls,
        *,
        metadata: typing.Optional[typing.Union["_cdk8s_d3d9af27.ApiObjectMetadata", typing.Dict[builtins.str, typing.Any]]] = None,
        spec: typing.Optional[typing.Union["ExternalSecretSpec", typing.Dict[builtins.str, typing.Any]]] = None,
    ) -> typing.Any:
        '''Renders a Kubernetes manifest for "ExternalSecret".

        This can be used to inline resource manifests inside other objects (e.g. as templates).

        :param metadata: 
        :param spec: ExternalSecretSpec defines the desired state of ExternalSecret.
        '''
        props = ExternalSecretProps(metadata=metadata, spec=spec)

        return typing.cast(typing.Any, jsii.sinvoke(cls, "manifest", [props]))

    @jsii.member(jsii_name="toJson")
    def to_json(self) -> typing.Any:
        '''Renders the object to Kubernetes JSON.'''
        return typing.cast(typing.Any, jsii.invoke(self, "toJson", []))

    @jsii.python.classproperty
    @jsii.member(jsii_name="GVK")
    def GVK(cls) -> "_cdk8s_d3d9af27.GroupVersionKind":
        '''Returns the apiVersion and kind for "ExternalSecret".'''
        return typing.cast("_cdk8s_d3d9af27.GroupVersionKind", jsii.sget(cls, "GVK"))


@jsii.data_type(
    jsii_type="ioexternal-secrets.ExternalSecretProps",
    jsii_struct_bases=[],
    name_mapping={"metadata": "metadata", "spec": "spec"},
)
class ExternalSecretProps:
    def __init__(
        self,
        *,
        metadata: typing.Optional[typing.Union["_cdk8s_d3d9af27.ApiObjectMetadata", typing.Dict[builtins.str, typing.Any]]] = None,
        spec: typing.Optional[typing.Union["ExternalSecretSpec", typing.Dict[builtins.str, typing.Any]]] = None,
    ) -> None:
        '''ExternalSecret is the Schema for the external-secrets API.

        It defines how to fetch data from external APIs and make it available as Kubernetes Secrets.

        :param metadata: 
        :param spec: ExternalSecretSpec defines the desired state of ExternalSecret.

        :schema: ExternalSecret
        '''
        if isinstance(metadata, dict):
            metadata = _cdk8s_d3d9af27.ApiObjectMetadata(**metadata)
        if isinstance(spec, dict):
            spec = ExternalSecretSpec(**spec)
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__37e904970e3dbc8f880d53222da8b9d6ad0e642ffbccba70fe72cb9cdfbe3289)
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
        :schema: ExternalSecret#metadata
        '''
        result = self._values.get("metadata")
        return typing.cast(typing.Optional["_cdk8s_d3d9af27.ApiObjectMetadata"], result)

    @builtins.property
    def spec(self) -> typing.Optional["ExternalSecretSpec"]:
        '''ExternalSecretSpec defines the desired state of ExternalSecret.

        :schema: ExternalSecret#spec
        '''
        result = self._values.get("spec")
        return typing.cast(typing.Optional["ExternalSecretSpec"], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ExternalSecretProps(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="ioexternal-secrets.ExternalSecretSpec",
    jsii_struct_bases=[],
    name_mapping={
        "data": "data",
        "data_from": "dataFrom",
        "refresh_interval": "refreshInterval",
        "refresh_policy": "refreshPolicy",
        "secret_store_ref": "secretStoreRef",
        "sync_windows": "syncWindows",
        "target": "target",
    },
)
class ExternalSecretSpec:
    def __init__(
        self,
        *,
        data: typing.Optional[typing.Sequence[typing.Union["ExternalSecretSpecData", typing.Dict[builtins.str, typing.Any]]]] = None,
        data_from: typing.Optional[typing.Sequence[typing.Union["ExternalSecretSpecDataFrom", typing.Dict[builtins.str, typing.Any]]]] = None,
        refresh_interval: typing.Optional[builtins.str] = None,
        refresh_policy: typing.Optional["ExternalSecretSpecRefreshPolicy"] = None,
        secret_store_ref: typing.Optional[typing.Union["ExternalSecretSpecSecretStoreRef", typing.Dict[builtins.str, typing.Any]]] = None,
        sync_windows: typing.Optional[typing.Union["ExternalSecretSpecSyncWindows", typing.Dict[builtins.str, typing.Any]]] = None,
        target: typing.Optional[typing.Union["ExternalSecretSpecTarget", typing.Dict[builtins.str, typing.Any]]] = None,
    ) -> None:
        '''ExternalSecretSpec defines the desired state of ExternalSecret.

        :param data: Data defines the connection between the Kubernetes Secret keys and the Provider data.
        :param data_from: DataFrom is used to fetch all properties from a specific Provider data If multiple entries are specified, the Secret keys are merged in the specified order.
        :param refresh_interval: RefreshInterval is the amount of time before the values are read again from the SecretStore provider, specified as Golang Duration strings. Valid time units are "ns", "us" (or "µs"), "ms", "s", "m", "h" Example values: "1h0m0s", "2h30m0s", "10m0s" May be set to "0s" to fetch and create it once. Defaults to 1h0m0s. Default: 1h0m0s.
        :param refresh_policy: RefreshPolicy determines how the ExternalSecret should be refreshed: - CreatedOnce: Creates the Secret only if it does not exist and does not update it thereafter - Periodic: Synchronizes the Secret from the external source at regular intervals specified by refreshInterval. No periodic updates occur if refreshInterval is 0. - OnChange: Only synchronizes the Secret when the ExternalSecret's metadata or specification changes
        :param secret_store_ref: SecretStoreRef defines which SecretStore to fetch the ExternalSecret data.
        :param sync_windows: SyncWindows optionally restricts when periodic refreshes may occur. Evaluated in UTC, only for Periodic refresh policy (or when refreshPolicy is unset).
        :param target: ExternalSecretTarget defines the Kubernetes Secret to be created, there can be only one target per ExternalSecret.

        :schema: ExternalSecretSpec
        '''
        if isinstance(secret_store_ref, dict):
            secret_store_ref = ExternalSecretSpecSecretStoreRef(**secret_store_ref)
        if isinstance(sync_windows, dict):
            sync_windows = ExternalSecretSpecSyncWindows(**sync_windows)
        if isinstance(target, dict):
            target = ExternalSecretSpecTarget(**target)
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__074b53f8506e2f7772a36a26ed9736680e0342754c5f0ccf2218c6fef874937d)
            check_type(argname="argument data", value=data, expected_type=type_hints["data"])
            check_type(argname="argument data_from", value=data_from, expected_type=type_hints["data_from"])
            check_type(argname="argument refresh_interval", value=refresh_interval, expected_type=type_hints["refresh_interval"])
            check_type(argname="argument refresh_policy", value=refresh_policy, expected_type=type_hints["refresh_policy"])
            check_type(argname="argument secret_store_ref", value=secret_store_ref, expected_type=type_hints["secret_store_ref"])
            check_type(argname="argument sync_windows", value=sync_windows, expected_type=type_hints["sync_windows"])
            check_type(argname="argument target", value=target, expected_type=type_hints["target"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if data is not None:
            self._values["data"] = data
        if data_from is not None:
            self._values["data_from"] = data_from
        if refresh_interval is not None:
            self._values["refresh_interval"] = refresh_interval
        if refresh_policy is not None:
            self._values["refresh_policy"] = refresh_policy
        if secret_store_ref is not None:
            self._values["secret_store_ref"] = secret_store_ref
        if sync_windows is not None:
            self._values["sync_windows"] = sync_windows
        if target is not None:
            self._values["target"] = target

    @builtins.property
    def data(self) -> typing.Optional[typing.List["ExternalSecretSpecData"]]:
        '''Data defines the connection between the Kubernetes Secret keys and the Provider data.

        :schema: ExternalSecretSpec#data
        '''
        result = self._values.get("data")
        return typing.cast(typing.Optional[typing.List["ExternalSecretSpecData"]], result)

    @builtins.property
    def data_from(self) -> typing.Optional[typing.List["ExternalSecretSpecDataFrom"]]:
        '''DataFrom is used to fetch all properties from a specific Provider data If multiple entries are specified, the Secret keys are merged in the specified order.

        :schema: ExternalSecretSpec#dataFrom
        '''
        result = self._values.get("data_from")
        return typing.cast(typing.Optional[typing.List["ExternalSecretSpecDataFrom"]], result)

    @builtins.property
    def refresh_interval(self) -> typing.Optional[builtins.str]:
        '''RefreshInterval is the amount of time before the values are read again from the SecretStore provider, specified as Golang Duration strings.

        Valid time units are "ns", "us" (or "µs"), "ms", "s", "m", "h"
        Example values: "1h0m0s", "2h30m0s", "10m0s"
        May be set to "0s" to fetch and create it once. Defaults to 1h0m0s.

        :default: 1h0m0s.

        :schema: ExternalSecretSpec#refreshInterval
        '''
        result = self._values.get("refresh_interval")
        return typing.cast(typing.Optional[builtins.str], result)

    @builtins.property
    def refresh_policy(self) -> typing.Optional["ExternalSecretSpecRefreshPolicy"]:
        '''RefreshPolicy determines how the ExternalSecret should be refreshed: - CreatedOnce: Creates the Secret only if it does not exist and does not update it thereafter - Periodic: Synchronizes the Secret from the external source at regular intervals specified by refreshInterval.

        No periodic updates occur if refreshInterval is 0.

        - OnChange: Only synchronizes the Secret when the ExternalSecret's metadata or specification changes

        :schema: ExternalSecretSpec#refreshPolicy
        '''
        result = self._values.get("refresh_policy")
        return typing.cast(typing.Optional["ExternalSecretSpecRefreshPolicy"], result)

    @builtins.property
    def secret_store_ref(self) -> typing.Optional["ExternalSecretSpecSecretStoreRef"]:
        '''SecretStoreRef defines which SecretStore to fetch the ExternalSecret data.

        :schema: ExternalSecretSpec#secretStoreRef
        '''
        result = self._values.get("secret_store_ref")
        return typing.cast(typing.Optional["ExternalSecretSpecSecretStoreRef"], result)

    @builtins.property
    def sync_windows(self) -> typing.Optional["ExternalSecretSpecSyncWindows"]:
        '''SyncWindows optionally restricts when periodic refreshes may occur.

        Evaluated in UTC, only for Periodic refresh policy (or when refreshPolicy is unset).

        :schema: ExternalSecretSpec#syncWindows
        '''
        result = self._values.get("sync_windows")
        return typing.cast(typing.Optional["ExternalSecretSpecSyncWindows"], result)

    @builtins.property
    def target(self) -> typing.Optional["ExternalSecretSpecTarget"]:
        '''ExternalSecretTarget defines the Kubernetes Secret to be created, there can be only one target per ExternalSecret.

        :schema: ExternalSecretSpec#target
        '''
        result = self._values.get("target")
        return typing.cast(typing.Optional["ExternalSecretSpecTarget"], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ExternalSecretSpec(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="ioexternal-secrets.ExternalSecretSpecData",
    jsii_struct_bases=[],
    name_mapping={
        "remote_ref": "remoteRef",
        "secret_key": "secretKey",
        "source_ref": "sourceRef",
    },
)
class ExternalSecretSpecData:
    def __init__(
        self,
        *,
        remote_ref: typing.Union["ExternalSecretSpecDataRemoteRef", typing.Dict[builtins.str, typing.Any]],
        secret_key: builtins.str,
        source_ref: typing.Optional[typing.Union["ExternalSecretSpecDataSourceRef", typing.Dict[builtins.str, typing.Any]]] = None,
    ) -> None:
        '''ExternalSecretData defines the connection between the Kubernetes Secret key (spec.data.) and the Provider data.

        :param remote_ref: RemoteRef points to the remote secret and defines which secret (version/property/..) to fetch.
        :param secret_key: The key in the Kubernetes Secret to store the value.
        :param source_ref: SourceRef allows you to override the source from which the value will be pulled.

        :schema: ExternalSecretSpecData
        '''
        if isinstance(remote_ref, dict):
            remote_ref = ExternalSecretSpecDataRemoteRef(**remote_ref)
        if isinstance(source_ref, dict):
            source_ref = ExternalSecretSpecDataSourceRef(**source_ref)
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__475d807ac9fbc706d9ba6234ed898b602897f6af687b51a5cfabc7a77de0d4ce)
            check_type(argname="argument remote_ref", value=remote_ref, expected_type=type_hints["remote_ref"])
            check_type(argname="argument secret_key", value=secret_key, expected_type=type_hints["secret_key"])
            check_type(argname="argument source_ref", value=source_ref, expected_type=type_hints["source_ref"])
        self._values: typing.Dict[builtins.str, typing.Any] = {
            "remote_ref": remote_ref,
            "secret_key": secret_key,
        }
        if source_ref is not None:
            self._values["source_ref"] = source_ref

    @builtins.property
    def remote_ref(self) -> "ExternalSecretSpecDataRemoteRef":
        '''RemoteRef points to the remote secret and defines which secret (version/property/..) to fetch.

        :schema: ExternalSecretSpecData#remoteRef
        '''
        result = self._values.get("remote_ref")
        assert result is not None, "Required property 'remote_ref' is missing"
        return typing.cast("ExternalSecretSpecDataRemoteRef", result)

    @builtins.property
    def secret_key(self) -> builtins.str:
        '''The key in the Kubernetes Secret to store the value.

        :schema: ExternalSecretSpecData#secretKey
        '''
        result = self._values.get("secret_key")
        assert result is not None, "Required property 'secret_key' is missing"
        return typing.cast(builtins.str, result)

    @builtins.property
    def source_ref(self) -> typing.Optional["ExternalSecretSpecDataSourceRef"]:
        '''SourceRef allows you to override the source from which the value will be pulled.

        :schema: ExternalSecretSpecData#sourceRef
        '''
        result = self._values.get("source_ref")
        return typing.cast(typing.Optional["ExternalSecretSpecDataSourceRef"], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ExternalSecretSpecData(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataFrom",
    jsii_struct_bases=[],
    name_mapping={
        "extract": "extract",
        "find": "find",
        "rewrite": "rewrite",
        "source_ref": "sourceRef",
    },
)
class ExternalSecretSpecDataFrom:
    def __init__(
        self,
        *,
        extract: typing.Optional[typing.Union["ExternalSecretSpecDataFromExtract", typing.Dict[builtins.str, typing.Any]]] = None,
        find: typing.Optional[typing.Union["ExternalSecretSpecDataFromFind", typing.Dict[builtins.str, typing.Any]]] = None,
        rewrite: typing.Optional[typing.Sequence[typing.Union["ExternalSecretSpecDataFromRewrite", typing.Dict[builtins.str, typing.Any]]]] = None,
        source_ref: typing.Optional[typing.Union["ExternalSecretSpecDataFromSourceRef", typing.Dict[builtins.str, typing.Any]]] = None,
    ) -> None:
        '''ExternalSecretDataFromRemoteRef defines the connection between the Kubernetes Secret keys and the Provider data when using DataFrom to fetch multiple values from a Provider.

        :param extract: Used to extract multiple key/value pairs from one secret Note: Extract does not support sourceRef.Generator or sourceRef.GeneratorRef.
        :param find: Used to find secrets based on tags or regular expressions Note: Find does not support sourceRef.Generator or sourceRef.GeneratorRef.
        :param rewrite: Used to rewrite secret Keys after getting them from the secret Provider Multiple Rewrite operations can be provided. They are applied in a layered order (first to last)
        :param source_ref: SourceRef points to a store or generator which contains secret values ready to use. Use this in combination with Extract or Find pull values out of a specific SecretStore. When sourceRef points to a generator Extract or Find is not supported. The generator returns a static map of values

        :schema: ExternalSecretSpecDataFrom
        '''
        if isinstance(extract, dict):
            extract = ExternalSecretSpecDataFromExtract(**extract)
        if isinstance(find, dict):
            find = ExternalSecretSpecDataFromFind(**find)
        if isinstance(source_ref, dict):
            source_ref = ExternalSecretSpecDataFromSourceRef(**source_ref)
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__5652c1cf0894311801be60a13dd81647750db80e32bc8f49fe3e8235021c6c91)
            check_type(argname="argument extract", value=extract, expected_type=type_hints["extract"])
            check_type(argname="argument find", value=find, expected_type=type_hints["find"])
            check_type(argname="argument rewrite", value=rewrite, expected_type=type_hints["rewrite"])
            check_type(argname="argument source_ref", value=source_ref, expected_type=type_hints["source_ref"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if extract is not None:
            self._values["extract"] = extract
        if find is not None:
            self._values["find"] = find
        if rewrite is not None:
            self._values["rewrite"] = rewrite
        if source_ref is not None:
            self._values["source_ref"] = source_ref

    @builtins.property
    def extract(self) -> typing.Optional["ExternalSecretSpecDataFromExtract"]:
        '''Used to extract multiple key/value pairs from one secret Note: Extract does not support sourceRef.Generator or sourceRef.GeneratorRef.

        :schema: ExternalSecretSpecDataFrom#extract
        '''
        result = self._values.get("extract")
        return typing.cast(typing.Optional["ExternalSecretSpecDataFromExtract"], result)

    @builtins.property
    def find(self) -> typing.Optional["ExternalSecretSpecDataFromFind"]:
        '''Used to find secrets based on tags or regular expressions Note: Find does not support sourceRef.Generator or sourceRef.GeneratorRef.

        :schema: ExternalSecretSpecDataFrom#find
        '''
        result = self._values.get("find")
        return typing.cast(typing.Optional["ExternalSecretSpecDataFromFind"], result)

    @builtins.property
    def rewrite(
        self,
    ) -> typing.Optional[typing.List["ExternalSecretSpecDataFromRewrite"]]:
        '''Used to rewrite secret Keys after getting them from the secret Provider Multiple Rewrite operations can be provided.

        They are applied in a layered order (first to last)

        :schema: ExternalSecretSpecDataFrom#rewrite
        '''
        result = self._values.get("rewrite")
        return typing.cast(typing.Optional[typing.List["ExternalSecretSpecDataFromRewrite"]], result)

    @builtins.property
    def source_ref(self) -> typing.Optional["ExternalSecretSpecDataFromSourceRef"]:
        '''SourceRef points to a store or generator which contains secret values ready to use.

        Use this in combination with Extract or Find pull values out of
        a specific SecretStore.
        When sourceRef points to a generator Extract or Find is not supported.
        The generator returns a static map of values

        :schema: ExternalSecretSpecDataFrom#sourceRef
        '''
        result = self._values.get("source_ref")
        return typing.cast(typing.Optional["ExternalSecretSpecDataFromSourceRef"], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ExternalSecretSpecDataFrom(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataFromExtract",
    jsii_struct_bases=[],
    name_mapping={
        "key": "key",
        "conversion_strategy": "conversionStrategy",
        "decoding_strategy": "decodingStrategy",
        "metadata_policy": "metadataPolicy",
        "null_byte_policy": "nullBytePolicy",
        "property": "property",
        "version": "version",
    },
)
class ExternalSecretSpecDataFromExtract:
    def __init__(
        self,
        *,
        key: builtins.str,
        conversion_strategy: typing.Optional["ExternalSecretSpecDataFromExtractConversionStrategy"] = None,
        decoding_strategy: typing.Optional["ExternalSecretSpecDataFromExtractDecodingStrategy"] = None,
        metadata_policy: typing.Optional["ExternalSecretSpecDataFromExtractMetadataPolicy"] = None,
        null_byte_policy: typing.Optional["ExternalSecretSpecDataFromExtractNullBytePolicy"] = None,
        property: typing.Optional[builtins.str] = None,
        version: typing.Optional[builtins.str] = None,
    ) -> None:
        '''Used to extract multiple key/value pairs from one secret Note: Extract does not support sourceRef.Generator or sourceRef.GeneratorRef.

        :param key: Key is the key used in the Provider, mandatory.
        :param conversion_strategy: Used to define a conversion Strategy. Defaults to Default when omitted. Default: Default when omitted.
        :param decoding_strategy: Used to define a decoding Strategy. Defaults to None when omitted. Default: None when omitted.
        :param metadata_policy: Policy for fetching tags/labels from provider secrets, possible options are Fetch, None. Defaults to None Default: None
        :param null_byte_policy: Controls how ESO handles fetched secret data containing NUL bytes for this source.
        :param property: Used to select a specific property of the Provider value (if a map), if supported.
        :param version: Used to select a specific version of the Provider value, if supported.

        :schema: ExternalSecretSpecDataFromExtract
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__f1a826e166202abd8ad5a07dc322befd6750a4902692ec4d9ff881dbadc8d102)
            check_type(argname="argument key", value=key, expected_type=type_hints["key"])
            check_type(argname="argument conversion_strategy", value=conversion_strategy, expected_type=type_hints["conversion_strategy"])
            check_type(argname="argument decoding_strategy", value=decoding_strategy, expected_type=type_hints["decoding_strategy"])
            check_type(argname="argument metadata_policy", value=metadata_policy, expected_type=type_hints["metadata_policy"])
            check_type(argname="argument null_byte_policy", value=null_byte_policy, expected_type=type_hints["null_byte_policy"])
            check_type(argname="argument property", value=property, expected_type=type_hints["property"])
            check_type(argname="argument version", value=version, expected_type=type_hints["version"])
        self._values: typing.Dict[builtins.str, typing.Any] = {
            "key": key,
        }
        if conversion_strategy is not None:
            self._values["conversion_strategy"] = conversion_strategy
        if decoding_strategy is not None:
            self._values["decoding_strategy"] = decoding_strategy
        if metadata_policy is not None:
            self._values["metadata_policy"] = metadata_policy
        if null_byte_policy is not None:
            self._values["null_byte_policy"] = null_byte_policy
        if property is not None:
            self._values["property"] = property
        if version is not None:
            self._values["version"] = version

    @builtins.property
    def key(self) -> builtins.str:
        '''Key is the key used in the Provider, mandatory.

        :schema: ExternalSecretSpecDataFromExtract#key
        '''
        result = self._values.get("key")
        assert result is not None, "Required property 'key' is missing"
        return typing.cast(builtins.str, result)

    @builtins.property
    def conversion_strategy(
        self,
    ) -> typing.Optional["ExternalSecretSpecDataFromExtractConversionStrategy"]:
        '''Used to define a conversion Strategy.

        Defaults to Default when omitted.

        :default: Default when omitted.

        :schema: ExternalSecretSpecDataFromExtract#conversionStrategy
        '''
        result = self._values.get("conversion_strategy")
        return typing.cast(typing.Optional["ExternalSecretSpecDataFromExtractConversionStrategy"], result)

    @builtins.property
    def decoding_strategy(
        self,
    ) -> typing.Optional["ExternalSecretSpecDataFromExtractDecodingStrategy"]:
        '''Used to define a decoding Strategy.

        Defaults to None when omitted.

        :default: None when omitted.

        :schema: ExternalSecretSpecDataFromExtract#decodingStrategy
        '''
        result = self._values.get("decoding_strategy")
        return typing.cast(typing.Optional["ExternalSecretSpecDataFromExtractDecodingStrategy"], result)

    @builtins.property
    def metadata_policy(
        self,
    ) -> typing.Optional["ExternalSecretSpecDataFromExtractMetadataPolicy"]:
        '''Policy for fetching tags/labels from provider secrets, possible options are Fetch, None.

        Defaults to None

        :default: None

        :schema: ExternalSecretSpecDataFromExtract#metadataPolicy
        '''
        result = self._values.get("metadata_policy")
        return typing.cast(typing.Optional["ExternalSecretSpecDataFromExtractMetadataPolicy"], result)

    @builtins.property
    def null_byte_policy(
        self,
    ) -> typing.Optional["ExternalSecretSpecDataFromExtractNullBytePolicy"]:
        '''Controls how ESO handles fetched secret data containing NUL bytes for this source.

        :schema: ExternalSecretSpecDataFromExtract#nullBytePolicy
        '''
        result = self._values.get("null_byte_policy")
        return typing.cast(typing.Optional["ExternalSecretSpecDataFromExtractNullBytePolicy"], result)

    @builtins.property
    def property(self) -> typing.Optional[builtins.str]:
        '''Used to select a specific property of the Provider value (if a map), if supported.

        :schema: ExternalSecretSpecDataFromExtract#property
        '''
        result = self._values.get("property")
        return typing.cast(typing.Optional[builtins.str], result)

    @builtins.property
    def version(self) -> typing.Optional[builtins.str]:
        '''Used to select a specific version of the Provider value, if supported.

        :schema: ExternalSecretSpecDataFromExtract#version
        '''
        result = self._values.get("version")
        return typing.cast(typing.Optional[builtins.str], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ExternalSecretSpecDataFromExtract(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.enum(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataFromExtractConversionStrategy"
)
class ExternalSecretSpecDataFromExtractConversionStrategy(enum.Enum):
    '''Used to define a conversion Strategy.

    Defaults to Default when omitted.

    :default: Default when omitted.

    :schema: ExternalSecretSpecDataFromExtractConversionStrategy
    '''

    DEFAULT = "DEFAULT"
    '''Default.'''
    UNICODE = "UNICODE"
    '''Unicode.'''


@jsii.enum(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataFromExtractDecodingStrategy"
)
class ExternalSecretSpecDataFromExtractDecodingStrategy(enum.Enum):
    '''Used to define a decoding Strategy.

    Defaults to None when omitted.

    :default: None when omitted.

    :schema: ExternalSecretSpecDataFromExtractDecodingStrategy
    '''

    AUTO = "AUTO"
    '''Auto.'''
    BASE64 = "BASE64"
    '''Base64.'''
    BASE64_URL = "BASE64_URL"
    '''Base64URL.'''
    NONE = "NONE"
    '''None.'''


@jsii.enum(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataFromExtractMetadataPolicy"
)
class ExternalSecretSpecDataFromExtractMetadataPolicy(enum.Enum):
    '''Policy for fetching tags/labels from provider secrets, possible options are Fetch, None.

    Defaults to None

    :default: None

    :schema: ExternalSecretSpecDataFromExtractMetadataPolicy
    '''

    NONE = "NONE"
    '''None.'''
    FETCH = "FETCH"
    '''Fetch.'''


@jsii.enum(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataFromExtractNullBytePolicy"
)
class ExternalSecretSpecDataFromExtractNullBytePolicy(enum.Enum):
    '''Controls how ESO handles fetched secret data containing NUL bytes for this source.

    :schema: ExternalSecretSpecDataFromExtractNullBytePolicy
    '''

    IGNORE = "IGNORE"
    '''Ignore.'''
    FAIL = "FAIL"
    '''Fail.'''


@jsii.data_type(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataFromFind",
    jsii_struct_bases=[],
    name_mapping={
        "conversion_strategy": "conversionStrategy",
        "decoding_strategy": "decodingStrategy",
        "name": "name",
        "null_byte_policy": "nullBytePolicy",
        "path": "path",
        "tags": "tags",
    },
)
class ExternalSecretSpecDataFromFind:
    def __init__(
        self,
        *,
        conversion_strategy: typing.Optional["ExternalSecretSpecDataFromFindConversionStrategy"] = None,
        decoding_strategy: typing.Optional["ExternalSecretSpecDataFromFindDecodingStrategy"] = None,
        name: typing.Optional[typing.Union["ExternalSecretSpecDataFromFindName", typing.Dict[builtins.str, typing.Any]]] = None,
        null_byte_policy: typing.Optional["ExternalSecretSpecDataFromFindNullBytePolicy"] = None,
        path: typing.Optional[builtins.str] = None,
        tags: typing.Optional[typing.Mapping[builtins.str, builtins.str]] = None,
    ) -> None:
        '''Used to find secrets based on tags or regular expressions Note: Find does not support sourceRef.Generator or sourceRef.GeneratorRef.

        :param conversion_strategy: Used to define a conversion Strategy. Defaults to Default when omitted. Default: Default when omitted.
        :param decoding_strategy: Used to define a decoding Strategy. Defaults to None when omitted. Default: None when omitted.
        :param name: Finds secrets based on the name.
        :param null_byte_policy: Controls how ESO handles fetched secret data containing NUL bytes for this find source.
        :param path: A root path to start the find operations.
        :param tags: Find secrets based on tags.

        :schema: ExternalSecretSpecDataFromFind
        '''
        if isinstance(name, dict):
            name = ExternalSecretSpecDataFromFindName(**name)
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__d8edc5b5404aea834ef81913f06d491df720ba9c52cc127400dacf95267b6e0c)
            check_type(argname="argument conversion_strategy", value=conversion_strategy, expected_type=type_hints["conversion_strategy"])
            check_type(argname="argument decoding_strategy", value=decoding_strategy, expected_type=type_hints["decoding_strategy"])
            check_type(argname="argument name", value=name, expected_type=type_hints["name"])
            check_type(argname="argument null_byte_policy", value=null_byte_policy, expected_type=type_hints["null_byte_policy"])
            check_type(argname="argument path", value=path, expected_type=type_hints["path"])
            check_type(argname="argument tags", value=tags, expected_type=type_hints["tags"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if conversion_strategy is not None:
            self._values["conversion_strategy"] = conversion_strategy
        if decoding_strategy is not None:
            self._values["decoding_strategy"] = decoding_strategy
        if name is not None:
            self._values["name"] = name
        if null_byte_policy is not None:
            self._values["null_byte_policy"] = null_byte_policy
        if path is not None:
            self._values["path"] = path
        if tags is not None:
            self._values["tags"] = tags

    @builtins.property
    def conversion_strategy(
        self,
    ) -> typing.Optional["ExternalSecretSpecDataFromFindConversionStrategy"]:
        '''Used to define a conversion Strategy.

        Defaults to Default when omitted.

        :default: Default when omitted.

        :schema: ExternalSecretSpecDataFromFind#conversionStrategy
        '''
        result = self._values.get("conversion_strategy")
        return typing.cast(typing.Optional["ExternalSecretSpecDataFromFindConversionStrategy"], result)

    @builtins.property
    def decoding_strategy(
        self,
    ) -> typing.Optional["ExternalSecretSpecDataFromFindDecodingStrategy"]:
        '''Used to define a decoding Strategy.

        Defaults to None when omitted.

        :default: None when omitted.

        :schema: ExternalSecretSpecDataFromFind#decodingStrategy
        '''
        result = self._values.get("decoding_strategy")
        return typing.cast(typing.Optional["ExternalSecretSpecDataFromFindDecodingStrategy"], result)

    @builtins.property
    def name(self) -> typing.Optional["ExternalSecretSpecDataFromFindName"]:
        '''Finds secrets based on the name.

        :schema: ExternalSecretSpecDataFromFind#name
        '''
        result = self._values.get("name")
        return typing.cast(typing.Optional["ExternalSecretSpecDataFromFindName"], result)

    @builtins.property
    def null_byte_policy(
        self,
    ) -> typing.Optional["ExternalSecretSpecDataFromFindNullBytePolicy"]:
        '''Controls how ESO handles fetched secret data containing NUL bytes for this find source.

        :schema: ExternalSecretSpecDataFromFind#nullBytePolicy
        '''
        result = self._values.get("null_byte_policy")
        return typing.cast(typing.Optional["ExternalSecretSpecDataFromFindNullBytePolicy"], result)

    @builtins.property
    def path(self) -> typing.Optional[builtins.str]:
        '''A root path to start the find operations.

        :schema: ExternalSecretSpecDataFromFind#path
        '''
        result = self._values.get("path")
        return typing.cast(typing.Optional[builtins.str], result)

    @builtins.property
    def tags(self) -> typing.Optional[typing.Mapping[builtins.str, builtins.str]]:
        '''Find secrets based on tags.

        :schema: ExternalSecretSpecDataFromFind#tags
        '''
        result = self._values.get("tags")
        return typing.cast(typing.Optional[typing.Mapping[builtins.str, builtins.str]], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ExternalSecretSpecDataFromFind(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.enum(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataFromFindConversionStrategy"
)
class ExternalSecretSpecDataFromFindConversionStrategy(enum.Enum):
    '''Used to define a conversion Strategy.

    Defaults to Default when omitted.

    :default: Default when omitted.

    :schema: ExternalSecretSpecDataFromFindConversionStrategy
    '''

    DEFAULT = "DEFAULT"
    '''Default.'''
    UNICODE = "UNICODE"
    '''Unicode.'''


@jsii.enum(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataFromFindDecodingStrategy"
)
class ExternalSecretSpecDataFromFindDecodingStrategy(enum.Enum):
    '''Used to define a decoding Strategy.

    Defaults to None when omitted.

    :default: None when omitted.

    :schema: ExternalSecretSpecDataFromFindDecodingStrategy
    '''

    AUTO = "AUTO"
    '''Auto.'''
    BASE64 = "BASE64"
    '''Base64.'''
    BASE64_URL = "BASE64_URL"
    '''Base64URL.'''
    NONE = "NONE"
    '''None.'''


@jsii.data_type(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataFromFindName",
    jsii_struct_bases=[],
    name_mapping={"regexp": "regexp"},
)
class ExternalSecretSpecDataFromFindName:
    def __init__(self, *, regexp: typing.Optional[builtins.str] = None) -> None:
        '''Finds secrets based on the name.

        :param regexp: Finds secrets base.

        :schema: ExternalSecretSpecDataFromFindName
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__2e51f0ba94048fcba1af9bf78d0b379efd9e574853c52555f3c81052e7a44e0d)
            check_type(argname="argument regexp", value=regexp, expected_type=type_hints["regexp"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if regexp is not None:
            self._values["regexp"] = regexp

    @builtins.property
    def regexp(self) -> typing.Optional[builtins.str]:
        '''Finds secrets base.

        :schema: ExternalSecretSpecDataFromFindName#regexp
        '''
        result = self._values.get("regexp")
        return typing.cast(typing.Optional[builtins.str], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ExternalSecretSpecDataFromFindName(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.enum(jsii_type="ioexternal-secrets.ExternalSecretSpecDataFromFindNullBytePolicy")
class ExternalSecretSpecDataFromFindNullBytePolicy(enum.Enum):
    '''Controls how ESO handles fetched secret data containing NUL bytes for this find source.

    :schema: ExternalSecretSpecDataFromFindNullBytePolicy
    '''

    IGNORE = "IGNORE"
    '''Ignore.'''
    FAIL = "FAIL"
    '''Fail.'''


@jsii.data_type(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataFromRewrite",
    jsii_struct_bases=[],
    name_mapping={"merge": "merge", "regexp": "regexp", "transform": "transform"},
)
class ExternalSecretSpecDataFromRewrite:
    def __init__(
        self,
        *,
        merge: typing.Optional[typing.Union["ExternalSecretSpecDataFromRewriteMerge", typing.Dict[builtins.str, typing.Any]]] = None,
        regexp: typing.Optional[typing.Union["ExternalSecretSpecDataFromRewriteRegexp", typing.Dict[builtins.str, typing.Any]]] = None,
        transform: typing.Optional[typing.Union["ExternalSecretSpecDataFromRewriteTransform", typing.Dict[builtins.str, typing.Any]]] = None,
    ) -> None:
        '''ExternalSecretRewrite defines how to rewrite secret data values before they are written to the Secret.

        :param merge: Used to merge key/values in one single Secret The resulting key will contain all values from the specified secrets.
        :param regexp: Used to rewrite with regular expressions. The resulting key will be the output of a regexp.ReplaceAll operation.
        :param transform: Used to apply string transformation on the secrets. The resulting key will be the output of the template applied by the operation.

        :schema: ExternalSecretSpecDataFromRewrite
        '''
        if isinstance(merge, dict):
            merge = ExternalSecretSpecDataFromRewriteMerge(**merge)
        if isinstance(regexp, dict):
            regexp = ExternalSecretSpecDataFromRewriteRegexp(**regexp)
        if isinstance(transform, dict):
            transform = ExternalSecretSpecDataFromRewriteTransform(**transform)
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__34a7ea8664e4d3b6a1f3e0ff5e2df2f0dac77ecad4d9e29405fde21c45dcf3f4)
            check_type(argname="argument merge", value=merge, expected_type=type_hints["merge"])
            check_type(argname="argument regexp", value=regexp, expected_type=type_hints["regexp"])
            check_type(argname="argument transform", value=transform, expected_type=type_hints["transform"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if merge is not None:
            self._values["merge"] = merge
        if regexp is not None:
            self._values["regexp"] = regexp
        if transform is not None:
            self._values["transform"] = transform

    @builtins.property
    def merge(self) -> typing.Optional["ExternalSecretSpecDataFromRewriteMerge"]:
        '''Used to merge key/values in one single Secret The resulting key will contain all values from the specified secrets.

        :schema: ExternalSecretSpecDataFromRewrite#merge
        '''
        result = self._values.get("merge")
        return typing.cast(typing.Optional["ExternalSecretSpecDataFromRewriteMerge"], result)

    @builtins.property
    def regexp(self) -> typing.Optional["ExternalSecretSpecDataFromRewriteRegexp"]:
        '''Used to rewrite with regular expressions.

        The resulting key will be the output of a regexp.ReplaceAll operation.

        :schema: ExternalSecretSpecDataFromRewrite#regexp
        '''
        result = self._values.get("regexp")
        return typing.cast(typing.Optional["ExternalSecretSpecDataFromRewriteRegexp"], result)

    @builtins.property
    def transform(
        self,
    ) -> typing.Optional["ExternalSecretSpecDataFromRewriteTransform"]:
        '''Used to apply string transformation on the secrets.

        The resulting key will be the output of the template applied by the operation.

        :schema: ExternalSecretSpecDataFromRewrite#transform
        '''
        result = self._values.get("transform")
        return typing.cast(typing.Optional["ExternalSecretSpecDataFromRewriteTransform"], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ExternalSecretSpecDataFromRewrite(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataFromRewriteMerge",
    jsii_struct_bases=[],
    name_mapping={
        "conflict_policy": "conflictPolicy",
        "into": "into",
        "priority": "priority",
        "priority_policy": "priorityPolicy",
        "strategy": "strategy",
    },
)
class ExternalSecretSpecDataFromRewriteMerge:
    def __init__(
        self,
        *,
        conflict_policy: typing.Optional["ExternalSecretSpecDataFromRewriteMergeConflictPolicy"] = None,
        into: typing.Optional[builtins.str] = None,
        priority: typing.Optional[typing.Sequence[builtins.str]] = None,
        priority_policy: typing.Optional["ExternalSecretSpecDataFromRewriteMergePriorityPolicy"] = None,
        strategy: typing.Optional["ExternalSecretSpecDataFromRewriteMergeStrategy"] = None,
    ) -> None:
        '''Used to merge key/values in one single Secret The resulting key will contain all values from the specified secrets.

        :param conflict_policy: Used to define the policy to use in conflict resolution.
        :param into: Used to define the target key of the merge operation. Required if strategy is JSON. Ignored otherwise.
        :param priority: Used to define key priority in conflict resolution.
        :param priority_policy: Used to define the policy when a key in the priority list does not exist in the input.
        :param strategy: Used to define the strategy to use in the merge operation.

        :schema: ExternalSecretSpecDataFromRewriteMerge
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__d20754036ee89fd6b0bcd20b5875dee410e09b933e08e4664815ce85715431df)
            check_type(argname="argument conflict_policy", value=conflict_policy, expected_type=type_hints["conflict_policy"])
            check_type(argname="argument into", value=into, expected_type=type_hints["into"])
            check_type(argname="argument priority", value=priority, expected_type=type_hints["priority"])
            check_type(argname="argument priority_policy", value=priority_policy, expected_type=type_hints["priority_policy"])
            check_type(argname="argument strategy", value=strategy, expected_type=type_hints["strategy"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if conflict_policy is not None:
            self._values["conflict_policy"] = conflict_policy
        if into is not None:
            self._values["into"] = into
        if priority is not None:
            self._values["priority"] = priority
        if priority_policy is not None:
            self._values["priority_policy"] = priority_policy
        if strategy is not None:
            self._values["strategy"] = strategy

    @builtins.property
    def conflict_policy(
        self,
    ) -> typing.Optional["ExternalSecretSpecDataFromRewriteMergeConflictPolicy"]:
        '''Used to define the policy to use in conflict resolution.

        :schema: ExternalSecretSpecDataFromRewriteMerge#conflictPolicy
        '''
        result = self._values.get("conflict_policy")
        return typing.cast(typing.Optional["ExternalSecretSpecDataFromRewriteMergeConflictPolicy"], result)

    @builtins.property
    def into(self) -> typing.Optional[builtins.str]:
        '''Used to define the target key of the merge operation.

        Required if strategy is JSON. Ignored otherwise.

        :schema: ExternalSecretSpecDataFromRewriteMerge#into
        '''
        result = self._values.get("into")
        return typing.cast(typing.Optional[builtins.str], result)

    @builtins.property
    def priority(self) -> typing.Optional[typing.List[builtins.str]]:
        '''Used to define key priority in conflict resolution.

        :schema: ExternalSecretSpecDataFromRewriteMerge#priority
        '''
        result = self._values.get("priority")
        return typing.cast(typing.Optional[typing.List[builtins.str]], result)

    @builtins.property
    def priority_policy(
        self,
    ) -> typing.Optional["ExternalSecretSpecDataFromRewriteMergePriorityPolicy"]:
        '''Used to define the policy when a key in the priority list does not exist in the input.

        :schema: ExternalSecretSpecDataFromRewriteMerge#priorityPolicy
        '''
        result = self._values.get("priority_policy")
        return typing.cast(typing.Optional["ExternalSecretSpecDataFromRewriteMergePriorityPolicy"], result)

    @builtins.property
    def strategy(
        self,
    ) -> typing.Optional["ExternalSecretSpecDataFromRewriteMergeStrategy"]:
        '''Used to define the strategy to use in the merge operation.

        :schema: ExternalSecretSpecDataFromRewriteMerge#strategy
        '''
        result = self._values.get("strategy")
        return typing.cast(typing.Optional["ExternalSecretSpecDataFromRewriteMergeStrategy"], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ExternalSecretSpecDataFromRewriteMerge(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.enum(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataFromRewriteMergeConflictPolicy"
)
class ExternalSecretSpecDataFromRewriteMergeConflictPolicy(enum.Enum):
    '''Used to define the policy to use in conflict resolution.

    :schema: ExternalSecretSpecDataFromRewriteMergeConflictPolicy
    '''

    IGNORE = "IGNORE"
    '''Ignore.'''
    ERROR = "ERROR"
    '''Error.'''


@jsii.enum(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataFromRewriteMergePriorityPolicy"
)
class ExternalSecretSpecDataFromRewriteMergePriorityPolicy(enum.Enum):
    '''Used to define the policy when a key in the priority list does not exist in the input.

    :schema: ExternalSecretSpecDataFromRewriteMergePriorityPolicy
    '''

    IGNORE_NOT_FOUND = "IGNORE_NOT_FOUND"
    '''IgnoreNotFound.'''
    STRICT = "STRICT"
    '''Strict.'''


@jsii.enum(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataFromRewriteMergeStrategy"
)
class ExternalSecretSpecDataFromRewriteMergeStrategy(enum.Enum):
    '''Used to define the strategy to use in the merge operation.

    :schema: ExternalSecretSpecDataFromRewriteMergeStrategy
    '''

    EXTRACT = "EXTRACT"
    '''Extract.'''
    JSON = "JSON"
    '''JSON.'''


@jsii.data_type(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataFromRewriteRegexp",
    jsii_struct_bases=[],
    name_mapping={"source": "source", "target": "target"},
)
class ExternalSecretSpecDataFromRewriteRegexp:
    def __init__(self, *, source: builtins.str, target: builtins.str) -> None:
        '''Used to rewrite with regular expressions.

        The resulting key will be the output of a regexp.ReplaceAll operation.

        :param source: Used to define the regular expression of a re.Compiler.
        :param target: Used to define the target pattern of a ReplaceAll operation.

        :schema: ExternalSecretSpecDataFromRewriteRegexp
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__07bb68a64c1898dfd9e6d9598ac03e0577691ae09139179a55d7a71e87a2a001)
            check_type(argname="argument source", value=source, expected_type=type_hints["source"])
            check_type(argname="argument target", value=target, expected_type=type_hints["target"])
        self._values: typing.Dict[builtins.str, typing.Any] = {
            "source": source,
            "target": target,
        }

    @builtins.property
    def source(self) -> builtins.str:
        '''Used to define the regular expression of a re.Compiler.

        :schema: ExternalSecretSpecDataFromRewriteRegexp#source
        '''
        result = self._values.get("source")
        assert result is not None, "Required property 'source' is missing"
        return typing.cast(builtins.str, result)

    @builtins.property
    def target(self) -> builtins.str:
        '''Used to define the target pattern of a ReplaceAll operation.

        :schema: ExternalSecretSpecDataFromRewriteRegexp#target
        '''
        result = self._values.get("target")
        assert result is not None, "Required property 'target' is missing"
        return typing.cast(builtins.str, result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ExternalSecretSpecDataFromRewriteRegexp(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataFromRewriteTransform",
    jsii_struct_bases=[],
    name_mapping={"template": "template"},
)
class ExternalSecretSpecDataFromRewriteTransform:
    def __init__(self, *, template: builtins.str) -> None:
        '''Used to apply string transformation on the secrets.

        The resulting key will be the output of the template applied by the operation.

        :param template: Used to define the template to apply on the secret name. ``.value `` will specify the secret name in the template.

        :schema: ExternalSecretSpecDataFromRewriteTransform
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__ea77cb2fa93be64a812dd1b6f1c4d5a3c14a8077b583881a578654ce0f1efbe9)
            check_type(argname="argument template", value=template, expected_type=type_hints["template"])
        self._values: typing.Dict[builtins.str, typing.Any] = {
            "template": template,
        }

    @builtins.property
    def template(self) -> builtins.str:
        '''Used to define the template to apply on the secret name.

        ``.value `` will specify the secret name in the template.

        :schema: ExternalSecretSpecDataFromRewriteTransform#template
        '''
        result = self._values.get("template")
        assert result is not None, "Required property 'template' is missing"
        return typing.cast(builtins.str, result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ExternalSecretSpecDataFromRewriteTransform(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataFromSourceRef",
    jsii_struct_bases=[],
    name_mapping={"generator_ref": "generatorRef", "store_ref": "storeRef"},
)
class ExternalSecretSpecDataFromSourceRef:
    def __init__(
        self,
        *,
        generator_ref: typing.Optional[typing.Union["ExternalSecretSpecDataFromSourceRefGeneratorRef", typing.Dict[builtins.str, typing.Any]]] = None,
        store_ref: typing.Optional[typing.Union["ExternalSecretSpecDataFromSourceRefStoreRef", typing.Dict[builtins.str, typing.Any]]] = None,
    ) -> None:
        '''SourceRef points to a store or generator which contains secret values ready to use.

        Use this in combination with Extract or Find pull values out of
        a specific SecretStore.
        When sourceRef points to a generator Extract or Find is not supported.
        The generator returns a static map of values

        :param generator_ref: GeneratorRef points to a generator custom resource.
        :param store_ref: SecretStoreRef defines which SecretStore to fetch the ExternalSecret data.

        :schema: ExternalSecretSpecDataFromSourceRef
        '''
        if isinstance(generator_ref, dict):
            generator_ref = ExternalSecretSpecDataFromSourceRefGeneratorRef(**generator_ref)
        if isinstance(store_ref, dict):
            store_ref = ExternalSecretSpecDataFromSourceRefStoreRef(**store_ref)
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__6bdacd781fe4a8fdd7dba12242f261be35b0741dfecfc6cad806edac31244739)
            check_type(argname="argument generator_ref", value=generator_ref, expected_type=type_hints["generator_ref"])
            check_type(argname="argument store_ref", value=store_ref, expected_type=type_hints["store_ref"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if generator_ref is not None:
            self._values["generator_ref"] = generator_ref
        if store_ref is not None:
            self._values["store_ref"] = store_ref

    @builtins.property
    def generator_ref(
        self,
    ) -> typing.Optional["ExternalSecretSpecDataFromSourceRefGeneratorRef"]:
        '''GeneratorRef points to a generator custom resource.

        :schema: ExternalSecretSpecDataFromSourceRef#generatorRef
        '''
        result = self._values.get("generator_ref")
        return typing.cast(typing.Optional["ExternalSecretSpecDataFromSourceRefGeneratorRef"], result)

    @builtins.property
    def store_ref(
        self,
    ) -> typing.Optional["ExternalSecretSpecDataFromSourceRefStoreRef"]:
        '''SecretStoreRef defines which SecretStore to fetch the ExternalSecret data.

        :schema: ExternalSecretSpecDataFromSourceRef#storeRef
        '''
        result = self._values.get("store_ref")
        return typing.cast(typing.Optional["ExternalSecretSpecDataFromSourceRefStoreRef"], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ExternalSecretSpecDataFromSourceRef(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataFromSourceRefGeneratorRef",
    jsii_struct_bases=[],
    name_mapping={"kind": "kind", "name": "name", "api_version": "apiVersion"},
)
class ExternalSecretSpecDataFromSourceRefGeneratorRef:
    def __init__(
        self,
        *,
        kind: "ExternalSecretSpecDataFromSourceRefGeneratorRefKind",
        name: builtins.str,
        api_version: typing.Optional[builtins.str] = None,
    ) -> None:
        '''GeneratorRef points to a generator custom resource.

        :param kind: Specify the Kind of the generator resource.
        :param name: Specify the name of the generator resource.
        :param api_version: Specify the apiVersion of the generator resource.

        :schema: ExternalSecretSpecDataFromSourceRefGeneratorRef
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__5de20fbeaa188a66ea77f30598485617164e180abadf40ceea35c89fcb3a3de0)
            check_type(argname="argument kind", value=kind, expected_type=type_hints["kind"])
            check_type(argname="argument name", value=name, expected_type=type_hints["name"])
            check_type(argname="argument api_version", value=api_version, expected_type=type_hints["api_version"])
        self._values: typing.Dict[builtins.str, typing.Any] = {
            "kind": kind,
            "name": name,
        }
        if api_version is not None:
            self._values["api_version"] = api_version

    @builtins.property
    def kind(self) -> "ExternalSecretSpecDataFromSourceRefGeneratorRefKind":
        '''Specify the Kind of the generator resource.

        :schema: ExternalSecretSpecDataFromSourceRefGeneratorRef#kind
        '''
        result = self._values.get("kind")
        assert result is not None, "Required property 'kind' is missing"
        return typing.cast("ExternalSecretSpecDataFromSourceRefGeneratorRefKind", result)

    @builtins.property
    def name(self) -> builtins.str:
        '''Specify the name of the generator resource.

        :schema: ExternalSecretSpecDataFromSourceRefGeneratorRef#name
        '''
        result = self._values.get("name")
        assert result is not None, "Required property 'name' is missing"
        return typing.cast(builtins.str, result)

    @builtins.property
    def api_version(self) -> typing.Optional[builtins.str]:
        '''Specify the apiVersion of the generator resource.

        :schema: ExternalSecretSpecDataFromSourceRefGeneratorRef#apiVersion
        '''
        result = self._values.get("api_version")
        return typing.cast(typing.Optional[builtins.str], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ExternalSecretSpecDataFromSourceRefGeneratorRef(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.enum(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataFromSourceRefGeneratorRefKind"
)
class ExternalSecretSpecDataFromSourceRefGeneratorRefKind(enum.Enum):
    '''Specify the Kind of the generator resource.

    :schema: ExternalSecretSpecDataFromSourceRefGeneratorRefKind
    '''

    ACR_ACCESS_TOKEN = "ACR_ACCESS_TOKEN"
    '''ACRAccessToken.'''
    BEYONDTRUST_WORKLOAD_CREDENTIALS_DYNAMIC_SECRET = "BEYONDTRUST_WORKLOAD_CREDENTIALS_DYNAMIC_SECRET"
    '''BeyondtrustWorkloadCredentialsDynamicSecret.'''
    CLUSTER_GENERATOR = "CLUSTER_GENERATOR"
    '''ClusterGenerator.'''
    CLOUDSMITH_ACCESS_TOKEN = "CLOUDSMITH_ACCESS_TOKEN"
    '''CloudsmithAccessToken.'''
    ECR_AUTHORIZATION_TOKEN = "ECR_AUTHORIZATION_TOKEN"
    '''ECRAuthorizationToken.'''
    FAKE = "FAKE"
    '''Fake.'''
    GCR_ACCESS_TOKEN = "GCR_ACCESS_TOKEN"
    '''GCRAccessToken.'''
    GITHUB_ACCESS_TOKEN = "GITHUB_ACCESS_TOKEN"
    '''GithubAccessToken.'''
    GITLAB_DEPLOY_TOKEN = "GITLAB_DEPLOY_TOKEN"
    '''GitlabDeployToken.'''
    QUAY_ACCESS_TOKEN = "QUAY_ACCESS_TOKEN"
    '''QuayAccessToken.'''
    PASSWORD = "PASSWORD"
    '''Password.'''
    SSH_KEY = "SSH_KEY"
    '''SSHKey.'''
    STS_SESSION_TOKEN = "STS_SESSION_TOKEN"
    '''STSSessionToken.'''
    UUID = "UUID"
    '''UUID.'''
    VAULT_DYNAMIC_SECRET = "VAULT_DYNAMIC_SECRET"
    '''VaultDynamicSecret.'''
    WEBHOOK = "WEBHOOK"
    '''Webhook.'''
    GRAFANA = "GRAFANA"
    '''Grafana.'''
    MFA = "MFA"
    '''MFA.'''


@jsii.data_type(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataFromSourceRefStoreRef",
    jsii_struct_bases=[],
    name_mapping={"kind": "kind", "name": "name"},
)
class ExternalSecretSpecDataFromSourceRefStoreRef:
    def __init__(
        self,
        *,
        kind: typing.Optional["ExternalSecretSpecDataFromSourceRefStoreRefKind"] = None,
        name: typing.Optional[builtins.str] = None,
    ) -> None:
        '''SecretStoreRef defines which SecretStore to fetch the ExternalSecret data.

        :param kind: Kind of the SecretStore resource (SecretStore or ClusterSecretStore) Defaults to ``SecretStore``. Default: SecretStore`
        :param name: Name of the SecretStore resource.

        :schema: ExternalSecretSpecDataFromSourceRefStoreRef
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__3d42eeaaa91f59431f0eccdb8fa40fd12da13f9e7dd734564ff4c548604fd749)
            check_type(argname="argument kind", value=kind, expected_type=type_hints["kind"])
            check_type(argname="argument name", value=name, expected_type=type_hints["name"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if kind is not None:
            self._values["kind"] = kind
        if name is not None:
            self._values["name"] = name

    @builtins.property
    def kind(
        self,
    ) -> typing.Optional["ExternalSecretSpecDataFromSourceRefStoreRefKind"]:
        '''Kind of the SecretStore resource (SecretStore or ClusterSecretStore) Defaults to ``SecretStore``.

        :default: SecretStore`

        :schema: ExternalSecretSpecDataFromSourceRefStoreRef#kind
        '''
        result = self._values.get("kind")
        return typing.cast(typing.Optional["ExternalSecretSpecDataFromSourceRefStoreRefKind"], result)

    @builtins.property
    def name(self) -> typing.Optional[builtins.str]:
        '''Name of the SecretStore resource.

        :schema: ExternalSecretSpecDataFromSourceRefStoreRef#name
        '''
        result = self._values.get("name")
        return typing.cast(typing.Optional[builtins.str], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ExternalSecretSpecDataFromSourceRefStoreRef(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.enum(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataFromSourceRefStoreRefKind"
)
class ExternalSecretSpecDataFromSourceRefStoreRefKind(enum.Enum):
    '''Kind of the SecretStore resource (SecretStore or ClusterSecretStore) Defaults to ``SecretStore``.

    :default: SecretStore`

    :schema: ExternalSecretSpecDataFromSourceRefStoreRefKind
    '''

    SECRET_STORE = "SECRET_STORE"
    '''SecretStore.'''
    CLUSTER_SECRET_STORE = "CLUSTER_SECRET_STORE"
    '''ClusterSecretStore.'''


@jsii.data_type(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataRemoteRef",
    jsii_struct_bases=[],
    name_mapping={
        "key": "key",
        "conversion_strategy": "conversionStrategy",
        "decoding_strategy": "decodingStrategy",
        "metadata_policy": "metadataPolicy",
        "null_byte_policy": "nullBytePolicy",
        "property": "property",
        "version": "version",
    },
)
class ExternalSecretSpecDataRemoteRef:
    def __init__(
        self,
        *,
        key: builtins.str,
        conversion_strategy: typing.Optional["ExternalSecretSpecDataRemoteRefConversionStrategy"] = None,
        decoding_strategy: typing.Optional["ExternalSecretSpecDataRemoteRefDecodingStrategy"] = None,
        metadata_policy: typing.Optional["ExternalSecretSpecDataRemoteRefMetadataPolicy"] = None,
        null_byte_policy: typing.Optional["ExternalSecretSpecDataRemoteRefNullBytePolicy"] = None,
        property: typing.Optional[builtins.str] = None,
        version: typing.Optional[builtins.str] = None,
    ) -> None:
        '''RemoteRef points to the remote secret and defines which secret (version/property/..) to fetch.

        :param key: Key is the key used in the Provider, mandatory.
        :param conversion_strategy: Used to define a conversion Strategy. Defaults to Default when omitted. Default: Default when omitted.
        :param decoding_strategy: Used to define a decoding Strategy. Defaults to None when omitted. Default: None when omitted.
        :param metadata_policy: Policy for fetching tags/labels from provider secrets, possible options are Fetch, None. Defaults to None Default: None
        :param null_byte_policy: Controls how ESO handles fetched secret data containing NUL bytes for this source.
        :param property: Used to select a specific property of the Provider value (if a map), if supported.
        :param version: Used to select a specific version of the Provider value, if supported.

        :schema: ExternalSecretSpecDataRemoteRef
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__8fa135eb71c3b0e514a59fb4221d3694ecf54b320c828591b0435c574fdfb02c)
            check_type(argname="argument key", value=key, expected_type=type_hints["key"])
            check_type(argname="argument conversion_strategy", value=conversion_strategy, expected_type=type_hints["conversion_strategy"])
            check_type(argname="argument decoding_strategy", value=decoding_strategy, expected_type=type_hints["decoding_strategy"])
            check_type(argname="argument metadata_policy", value=metadata_policy, expected_type=type_hints["metadata_policy"])
            check_type(argname="argument null_byte_policy", value=null_byte_policy, expected_type=type_hints["null_byte_policy"])
            check_type(argname="argument property", value=property, expected_type=type_hints["property"])
            check_type(argname="argument version", value=version, expected_type=type_hints["version"])
        self._values: typing.Dict[builtins.str, typing.Any] = {
            "key": key,
        }
        if conversion_strategy is not None:
            self._values["conversion_strategy"] = conversion_strategy
        if decoding_strategy is not None:
            self._values["decoding_strategy"] = decoding_strategy
        if metadata_policy is not None:
            self._values["metadata_policy"] = metadata_policy
        if null_byte_policy is not None:
            self._values["null_byte_policy"] = null_byte_policy
        if property is not None:
            self._values["property"] = property
        if version is not None:
            self._values["version"] = version

    @builtins.property
    def key(self) -> builtins.str:
        '''Key is the key used in the Provider, mandatory.

        :schema: ExternalSecretSpecDataRemoteRef#key
        '''
        result = self._values.get("key")
        assert result is not None, "Required property 'key' is missing"
        return typing.cast(builtins.str, result)

    @builtins.property
    def conversion_strategy(
        self,
    ) -> typing.Optional["ExternalSecretSpecDataRemoteRefConversionStrategy"]:
        '''Used to define a conversion Strategy.

        Defaults to Default when omitted.

        :default: Default when omitted.

        :schema: ExternalSecretSpecDataRemoteRef#conversionStrategy
        '''
        result = self._values.get("conversion_strategy")
        return typing.cast(typing.Optional["ExternalSecretSpecDataRemoteRefConversionStrategy"], result)

    @builtins.property
    def decoding_strategy(
        self,
    ) -> typing.Optional["ExternalSecretSpecDataRemoteRefDecodingStrategy"]:
        '''Used to define a decoding Strategy.

        Defaults to None when omitted.

        :default: None when omitted.

        :schema: ExternalSecretSpecDataRemoteRef#decodingStrategy
        '''
        result = self._values.get("decoding_strategy")
        return typing.cast(typing.Optional["ExternalSecretSpecDataRemoteRefDecodingStrategy"], result)

    @builtins.property
    def metadata_policy(
        self,
    ) -> typing.Optional["ExternalSecretSpecDataRemoteRefMetadataPolicy"]:
        '''Policy for fetching tags/labels from provider secrets, possible options are Fetch, None.

        Defaults to None

        :default: None

        :schema: ExternalSecretSpecDataRemoteRef#metadataPolicy
        '''
        result = self._values.get("metadata_policy")
        return typing.cast(typing.Optional["ExternalSecretSpecDataRemoteRefMetadataPolicy"], result)

    @builtins.property
    def null_byte_policy(
        self,
    ) -> typing.Optional["ExternalSecretSpecDataRemoteRefNullBytePolicy"]:
        '''Controls how ESO handles fetched secret data containing NUL bytes for this source.

        :schema: ExternalSecretSpecDataRemoteRef#nullBytePolicy
        '''
        result = self._values.get("null_byte_policy")
        return typing.cast(typing.Optional["ExternalSecretSpecDataRemoteRefNullBytePolicy"], result)

    @builtins.property
    def property(self) -> typing.Optional[builtins.str]:
        '''Used to select a specific property of the Provider value (if a map), if supported.

        :schema: ExternalSecretSpecDataRemoteRef#property
        '''
        result = self._values.get("property")
        return typing.cast(typing.Optional[builtins.str], result)

    @builtins.property
    def version(self) -> typing.Optional[builtins.str]:
        '''Used to select a specific version of the Provider value, if supported.

        :schema: ExternalSecretSpecDataRemoteRef#version
        '''
        result = self._values.get("version")
        return typing.cast(typing.Optional[builtins.str], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ExternalSecretSpecDataRemoteRef(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.enum(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataRemoteRefConversionStrategy"
)
class ExternalSecretSpecDataRemoteRefConversionStrategy(enum.Enum):
    '''Used to define a conversion Strategy.

    Defaults to Default when omitted.

    :default: Default when omitted.

    :schema: ExternalSecretSpecDataRemoteRefConversionStrategy
    '''

    DEFAULT = "DEFAULT"
    '''Default.'''
    UNICODE = "UNICODE"
    '''Unicode.'''


@jsii.enum(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataRemoteRefDecodingStrategy"
)
class ExternalSecretSpecDataRemoteRefDecodingStrategy(enum.Enum):
    '''Used to define a decoding Strategy.

    Defaults to None when omitted.

    :default: None when omitted.

    :schema: ExternalSecretSpecDataRemoteRefDecodingStrategy
    '''

    AUTO = "AUTO"
    '''Auto.'''
    BASE64 = "BASE64"
    '''Base64.'''
    BASE64_URL = "BASE64_URL"
    '''Base64URL.'''
    NONE = "NONE"
    '''None.'''


@jsii.enum(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataRemoteRefMetadataPolicy"
)
class ExternalSecretSpecDataRemoteRefMetadataPolicy(enum.Enum):
    '''Policy for fetching tags/labels from provider secrets, possible options are Fetch, None.

    Defaults to None

    :default: None

    :schema: ExternalSecretSpecDataRemoteRefMetadataPolicy
    '''

    NONE = "NONE"
    '''None.'''
    FETCH = "FETCH"
    '''Fetch.'''


@jsii.enum(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataRemoteRefNullBytePolicy"
)
class ExternalSecretSpecDataRemoteRefNullBytePolicy(enum.Enum):
    '''Controls how ESO handles fetched secret data containing NUL bytes for this source.

    :schema: ExternalSecretSpecDataRemoteRefNullBytePolicy
    '''

    IGNORE = "IGNORE"
    '''Ignore.'''
    FAIL = "FAIL"
    '''Fail.'''


@jsii.data_type(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataSourceRef",
    jsii_struct_bases=[],
    name_mapping={"generator_ref": "generatorRef", "store_ref": "storeRef"},
)
class ExternalSecretSpecDataSourceRef:
    def __init__(
        self,
        *,
        generator_ref: typing.Optional[typing.Union["ExternalSecretSpecDataSourceRefGeneratorRef", typing.Dict[builtins.str, typing.Any]]] = None,
        store_ref: typing.Optional[typing.Union["ExternalSecretSpecDataSourceRefStoreRef", typing.Dict[builtins.str, typing.Any]]] = None,
    ) -> None:
        '''SourceRef allows you to override the source from which the value will be pulled.

        :param generator_ref: GeneratorRef points to a generator custom resource. Deprecated: The generatorRef is not implemented in .data[]. this will be removed with v1.
        :param store_ref: SecretStoreRef defines which SecretStore to fetch the ExternalSecret data.

        :schema: ExternalSecretSpecDataSourceRef
        '''
        if isinstance(generator_ref, dict):
            generator_ref = ExternalSecretSpecDataSourceRefGeneratorRef(**generator_ref)
        if isinstance(store_ref, dict):
            store_ref = ExternalSecretSpecDataSourceRefStoreRef(**store_ref)
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__7be84602ab6a48aa2f02f1f2788d8e8c0f04bbaeb305a58dc5aa9893b3b36afd)
            check_type(argname="argument generator_ref", value=generator_ref, expected_type=type_hints["generator_ref"])
            check_type(argname="argument store_ref", value=store_ref, expected_type=type_hints["store_ref"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if generator_ref is not None:
            self._values["generator_ref"] = generator_ref
        if store_ref is not None:
            self._values["store_ref"] = store_ref

    @builtins.property
    def generator_ref(
        self,
    ) -> typing.Optional["ExternalSecretSpecDataSourceRefGeneratorRef"]:
        '''GeneratorRef points to a generator custom resource.

        Deprecated: The generatorRef is not implemented in .data[].
        this will be removed with v1.

        :schema: ExternalSecretSpecDataSourceRef#generatorRef
        '''
        result = self._values.get("generator_ref")
        return typing.cast(typing.Optional["ExternalSecretSpecDataSourceRefGeneratorRef"], result)

    @builtins.property
    def store_ref(self) -> typing.Optional["ExternalSecretSpecDataSourceRefStoreRef"]:
        '''SecretStoreRef defines which SecretStore to fetch the ExternalSecret data.

        :schema: ExternalSecretSpecDataSourceRef#storeRef
        '''
        result = self._values.get("store_ref")
        return typing.cast(typing.Optional["ExternalSecretSpecDataSourceRefStoreRef"], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ExternalSecretSpecDataSourceRef(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataSourceRefGeneratorRef",
    jsii_struct_bases=[],
    name_mapping={"kind": "kind", "name": "name", "api_version": "apiVersion"},
)
class ExternalSecretSpecDataSourceRefGeneratorRef:
    def __init__(
        self,
        *,
        kind: "ExternalSecretSpecDataSourceRefGeneratorRefKind",
        name: builtins.str,
        api_version: typing.Optional[builtins.str] = None,
    ) -> None:
        '''GeneratorRef points to a generator custom resource.

        Deprecated: The generatorRef is not implemented in .data[].
        this will be removed with v1.

        :param kind: Specify the Kind of the generator resource.
        :param name: Specify the name of the generator resource.
        :param api_version: Specify the apiVersion of the generator resource.

        :schema: ExternalSecretSpecDataSourceRefGeneratorRef
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__b555942e78a0d71b49c937e2b35f2d46f77dcb9c587f0bf0826b60ba87744e15)
            check_type(argname="argument kind", value=kind, expected_type=type_hints["kind"])
            check_type(argname="argument name", value=name, expected_type=type_hints["name"])
            check_type(argname="argument api_version", value=api_version, expected_type=type_hints["api_version"])
        self._values: typing.Dict[builtins.str, typing.Any] = {
            "kind": kind,
            "name": name,
        }
        if api_version is not None:
            self._values["api_version"] = api_version

    @builtins.property
    def kind(self) -> "ExternalSecretSpecDataSourceRefGeneratorRefKind":
        '''Specify the Kind of the generator resource.

        :schema: ExternalSecretSpecDataSourceRefGeneratorRef#kind
        '''
        result = self._values.get("kind")
        assert result is not None, "Required property 'kind' is missing"
        return typing.cast("ExternalSecretSpecDataSourceRefGeneratorRefKind", result)

    @builtins.property
    def name(self) -> builtins.str:
        '''Specify the name of the generator resource.

        :schema: ExternalSecretSpecDataSourceRefGeneratorRef#name
        '''
        result = self._values.get("name")
        assert result is not None, "Required property 'name' is missing"
        return typing.cast(builtins.str, result)

    @builtins.property
    def api_version(self) -> typing.Optional[builtins.str]:
        '''Specify the apiVersion of the generator resource.

        :schema: ExternalSecretSpecDataSourceRefGeneratorRef#apiVersion
        '''
        result = self._values.get("api_version")
        return typing.cast(typing.Optional[builtins.str], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ExternalSecretSpecDataSourceRefGeneratorRef(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.enum(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataSourceRefGeneratorRefKind"
)
class ExternalSecretSpecDataSourceRefGeneratorRefKind(enum.Enum):
    '''Specify the Kind of the generator resource.

    :schema: ExternalSecretSpecDataSourceRefGeneratorRefKind
    '''

    ACR_ACCESS_TOKEN = "ACR_ACCESS_TOKEN"
    '''ACRAccessToken.'''
    BEYONDTRUST_WORKLOAD_CREDENTIALS_DYNAMIC_SECRET = "BEYONDTRUST_WORKLOAD_CREDENTIALS_DYNAMIC_SECRET"
    '''BeyondtrustWorkloadCredentialsDynamicSecret.'''
    CLUSTER_GENERATOR = "CLUSTER_GENERATOR"
    '''ClusterGenerator.'''
    CLOUDSMITH_ACCESS_TOKEN = "CLOUDSMITH_ACCESS_TOKEN"
    '''CloudsmithAccessToken.'''
    ECR_AUTHORIZATION_TOKEN = "ECR_AUTHORIZATION_TOKEN"
    '''ECRAuthorizationToken.'''
    FAKE = "FAKE"
    '''Fake.'''
    GCR_ACCESS_TOKEN = "GCR_ACCESS_TOKEN"
    '''GCRAccessToken.'''
    GITHUB_ACCESS_TOKEN = "GITHUB_ACCESS_TOKEN"
    '''GithubAccessToken.'''
    GITLAB_DEPLOY_TOKEN = "GITLAB_DEPLOY_TOKEN"
    '''GitlabDeployToken.'''
    QUAY_ACCESS_TOKEN = "QUAY_ACCESS_TOKEN"
    '''QuayAccessToken.'''
    PASSWORD = "PASSWORD"
    '''Password.'''
    SSH_KEY = "SSH_KEY"
    '''SSHKey.'''
    STS_SESSION_TOKEN = "STS_SESSION_TOKEN"
    '''STSSessionToken.'''
    UUID = "UUID"
    '''UUID.'''
    VAULT_DYNAMIC_SECRET = "VAULT_DYNAMIC_SECRET"
    '''VaultDynamicSecret.'''
    WEBHOOK = "WEBHOOK"
    '''Webhook.'''
    GRAFANA = "GRAFANA"
    '''Grafana.'''
    MFA = "MFA"
    '''MFA.'''


@jsii.data_type(
    jsii_type="ioexternal-secrets.ExternalSecretSpecDataSourceRefStoreRef",
    jsii_struct_bases=[],
    name_mapping={"kind": "kind", "name": "name"},
)
class ExternalSecretSpecDataSourceRefStoreRef:
    def __init__(
        self,
        *,
        kind: typing.Optional["ExternalSecretSpecDataSourceRefStoreRefKind"] = None,
        name: typing.Optional[builtins.str] = None,
    ) -> None:
        '''SecretStoreRef defines which SecretStore to fetch the ExternalSecret data.

        :param kind: Kind of the SecretStore resource (SecretStore or ClusterSecretStore) Defaults to ``SecretStore``. Default: SecretStore`
        :param name: Name of the SecretStore resource.

        :schema: ExternalSecretSpecDataSourceRefStoreRef
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__dabc81d7c49ec321cf533cf9fc3ff20618ebb29f3711a3be2ce659f592a9b743)
            check_type(argname="argument kind", value=kind, expected_type=type_hints["kind"])
            check_type(argname="argument name", value=name, expected_type=type_hints["name"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if kind is not None:
            self._values["kind"] = kind
        if name is not None:
            self._values["name"] = name

    @builtins.property
    def kind(self) -> typing.Optional["ExternalSecretSpecDataSourceRefStoreRefKind"]:
        '''Kind of the SecretStore resource (SecretStore or ClusterSecretStore) Defaults to ``SecretStore``.

        :default: SecretStore`

        :schema: ExternalSecretSpecDataSourceRefStoreRef#kind
        '''
        result = self._values.get("kind")
        return typing.cast(typing.Optional["ExternalSecretSpecDataSourceRefStoreRefKind"], result)

    @builtins.property
    def name(self) -> typing.Optional[builtins.str]:
        '''Name of the SecretStore resource.

        :schema: ExternalSecretSpecDataSourceRefStoreRef#name
        '''
        result = self._values.get("name")
        return typing.cast(typing.Optional[builtins.str], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ExternalSecretSpecDataSourceRefStoreRef(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.enum(jsii_type="ioexternal-secrets.ExternalSecretSpecDataSourceRefStoreRefKind")
class ExternalSecretSpecDataSourceRefStoreRefKind(enum.Enum):
    '''Kind of the SecretStore resource (SecretStore or ClusterSecretStore) Defaults to ``SecretStore``.

    :default: SecretStore`

    :schema: ExternalSecretSpecDataSourceRefStoreRefKind
    '''

    SECRET_STORE = "SECRET_STORE"
    '''SecretStore.'''
    CLUSTER_SECRET_STORE = "CLUSTER_SECRET_STORE"
    '''ClusterSecretStore.'''


@jsii.enum(jsii_type="ioexternal-secrets.ExternalSecretSpecRefreshPolicy")
class ExternalSecretSpecRefreshPolicy(enum.Enum):
    '''RefreshPolicy determines how the ExternalSecret should be refreshed: - CreatedOnce: Creates the Secret only if it does not exist and does not update it thereafter - Periodic: Synchronizes the Secret from the external source at regular intervals specified by refreshInterval.

    No periodic updates occur if refreshInterval is 0.

    - OnChange: Only synchronizes the Secret when the ExternalSecret's metadata or specification changes

    :schema: ExternalSecretSpecRefreshPolicy
    '''

    CREATED_ONCE = "CREATED_ONCE"
    '''CreatedOnce.'''
    PERIODIC = "PERIODIC"
    '''Periodic.'''
    ON_CHANGE = "ON_CHANGE"
    '''OnChange.'''


@jsii.data_type(
    jsii_type="ioexternal-secrets.ExternalSecretSpecSecretStoreRef",
    jsii_struct_bases=[],
    name_mapping={"kind": "kind", "name": "name"},
)
class ExternalSecretSpecSecretStoreRef:
    def __init__(
        self,
        *,
        kind: typing.Optional["ExternalSecretSpecSecretStoreRefKind"] = None,
        name: typing.Optional[builtins.str] = None,
    ) -> None:
        '''SecretStoreRef defines which SecretStore to fetch the ExternalSecret data.

        :param kind: Kind of the SecretStore resource (SecretStore or ClusterSecretStore) Defaults to ``SecretStore``. Default: SecretStore`
        :param name: Name of the SecretStore resource.

        :schema: ExternalSecretSpecSecretStoreRef
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__6387a5fae9528a5204090c40d2c2889305f5e0931cd3c9f56f16b857a47f6aab)
            check_type(argname="argument kind", value=kind, expected_type=type_hints["kind"])
            check_type(argname="argument name", value=name, expected_type=type_hints["name"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if kind is not None:
            self._values["kind"] = kind
        if name is not None:
            self._values["name"] = name

    @builtins.property
    def kind(self) -> typing.Optional["ExternalSecretSpecSecretStoreRefKind"]:
        '''Kind of the SecretStore resource (SecretStore or ClusterSecretStore) Defaults to ``SecretStore``.

        :default: SecretStore`

        :schema: ExternalSecretSpecSecretStoreRef#kind
        '''
        result = self._values.get("kind")
        return typing.cast(typing.Optional["ExternalSecretSpecSecretStoreRefKind"], result)

    @builtins.property
    def name(self) -> typing.Optional[builtins.str]:
        '''Name of the SecretStore resource.

        :schema: ExternalSecretSpecSecretStoreRef#name
        '''
        result = self._values.get("name")
        return typing.cast(typing.Optional[builtins.str], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ExternalSecretSpecSecretStoreRef(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.enum(jsii_type="ioexternal-secrets.ExternalSecretSpecSecretStoreRefKind")
class ExternalSecretSpecSecretStoreRefKind(enum.Enum):
    '''Kind of the SecretStore resource (SecretStore or ClusterSecretStore) Defaults to ``SecretStore``.

    :default: SecretStore`

    :schema: ExternalSecretSpecSecretStoreRefKind
    '''

    SECRET_STORE = "SECRET_STORE"
    '''SecretStore.'''
    CLUSTER_SECRET_STORE = "CLUSTER_SECRET_STORE"
    '''ClusterSecretStore.'''


@jsii.data_type(
    jsii_type="ioexternal-secrets.ExternalSecretSpecSyncWindows",
    jsii_struct_bases=[],
    name_mapping={"kind": "kind", "windows": "windows"},
)
class ExternalSecretSpecSyncWindows:
    def __init__(
        self,
        *,
        kind: "ExternalSecretSpecSyncWindowsKind",
        windows: typing.Sequence[typing.Union["ExternalSecretSpecSyncWindowsWindows", typing.Dict[builtins.str, typing.Any]]],
    ) -> None:
        '''SyncWindows optionally restricts when periodic refreshes may occur.

        Evaluated in UTC, only for Periodic refresh policy (or when refreshPolicy is unset).

        :param kind: Kind applies to every window in the list. "allow" -- syncs are permitted only while at least one window is active; all other times are blocked. "deny" -- syncs are blocked while any window is active; all other times are permitted.
        :param windows: Windows is the list of schedule+duration pairs.

        :schema: ExternalSecretSpecSyncWindows
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__641ba6dad04362af5e55bcf31fb7e2d331e5c55078b1e5a7f389f1be4e8a4068)
            check_type(argname="argument kind", value=kind, expected_type=type_hints["kind"])
            check_type(argname="argument windows", value=windows, expected_type=type_hints["windows"])
        self._values: typing.Dict[builtins.str, typing.Any] = {
            "kind": kind,
            "windows": windows,
        }

    @builtins.property
    def kind(self) -> "ExternalSecretSpecSyncWindowsKind":
        '''Kind applies to every window in the list.

        "allow" -- syncs are permitted only while at least one window is active;
        all other times are blocked.
        "deny"  -- syncs are blocked while any window is active;
        all other times are permitted.

        :schema: ExternalSecretSpecSyncWindows#kind
        '''
        result = self._values.get("kind")
        assert result is not None, "Required property 'kind' is missing"
        return typing.cast("ExternalSecretSpecSyncWindowsKind", result)

    @builtins.property
    def windows(self) -> typing.List["ExternalSecretSpecSyncWindowsWindows"]:
        '''Windows is the list of schedule+duration pairs.

        :schema: ExternalSecretSpecSyncWindows#windows
        '''
        result = self._values.get("windows")
        assert result is not None, "Required property 'windows' is missing"
        return typing.cast(typing.List["ExternalSecretSpecSyncWindowsWindows"], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ExternalSecretSpecSyncWindows(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.enum(jsii_type="ioexternal-secrets.ExternalSecretSpecSyncWindowsKind")
class ExternalSecretSpecSyncWindowsKind(enum.Enum):
    '''Kind applies to every window in the list.

    "allow" -- syncs are permitted only while at least one window is active;
    all other times are blocked.
    "deny"  -- syncs are blocked while any window is active;
    all other times are permitted.

    :schema: ExternalSecretSpecSyncWindowsKind
    '''

    ALLOW = "ALLOW"
    '''allow.'''
    DENY = "DENY"
    '''deny.'''


@jsii.data_type(
    jsii_type="ioexternal-secrets.ExternalSecretSpecSyncWindowsWindows",
    jsii_struct_bases=[],
    name_mapping={"duration": "duration", "schedule": "schedule"},
)
class ExternalSecretSpecSyncWindowsWindows:
    def __init__(self, *, duration: builtins.str, schedule: builtins.str) -> None:
        '''ExternalSecretSyncWindowEntry defines a single cron-schedule + duration pair within a SyncWindows block.

        :param duration: Duration specifies how long the window stays open after each Schedule firing. Example: "8h".
        :param schedule: Schedule is a standard 5-field cron expression evaluated in UTC, or a named shorthand such as.

        :schema: ExternalSecretSpecSyncWindowsWindows
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__ba080faada01ec11a3d50bde37c100a2858953b9b8de74b904326393115c9575)
            check_type(argname="argument duration", value=duration, expected_type=type_hints["duration"])
            check_type(argname="argument schedule", value=schedule, expected_type=type_hints["schedule"])
        self._values: typing.Dict[builtins.str, typing.Any] = {
            "duration": duration,
            "schedule": schedule,
        }

    @builtins.property
    def duration(self) -> builtins.str:
        '''Duration specifies how long the window stays open after each Schedule firing.

        Example: "8h".

        :schema: ExternalSecretSpecSyncWindowsWindows#duration
        '''
        result = self._values.get("duration")
        assert result is not None, "Required property 'duration' is missing"
        return typing.cast(builtins.str, result)

    @builtins.property
    def schedule(self) -> builtins.str:
        '''Schedule is a standard 5-field cron expression evaluated in UTC, or a named shorthand such as.

        :daily: or
        :every:

        1h. It marks the start time of
        each window occurrence.
        Example: "0 22 * * 1-5" opens a window every weekday at 22:00 UTC.
        :schema: ExternalSecretSpecSyncWindowsWindows#schedule
        '''
        result = self._values.get("schedule")
        assert result is not None, "Required property 'schedule' is missing"
        return typing.cast(builtins.str, result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ExternalSecretSpecSyncWindowsWindows(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="ioexternal-secrets.ExternalSecretSpecTarget",
    jsii_struct_bases=[],
    name_mapping={
        "creation_policy": "creationPolicy",
        "deletion_policy": "deletionPolicy",
        "immutable": "immutable",
        "manifest": "manifest",
        "name": "name",
        "template": "template",
    },
)
class ExternalSecretSpecTarget:
    def __init__(
        self,
        *,
        creation_policy: typing.Optional["ExternalSecretSpecTargetCreationPolicy"] = None,
        deletion_policy: typing.Optional["ExternalSecretSpecTargetDeletionPolicy"] = None,
        immutable: typing.Optional[builtins.bool] = None,
        manifest: typing.Optional[typing.Union["ExternalSecretSpecTargetManifest", typing.Dict[builtins.str, typing.Any]]] = None,
        name: typing.Optional[builtins.str] = None,
        template: typing.Optional[typing.Union["ExternalSecretSpecTargetTemplate", typing.Dict[builtins.str, typing.Any]]] = None,
    ) -> None:
        '''ExternalSecretTarget defines the Kubernetes Secret to be created, there can be only one target per ExternalSecret.

        :param creation_policy: CreationPolicy defines rules on how to create the resulting Secret. Defaults to "Owner" Default: Owner"
        :param deletion_policy: DeletionPolicy defines rules on how to delete the resulting Secret. Defaults to "Retain" Default: Retain"
        :param immutable: Immutable defines if the final secret will be immutable.
        :param manifest: Manifest defines a custom Kubernetes resource to create instead of a Secret. When specified, ExternalSecret will create the resource type defined here (e.g., ConfigMap, Custom Resource) instead of a Secret. Warning: Using Generic target. Make sure access policies and encryption are properly configured.
        :param name: The name of the Secret resource to be managed. Defaults to the .metadata.name of the ExternalSecret resource Default: the .metadata.name of the ExternalSecret resource
        :param template: Template defines a blueprint for the created Secret resource.

        :schema: ExternalSecretSpecTarget
        '''
        if isinstance(manifest, dict):
            manifest = ExternalSecretSpecTargetManifest(**manifest)
        if isinstance(template, dict):
            template = ExternalSecretSpecTargetTemplate(**template)
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__827bc50a1daa2c072beabe447d39f5aa425b2533370b434284005378aa9a35c4)
            check_type(argname="argument creation_policy", value=creation_policy, expected_type=type_hints["creation_policy"])
            check_type(argname="argument deletion_policy", value=deletion_policy, expected_type=type_hints["deletion_policy"])
            check_type(argname="argument immutable", value=immutable, expected_type=type_hints["immutable"])
            check_type(argname="argument manifest", value=manifest, expected_type=type_hints["manifest"])
            check_type(argname="argument name", value=name, expected_type=type_hints["name"])
            check_type(argname="argument template", value=template, expected_type=type_hints["template"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if creation_policy is not None:
            self._values["creation_policy"] = creation_policy
        if deletion_policy is not None:
            self._values["deletion_policy"] = deletion_policy
        if immutable is not None:
            self._values["immutable"] = immutable
        if manifest is not None:
            self._values["manifest"] = manifest
        if name is not None:
            self._values["name"] = name
        if template is not None:
            self._values["template"] = template

    @builtins.property
    def creation_policy(
        self,
    ) -> typing.Optional["ExternalSecretSpecTargetCreationPolicy"]:
        '''CreationPolicy defines rules on how to create the resulting Secret.

        Defaults to "Owner"

        :default: Owner"

        :schema: ExternalSecretSpecTarget#creationPolicy
        '''
        result = self._values.get("creation_policy")
        return typing.cast(typing.Optional["ExternalSecretSpecTargetCreationPolicy"], result)

    @builtins.property
    def deletion_policy(
        self,
    ) -> typing.Optional["ExternalSecretSpecTargetDeletionPolicy"]:
        '''DeletionPolicy defines rules on how to delete the resulting Secret.

        Defaults to "Retain"

        :default: Retain"

        :schema: ExternalSecretSpecTarget#deletionPolicy
        '''
        result = self._values.get("deletion_policy")
        return typing.cast(typing.Optional["ExternalSecretSpecTargetDeletionPolicy"], result)

    @builtins.property
    def immutable(self) -> typing.Optional[builtins.bool]:
        '''Immutable defines if the final secret will be immutable.

        :schema: ExternalSecretSpecTarget#immutable
        '''
        result = self._values.get("immutable")
        return typing.cast(typing.Optional[builtins.bool], result)

    @builtins.property
    def manifest(self) -> typing.Optional["ExternalSecretSpecTargetManifest"]:
        '''Manifest defines a custom Kubernetes resource to create instead of a Secret.

        When specified, ExternalSecret will create the resource type defined here
        (e.g., ConfigMap, Custom Resource) instead of a Secret.
        Warning: Using Generic target. Make sure access policies and encryption are properly configured.

        :schema: ExternalSecretSpecTarget#manifest
        '''
        result = self._values.get("manifest")
        return typing.cast(typing.Optional["ExternalSecretSpecTargetManifest"], result)

    @builtins.property
    def name(self) -> typing.Optional[builtins.str]:
        '''The name of the Secret resource to be managed.

        Defaults to the .metadata.name of the ExternalSecret resource

        :default: the .metadata.name of the ExternalSecret resource

        :schema: ExternalSecretSpecTarget#name
        '''
        result = self._values.get("name")
        return typing.cast(typing.Optional[builtins.str], result)

    @builtins.property
    def template(self) -> typing.Optional["ExternalSecretSpecTargetTemplate"]:
        '''Template defines a blueprint for the created Secret resource.

        :schema: ExternalSecretSpecTarget#template
        '''
        result = self._values.get("template")
        return typing.cast(typing.Optional["ExternalSecretSpecTargetTemplate"], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ExternalSecretSpecTarget(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.enum(jsii_type="ioexternal-secrets.ExternalSecretSpecTargetCreationPolicy")
class ExternalSecretSpecTargetCreationPolicy(enum.Enum):
    '''CreationPolicy defines rules on how to create the resulting Secret.

    Defaults to "Owner"

    :default: Owner"

    :schema: ExternalSecretSpecTargetCreationPolicy
    '''

    OWNER = "OWNER"
    '''Owner.'''
    ORPHAN = "ORPHAN"
    '''Orphan.'''
    MERGE = "MERGE"
    '''Merge.'''
    NONE = "NONE"
    '''None.'''
    CREATE_OR_MERGE = "CREATE_OR_MERGE"
    '''CreateOrMerge.'''


@jsii.enum(jsii_type="ioexternal-secrets.ExternalSecretSpecTargetDeletionPolicy")
class ExternalSecretSpecTargetDeletionPolicy(enum.Enum):
    '''DeletionPolicy defines rules on how to delete the resulting Secret.

    Defaults to "Retain"

    :default: Retain"

    :schema: ExternalSecretSpecTargetDeletionPolicy
    '''

    DELETE = "DELETE"
    '''Delete.'''
    MERGE = "MERGE"
    '''Merge.'''
    RETAIN = "RETAIN"
    '''Retain.'''


@jsii.data_type(
    jsii_type="ioexternal-secrets.ExternalSecretSpecTargetManifest",
    jsii_struct_bases=[],
    name_mapping={"api_version": "apiVersion", "kind": "kind"},
)
class ExternalSecretSpecTargetManifest:
    def __init__(self, *, api_version: builtins.str, kind: builtins.str) -> None:
        '''Manifest defines a custom Kubernetes resource to create instead of a Secret.

        When specified, ExternalSecret will create the resource type defined here
        (e.g., ConfigMap, Custom Resource) instead of a Secret.
        Warning: Using Generic target. Make sure access policies and encryption are properly configured.

        :param api_version: APIVersion of the target resource (e.g., "v1" for ConfigMap, "argoproj.io/v1alpha1" for ArgoCD Application).
        :param kind: Kind of the target resource (e.g., "ConfigMap", "Application").

        :schema: ExternalSecretSpecTargetManifest
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__1f1537c634fadc74d0ebff0dadab1c87af05e2ac7c9474483010bc3e9016fb08)
            check_type(argname="argument api_version", value=api_version, expected_type=type_hints["api_version"])
            check_type(argname="argument kind", value=kind, expected_type=type_hints["kind"])
        self._values: typing.Dict[builtins.str, typing.Any] = {
            "api_version": api_version,
            "kind": kind,
        }

    @builtins.property
    def api_version(self) -> builtins.str:
        '''APIVersion of the target resource (e.g., "v1" for ConfigMap, "argoproj.io/v1alpha1" for ArgoCD Application).

        :schema: ExternalSecretSpecTargetManifest#apiVersion
        '''
        result = self._values.get("api_version")
        assert result is not None, "Required property 'api_version' is missing"
        return typing.cast(builtins.str, result)

    @builtins.property
    def kind(self) -> builtins.str:
        '''Kind of the target resource (e.g., "ConfigMap", "Application").

        :schema: ExternalSecretSpecTargetManifest#kind
        '''
        result = self._values.get("kind")
        assert result is not None, "Required property 'kind' is missing"
        return typing.cast(builtins.str, result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ExternalSecretSpecTargetManifest(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="ioexternal-secrets.ExternalSecretSpecTargetTemplate",
    jsii_struct_bases=[],
    name_mapping={
        "data": "data",
        "engine_version": "engineVersion",
        "merge_policy": "mergePolicy",
        "metadata": "metadata",
        "template_from": "templateFrom",
        "type": "type",
    },
)
class ExternalSecretSpecTargetTemplate:
    def __init__(
        self,
        *,
        data: typing.Optional[typing.Mapping[builtins.str, builtins.str]] = None,
        engine_version: typing.Optional["ExternalSecretSpecTargetTemplateEngineVersion"] = None,
        merge_policy: typing.Optional["ExternalSecretSpecTargetTemplateMergePolicy"] = None,
        metadata: typing.Optional[typing.Union["ExternalSecretSpecTargetTemplateMetadata", typing.Dict[builtins.str, typing.Any]]] = None,
        template_from: typing.Optional[typing.Sequence[typing.Union["ExternalSecretSpecTargetTemplateTemplateFrom", typing.Dict[builtins.str, typing.Any]]]] = None,
        type: typing.Optional[builtins.str] = None,
    ) -> None:
        '''Template defines a blueprint for the created Secret resource.

        :param data: 
        :param engine_version: EngineVersion specifies the template engine version that should be used to compile/execute the template specified in .data and .templateFrom[].
        :param merge_policy: TemplateMergePolicy defines how the rendered template should be merged with the existing Secret data.
        :param metadata: ExternalSecretTemplateMetadata defines metadata fields for the Secret blueprint.
        :param template_from: 
        :param type: 

        :schema: ExternalSecretSpecTargetTemplate
        '''
        if isinstance(metadata, dict):
            metadata = ExternalSecretSpecTargetTemplateMetadata(**metadata)
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__8a97a9d748a88e76340582885a47a889666e169b36bf601e948fa8fbaf8eacb8)
            check_type(argname="argument data", value=data, expected_type=type_hints["data"])
            check_type(argname="argument engine_version", value=engine_version, expected_type=type_hints["engine_version"])
            check_type(argname="argument merge_policy", value=merge_policy, expected_type=type_hints["merge_policy"])
            check_type(argname="argument metadata", value=metadata, expected_type=type_hints["metadata"])
            check_type(argname="argument template_from", value=template_from, expected_type=type_hints["template_from"])
            check_type(argname="argument type", value=type, expected_type=type_hints["type"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if data is not None:
            self._values["data"] = data
        if engine_version is not None:
            self._values["engine_version"] = engine_version
        if merge_policy is not None:
            self._values["merge_policy"] = merge_policy
        if metadata is not None:
            self._values["metadata"] = metadata
        if template_from is not None:
            self._values["template_from"] = template_from
        if type is not None:
            self._values["type"] = type

    @builtins.property
    def data(self) -> typing.Optional[typing.Mapping[builtins.str, builtins.str]]:
        '''
        :schema: ExternalSecretSpecTargetTemplate#data
        '''
        result = self._values.get("data")
        return typing.cast(typing.Optional[typing.Mapping[builtins.str, builtins.str]], result)

    @builtins.property
    def engine_version(
        self,
    ) -> typing.Optional["ExternalSecretSpecTargetTemplateEngineVersion"]:
        '''EngineVersion specifies the template engine version that should be used to compile/execute the template specified in .data and .templateFrom[].

        :schema: ExternalSecretSpecTargetTemplate#engineVersion
        '''
        result = self._values.get("engine_version")
        return typing.cast(typing.Optional["ExternalSecretSpecTargetTemplateEngineVersion"], result)

    @builtins.property
    def merge_policy(
        self,
    ) -> typing.Optional["ExternalSecretSpecTargetTemplateMergePolicy"]:
        '''TemplateMergePolicy defines how the rendered template should be merged with the existing Secret data.

        :schema: ExternalSecretSpecTargetTemplate#mergePolicy
        '''
        result = self._values.get("merge_policy")
        return typing.cast(typing.Optional["ExternalSecretSpecTargetTemplateMergePolicy"], result)

    @builtins.property
    def metadata(self) -> typing.Optional["ExternalSecretSpecTargetTemplateMetadata"]:
        '''ExternalSecretTemplateMetadata defines metadata fields for the Secret blueprint.

        :schema: ExternalSecretSpecTargetTemplate#metadata
        '''
        result = self._values.get("metadata")
        return typing.cast(typing.Optional["ExternalSecretSpecTargetTemplateMetadata"], result)

    @builtins.property
    def template_from(
        self,
    ) -> typing.Optional[typing.List["ExternalSecretSpecTargetTemplateTemplateFrom"]]:
        '''
        :schema: ExternalSecretSpecTargetTemplate#templateFrom
        '''
        result = self._values.get("template_from")
        return typing.cast(typing.Optional[typing.List["ExternalSecretSpecTargetTemplateTemplateFrom"]], result)

    @builtins.property
    def type(self) -> typing.Optional[builtins.str]:
        '''
        :schema: ExternalSecretSpecTargetTemplate#type
        '''
        result = self._values.get("type")
        return typing.cast(typing.Optional[builtins.str], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ExternalSecretSpecTargetTemplate(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.enum(
    jsii_type="ioexternal-secrets.ExternalSecretSpecTargetTemplateEngineVersion"
)
class ExternalSecretSpecTargetTemplateEngineVersion(enum.Enum):
    '''EngineVersion specifies the template engine version that should be used to compile/execute the template specified in .data and .templateFrom[].

    :schema: ExternalSecretSpecTargetTemplateEngineVersion
    '''

    V2 = "V2"
    '''v2.'''


@jsii.enum(jsii_type="ioexternal-secrets.ExternalSecretSpecTargetTemplateMergePolicy")
class ExternalSecretSpecTargetTemplateMergePolicy(enum.Enum):
    '''TemplateMergePolicy defines how the rendered template should be merged with the existing Secret data.

    :schema: ExternalSecretSpecTargetTemplateMergePolicy
    '''

    REPLACE = "REPLACE"
    '''Replace.'''
    MERGE = "MERGE"
    '''Merge.'''


@jsii.data_type(
    jsii_type="ioexternal-secrets.ExternalSecretSpecTargetTemplateMetadata",
    jsii_struct_bases=[],
    name_mapping={
        "annotations": "annotations",
        "finalizers": "finalizers",
        "labels": "labels",
    },
)
class ExternalSecretSpecTargetTemplateMetadata:
    def __init__(
        self,
        *,
        annotations: typing.Optional[typing.Mapping[builtins.str, builtins.str]] = None,
        finalizers: typing.Optional[typing.Sequence[builtins.str]] = None,
        labels: typing.Optional[typing.Mapping[builtins.str, builtins.str]] = None,
    ) -> None:
        '''ExternalSecretTemplateMetadata defines metadata fields for the Secret blueprint.

        :param annotations: 
        :param finalizers: 
        :param labels: 

        :schema: ExternalSecretSpecTargetTemplateMetadata
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__fd5588a79e0c2ae668496ad557535214d7832b67410c55764b5ebcb0df34aa6e)
            check_type(argname="argument annotations", value=annotations, expected_type=type_hints["annotations"])
            check_type(argname="argument finalizers", value=finalizers, expected_type=type_hints["finalizers"])
            check_type(argname="argument labels", value=labels, expected_type=type_hints["labels"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if annotations is not None:
            self._values["annotations"] = annotations
        if finalizers is not None:
            self._values["finalizers"] = finalizers
        if labels is not None:
            self._values["labels"] = labels

    @builtins.property
    def annotations(
        self,
    ) -> typing.Optional[typing.Mapping[builtins.str, builtins.str]]:
        '''
        :schema: ExternalSecretSpecTargetTemplateMetadata#annotations
        '''
        result = self._values.get("annotations")
        return typing.cast(typing.Optional[typing.Mapping[builtins.str, builtins.str]], result)

    @builtins.property
    def finalizers(self) -> typing.Optional[typing.List[builtins.str]]:
        '''
        :schema: ExternalSecretSpecTargetTemplateMetadata#finalizers
        '''
        result = self._values.get("finalizers")
        return typing.cast(typing.Optional[typing.List[builtins.str]], result)

    @builtins.property
    def labels(self) -> typing.Optional[typing.Mapping[builtins.str, builtins.str]]:
        '''
        :schema: ExternalSecretSpecTargetTemplateMetadata#labels
        '''
        result = self._values.get("labels")
        return typing.cast(typing.Optional[typing.Mapping[builtins.str, builtins.str]], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ExternalSecretSpecTargetTemplateMetadata(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="ioexternal-secrets.ExternalSecretSpecTargetTemplateTemplateFrom",
    jsii_struct_bases=[],
    name_mapping={
        "config_map": "configMap",
        "literal": "literal",
        "secret": "secret",
        "target": "target",
        "values_decoding_strategy": "valuesDecodingStrategy",
    },
)
class ExternalSecretSpecTargetTemplateTemplateFrom:
    def __init__(
        self,
        *,
        config_map: typing.Optional[typing.Union["ExternalSecretSpecTargetTemplateTemplateFromConfigMap", typing.Dict[builtins.str, typing.Any]]] = None,
        literal: typing.Optional[builtins.str] = None,
        secret: typing.Optional[typing.Union["ExternalSecretSpecTargetTemplateTemplateFromSecret", typing.Dict[builtins.str, typing.Any]]] = None,
        target: typing.Optional[builtins.str] = None,
        values_decoding_strategy: typing.Optional["ExternalSecretSpecTargetTemplateTemplateFromValuesDecodingStrategy"] = None,
    ) -> None:
        '''TemplateFrom specifies a source for templates.

        Each item in the list can either reference a ConfigMap or a Secret resource.

        :param config_map: TemplateRef specifies a reference to either a ConfigMap or a Secret resource.
        :param literal: 
        :param secret: TemplateRef specifies a reference to either a ConfigMap or a Secret resource.
        :param target: Target specifies where to place the template result. For Secret resources the accepted values are empty, "Data", "Annotations" and "Labels"; any other value is rejected because it would allow writes to privileged Secret fields. For custom resources (when spec.target.manifest is set), this supports nested paths like "spec.database.config" or "data".
        :param values_decoding_strategy: Used to define a decoding Strategy for the rendered template values. Defaults to None when omitted. Default: None when omitted.

        :schema: ExternalSecretSpecTargetTemplateTemplateFrom
        '''
        if isinstance(config_map, dict):
            config_map = ExternalSecretSpecTargetTemplateTemplateFromConfigMap(**config_map)
        if isinstance(secret, dict):
            secret = ExternalSecretSpecTargetTemplateTemplateFromSecret(**secret)
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__31faa86a5c98b99d6ee0e61c7febcb6d057f4f2d66a77088ff59e58fd22c0e21)
            check_type(argname="argument config_map", value=config_map, expected_type=type_hints["config_map"])
            check_type(argname="argument literal", value=literal, expected_type=type_hints["literal"])
            check_type(argname="argument secret", value=secret, expected_type=type_hints["secret"])
            check_type(argname="argument target", value=target, expected_type=type_hints["target"])
            check_type(argname="argument values_decoding_strategy", value=values_decoding_strategy, expected_type=type_hints["values_decoding_strategy"])
        self._values: typing.Dict[builtins.str, typing.Any] = {}
        if config_map is not None:
            self._values["config_map"] = config_map
        if literal is not None:
            self._values["literal"] = literal
        if secret is not None:
            self._values["secret"] = secret
        if target is not None:
            self._values["target"] = target
        if values_decoding_strategy is not None:
            self._values["values_decoding_strategy"] = values_decoding_strategy

    @builtins.property
    def config_map(
        self,
    ) -> typing.Optional["ExternalSecretSpecTargetTemplateTemplateFromConfigMap"]:
        '''TemplateRef specifies a reference to either a ConfigMap or a Secret resource.

        :schema: ExternalSecretSpecTargetTemplateTemplateFrom#configMap
        '''
        result = self._values.get("config_map")
        return typing.cast(typing.Optional["ExternalSecretSpecTargetTemplateTemplateFromConfigMap"], result)

    @builtins.property
    def literal(self) -> typing.Optional[builtins.str]:
        '''
        :schema: ExternalSecretSpecTargetTemplateTemplateFrom#literal
        '''
        result = self._values.get("literal")
        return typing.cast(typing.Optional[builtins.str], result)

    @builtins.property
    def secret(
        self,
    ) -> typing.Optional["ExternalSecretSpecTargetTemplateTemplateFromSecret"]:
        '''TemplateRef specifies a reference to either a ConfigMap or a Secret resource.

        :schema: ExternalSecretSpecTargetTemplateTemplateFrom#secret
        '''
        result = self._values.get("secret")
        return typing.cast(typing.Optional["ExternalSecretSpecTargetTemplateTemplateFromSecret"], result)

    @builtins.property
    def target(self) -> typing.Optional[builtins.str]:
        '''Target specifies where to place the template result.

        For Secret resources the accepted values are empty, "Data", "Annotations" and "Labels";
        any other value is rejected because it would allow writes to privileged Secret fields.
        For custom resources (when spec.target.manifest is set), this supports
        nested paths like "spec.database.config" or "data".

        :schema: ExternalSecretSpecTargetTemplateTemplateFrom#target
        '''
        result = self._values.get("target")
        return typing.cast(typing.Optional[builtins.str], result)

    @builtins.property
    def values_decoding_strategy(
        self,
    ) -> typing.Optional["ExternalSecretSpecTargetTemplateTemplateFromValuesDecodingStrategy"]:
        '''Used to define a decoding Strategy for the rendered template values.

        Defaults to None when omitted.

        :default: None when omitted.

        :schema: ExternalSecretSpecTargetTemplateTemplateFrom#valuesDecodingStrategy
        '''
        result = self._values.get("values_decoding_strategy")
        return typing.cast(typing.Optional["ExternalSecretSpecTargetTemplateTemplateFromValuesDecodingStrategy"], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ExternalSecretSpecTargetTemplateTemplateFrom(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="ioexternal-secrets.ExternalSecretSpecTargetTemplateTemplateFromConfigMap",
    jsii_struct_bases=[],
    name_mapping={"items": "items", "name": "name"},
)
class ExternalSecretSpecTargetTemplateTemplateFromConfigMap:
    def __init__(
        self,
        *,
        items: typing.Sequence[typing.Union["ExternalSecretSpecTargetTemplateTemplateFromConfigMapItems", typing.Dict[builtins.str, typing.Any]]],
        name: builtins.str,
    ) -> None:
        '''TemplateRef specifies a reference to either a ConfigMap or a Secret resource.

        :param items: A list of keys in the ConfigMap/Secret to use as templates for Secret data.
        :param name: The name of the ConfigMap/Secret resource.

        :schema: ExternalSecretSpecTargetTemplateTemplateFromConfigMap
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__02bb153304316c1d27d8cc2666b4bffdf0b5ee46f914eb90f501ff4d279aff79)
            check_type(argname="argument items", value=items, expected_type=type_hints["items"])
            check_type(argname="argument name", value=name, expected_type=type_hints["name"])
        self._values: typing.Dict[builtins.str, typing.Any] = {
            "items": items,
            "name": name,
        }

    @builtins.property
    def items(
        self,
    ) -> typing.List["ExternalSecretSpecTargetTemplateTemplateFromConfigMapItems"]:
        '''A list of keys in the ConfigMap/Secret to use as templates for Secret data.

        :schema: ExternalSecretSpecTargetTemplateTemplateFromConfigMap#items
        '''
        result = self._values.get("items")
        assert result is not None, "Required property 'items' is missing"
        return typing.cast(typing.List["ExternalSecretSpecTargetTemplateTemplateFromConfigMapItems"], result)

    @builtins.property
    def name(self) -> builtins.str:
        '''The name of the ConfigMap/Secret resource.

        :schema: ExternalSecretSpecTargetTemplateTemplateFromConfigMap#name
        '''
        result = self._values.get("name")
        assert result is not None, "Required property 'name' is missing"
        return typing.cast(builtins.str, result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ExternalSecretSpecTargetTemplateTemplateFromConfigMap(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="ioexternal-secrets.ExternalSecretSpecTargetTemplateTemplateFromConfigMapItems",
    jsii_struct_bases=[],
    name_mapping={"key": "key", "template_as": "templateAs"},
)
class ExternalSecretSpecTargetTemplateTemplateFromConfigMapItems:
    def __init__(
        self,
        *,
        key: builtins.str,
        template_as: typing.Optional["ExternalSecretSpecTargetTemplateTemplateFromConfigMapItemsTemplateAs"] = None,
    ) -> None:
        '''TemplateRefItem specifies a key in the ConfigMap/Secret to use as a template for Secret data.

        :param key: A key in the ConfigMap/Secret.
        :param template_as: TemplateScope specifies how the template keys should be interpreted.

        :schema: ExternalSecretSpecTargetTemplateTemplateFromConfigMapItems
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__183828d27464f0cb7be30c7fcfa871d537b68ad5d70c9895876220619c3ee123)
            check_type(argname="argument key", value=key, expected_type=type_hints["key"])
            check_type(argname="argument template_as", value=template_as, expected_type=type_hints["template_as"])
        self._values: typing.Dict[builtins.str, typing.Any] = {
            "key": key,
        }
        if template_as is not None:
            self._values["template_as"] = template_as

    @builtins.property
    def key(self) -> builtins.str:
        '''A key in the ConfigMap/Secret.

        :schema: ExternalSecretSpecTargetTemplateTemplateFromConfigMapItems#key
        '''
        result = self._values.get("key")
        assert result is not None, "Required property 'key' is missing"
        return typing.cast(builtins.str, result)

    @builtins.property
    def template_as(
        self,
    ) -> typing.Optional["ExternalSecretSpecTargetTemplateTemplateFromConfigMapItemsTemplateAs"]:
        '''TemplateScope specifies how the template keys should be interpreted.

        :schema: ExternalSecretSpecTargetTemplateTemplateFromConfigMapItems#templateAs
        '''
        result = self._values.get("template_as")
        return typing.cast(typing.Optional["ExternalSecretSpecTargetTemplateTemplateFromConfigMapItemsTemplateAs"], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ExternalSecretSpecTargetTemplateTemplateFromConfigMapItems(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.enum(
    jsii_type="ioexternal-secrets.ExternalSecretSpecTargetTemplateTemplateFromConfigMapItemsTemplateAs"
)
class ExternalSecretSpecTargetTemplateTemplateFromConfigMapItemsTemplateAs(enum.Enum):
    '''TemplateScope specifies how the template keys should be interpreted.

    :schema: ExternalSecretSpecTargetTemplateTemplateFromConfigMapItemsTemplateAs
    '''

    VALUES = "VALUES"
    '''Values.'''
    KEYS_AND_VALUES = "KEYS_AND_VALUES"
    '''KeysAndValues.'''


@jsii.data_type(
    jsii_type="ioexternal-secrets.ExternalSecretSpecTargetTemplateTemplateFromSecret",
    jsii_struct_bases=[],
    name_mapping={"items": "items", "name": "name"},
)
class ExternalSecretSpecTargetTemplateTemplateFromSecret:
    def __init__(
        self,
        *,
        items: typing.Sequence[typing.Union["ExternalSecretSpecTargetTemplateTemplateFromSecretItems", typing.Dict[builtins.str, typing.Any]]],
        name: builtins.str,
    ) -> None:
        '''TemplateRef specifies a reference to either a ConfigMap or a Secret resource.

        :param items: A list of keys in the ConfigMap/Secret to use as templates for Secret data.
        :param name: The name of the ConfigMap/Secret resource.

        :schema: ExternalSecretSpecTargetTemplateTemplateFromSecret
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__a0091308b64027190e4220f919c8b9fe8606081a83a7cac89b8d6f66850f27d9)
            check_type(argname="argument items", value=items, expected_type=type_hints["items"])
            check_type(argname="argument name", value=name, expected_type=type_hints["name"])
        self._values: typing.Dict[builtins.str, typing.Any] = {
            "items": items,
            "name": name,
        }

    @builtins.property
    def items(
        self,
    ) -> typing.List["ExternalSecretSpecTargetTemplateTemplateFromSecretItems"]:
        '''A list of keys in the ConfigMap/Secret to use as templates for Secret data.

        :schema: ExternalSecretSpecTargetTemplateTemplateFromSecret#items
        '''
        result = self._values.get("items")
        assert result is not None, "Required property 'items' is missing"
        return typing.cast(typing.List["ExternalSecretSpecTargetTemplateTemplateFromSecretItems"], result)

    @builtins.property
    def name(self) -> builtins.str:
        '''The name of the ConfigMap/Secret resource.

        :schema: ExternalSecretSpecTargetTemplateTemplateFromSecret#name
        '''
        result = self._values.get("name")
        assert result is not None, "Required property 'name' is missing"
        return typing.cast(builtins.str, result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ExternalSecretSpecTargetTemplateTemplateFromSecret(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.data_type(
    jsii_type="ioexternal-secrets.ExternalSecretSpecTargetTemplateTemplateFromSecretItems",
    jsii_struct_bases=[],
    name_mapping={"key": "key", "template_as": "templateAs"},
)
class ExternalSecretSpecTargetTemplateTemplateFromSecretItems:
    def __init__(
        self,
        *,
        key: builtins.str,
        template_as: typing.Optional["ExternalSecretSpecTargetTemplateTemplateFromSecretItemsTemplateAs"] = None,
    ) -> None:
        '''TemplateRefItem specifies a key in the ConfigMap/Secret to use as a template for Secret data.

        :param key: A key in the ConfigMap/Secret.
        :param template_as: TemplateScope specifies how the template keys should be interpreted.

        :schema: ExternalSecretSpecTargetTemplateTemplateFromSecretItems
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__dd62afc90b918a7a93df148a8f114e0416daaaa6276fbdd86d8d0b7a8b3a5886)
            check_type(argname="argument key", value=key, expected_type=type_hints["key"])
            check_type(argname="argument template_as", value=template_as, expected_type=type_hints["template_as"])
        self._values: typing.Dict[builtins.str, typing.Any] = {
            "key": key,
        }
        if template_as is not None:
            self._values["template_as"] = template_as

    @builtins.property
    def key(self) -> builtins.str:
        '''A key in the ConfigMap/Secret.

        :schema: ExternalSecretSpecTargetTemplateTemplateFromSecretItems#key
        '''
        result = self._values.get("key")
        assert result is not None, "Required property 'key' is missing"
        return typing.cast(builtins.str, result)

    @builtins.property
    def template_as(
        self,
    ) -> typing.Optional["ExternalSecretSpecTargetTemplateTemplateFromSecretItemsTemplateAs"]:
        '''TemplateScope specifies how the template keys should be interpreted.

        :schema: ExternalSecretSpecTargetTemplateTemplateFromSecretItems#templateAs
        '''
        result = self._values.get("template_as")
        return typing.cast(typing.Optional["ExternalSecretSpecTargetTemplateTemplateFromSecretItemsTemplateAs"], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ExternalSecretSpecTargetTemplateTemplateFromSecretItems(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


@jsii.enum(
    jsii_type="ioexternal-secrets.ExternalSecretSpecTargetTemplateTemplateFromSecretItemsTemplateAs"
)
class ExternalSecretSpecTargetTemplateTemplateFromSecretItemsTemplateAs(enum.Enum):
    '''TemplateScope specifies how the template keys should be interpreted.

    :schema: ExternalSecretSpecTargetTemplateTemplateFromSecretItemsTemplateAs
    '''

    VALUES = "VALUES"
    '''Values.'''
    KEYS_AND_VALUES = "KEYS_AND_VALUES"
    '''KeysAndValues.'''


@jsii.enum(
    jsii_type="ioexternal-secrets.ExternalSecretSpecTargetTemplateTemplateFromValuesDecodingStrategy"
)
class ExternalSecretSpecTargetTemplateTemplateFromValuesDecodingStrategy(enum.Enum):
    '''Used to define a decoding Strategy for the rendered template values.

    Defaults to None when omitted.

    :default: None when omitted.

    :schema: ExternalSecretSpecTargetTemplateTemplateFromValuesDecodingStrategy
    '''

    AUTO = "AUTO"
    '''Auto.'''
    BASE64 = "BASE64"
    '''Base64.'''
    BASE64_URL = "BASE64_URL"
    '''Base64URL.'''
    NONE = "NONE"
    '''None.'''


__all__ = [
    "ExternalSecret",
    "ExternalSecretProps",
    "ExternalSecretSpec",
    "ExternalSecretSpecData",
    "ExternalSecretSpecDataFrom",
    "ExternalSecretSpecDataFromExtract",
    "ExternalSecretSpecDataFromExtractConversionStrategy",
    "ExternalSecretSpecDataFromExtractDecodingStrategy",
    "ExternalSecretSpecDataFromExtractMetadataPolicy",
    "ExternalSecretSpecDataFromExtractNullBytePolicy",
    "ExternalSecretSpecDataFromFind",
    "ExternalSecretSpecDataFromFindConversionStrategy",
    "ExternalSecretSpecDataFromFindDecodingStrategy",
    "ExternalSecretSpecDataFromFindName",
    "ExternalSecretSpecDataFromFindNullBytePolicy",
    "ExternalSecretSpecDataFromRewrite",
    "ExternalSecretSpecDataFromRewriteMerge",
    "ExternalSecretSpecDataFromRewriteMergeConflictPolicy",
    "ExternalSecretSpecDataFromRewriteMergePriorityPolicy",
    "ExternalSecretSpecDataFromRewriteMergeStrategy",
    "ExternalSecretSpecDataFromRewriteRegexp",
    "ExternalSecretSpecDataFromRewriteTransform",
    "ExternalSecretSpecDataFromSourceRef",
    "ExternalSecretSpecDataFromSourceRefGeneratorRef",
    "ExternalSecretSpecDataFromSourceRefGeneratorRefKind",
    "ExternalSecretSpecDataFromSourceRefStoreRef",
    "ExternalSecretSpecDataFromSourceRefStoreRefKind",
    "ExternalSecretSpecDataRemoteRef",
    "ExternalSecretSpecDataRemoteRefConversionStrategy",
    "ExternalSecretSpecDataRemoteRefDecodingStrategy",
    "ExternalSecretSpecDataRemoteRefMetadataPolicy",
    "ExternalSecretSpecDataRemoteRefNullBytePolicy",
    "ExternalSecretSpecDataSourceRef",
    "ExternalSecretSpecDataSourceRefGeneratorRef",
    "ExternalSecretSpecDataSourceRefGeneratorRefKind",
    "ExternalSecretSpecDataSourceRefStoreRef",
    "ExternalSecretSpecDataSourceRefStoreRefKind",
    "ExternalSecretSpecRefreshPolicy",
    "ExternalSecretSpecSecretStoreRef",
    "ExternalSecretSpecSecretStoreRefKind",
    "ExternalSecretSpecSyncWindows",
    "ExternalSecretSpecSyncWindowsKind",
    "ExternalSecretSpecSyncWindowsWindows",
    "ExternalSecretSpecTarget",
    "ExternalSecretSpecTargetCreationPolicy",
    "ExternalSecretSpecTargetDeletionPolicy",
    "ExternalSecretSpecTargetManifest",
    "ExternalSecretSpecTargetTemplate",
    "ExternalSecretSpecTargetTemplateEngineVersion",
    "ExternalSecretSpecTargetTemplateMergePolicy",
    "ExternalSecretSpecTargetTemplateMetadata",
    "ExternalSecretSpecTargetTemplateTemplateFrom",
    "ExternalSecretSpecTargetTemplateTemplateFromConfigMap",
    "ExternalSecretSpecTargetTemplateTemplateFromConfigMapItems",
    "ExternalSecretSpecTargetTemplateTemplateFromConfigMapItemsTemplateAs",
    "ExternalSecretSpecTargetTemplateTemplateFromSecret",
    "ExternalSecretSpecTargetTemplateTemplateFromSecretItems",
    "ExternalSecretSpecTargetTemplateTemplateFromSecretItemsTemplateAs",
    "ExternalSecretSpecTargetTemplateTemplateFromValuesDecodingStrategy",
]

publication.publish()

def _typecheckingstub__8c3b70f22c7723f819f402a6957ab71e8991db57a58ba85047be7a2faaad81e0(
    scope: _constructs_77d1e7e8.Construct,
    id: builtins.str,
    *,
    metadata: typing.Optional[typing.Union[_cdk8s_d3d9af27.ApiObjectMetadata, typing.Dict[builtins.str, typing.Any]]] = None,
    spec: typing.Optional[typing.Union[ExternalSecretSpec, typing.Dict[builtins.str, typing.Any]]] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__37e904970e3dbc8f880d53222da8b9d6ad0e642ffbccba70fe72cb9cdfbe3289(
    *,
    metadata: typing.Optional[typing.Union[_cdk8s_d3d9af27.ApiObjectMetadata, typing.Dict[builtins.str, typing.Any]]] = None,
    spec: typing.Optional[typing.Union[ExternalSecretSpec, typing.Dict[builtins.str, typing.Any]]] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__074b53f8506e2f7772a36a26ed9736680e0342754c5f0ccf2218c6fef874937d(
    *,
    data: typing.Optional[typing.Sequence[typing.Union[ExternalSecretSpecData, typing.Dict[builtins.str, typing.Any]]]] = None,
    data_from: typing.Optional[typing.Sequence[typing.Union[ExternalSecretSpecDataFrom, typing.Dict[builtins.str, typing.Any]]]] = None,
    refresh_interval: typing.Optional[builtins.str] = None,
    refresh_policy: typing.Optional[ExternalSecretSpecRefreshPolicy] = None,
    secret_store_ref: typing.Optional[typing.Union[ExternalSecretSpecSecretStoreRef, typing.Dict[builtins.str, typing.Any]]] = None,
    sync_windows: typing.Optional[typing.Union[ExternalSecretSpecSyncWindows, typing.Dict[builtins.str, typing.Any]]] = None,
    target: typing.Optional[typing.Union[ExternalSecretSpecTarget, typing.Dict[builtins.str, typing.Any]]] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__475d807ac9fbc706d9ba6234ed898b602897f6af687b51a5cfabc7a77de0d4ce(
    *,
    remote_ref: typing.Union[ExternalSecretSpecDataRemoteRef, typing.Dict[builtins.str, typing.Any]],
    secret_key: builtins.str,
    source_ref: typing.Optional[typing.Union[ExternalSecretSpecDataSourceRef, typing.Dict[builtins.str, typing.Any]]] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__5652c1cf0894311801be60a13dd81647750db80e32bc8f49fe3e8235021c6c91(
    *,
    extract: typing.Optional[typing.Union[ExternalSecretSpecDataFromExtract, typing.Dict[builtins.str, typing.Any]]] = None,
    find: typing.Optional[typing.Union[ExternalSecretSpecDataFromFind, typing.Dict[builtins.str, typing.Any]]] = None,
    rewrite: typing.Optional[typing.Sequence[typing.Union[ExternalSecretSpecDataFromRewrite, typing.Dict[builtins.str, typing.Any]]]] = None,
    source_ref: typing.Optional[typing.Union[ExternalSecretSpecDataFromSourceRef, typing.Dict[builtins.str, typing.Any]]] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__f1a826e166202abd8ad5a07dc322befd6750a4902692ec4d9ff881dbadc8d102(
    *,
    key: builtins.str,
    conversion_strategy: typing.Optional[ExternalSecretSpecDataFromExtractConversionStrategy] = None,
    decoding_strategy: typing.Optional[ExternalSecretSpecDataFromExtractDecodingStrategy] = None,
    metadata_policy: typing.Optional[ExternalSecretSpecDataFromExtractMetadataPolicy] = None,
    null_byte_policy: typing.Optional[ExternalSecretSpecDataFromExtractNullBytePolicy] = None,
    property: typing.Optional[builtins.str] = None,
    version: typing.Optional[builtins.str] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__d8edc5b5404aea834ef81913f06d491df720ba9c52cc127400dacf95267b6e0c(
    *,
    conversion_strategy: typing.Optional[ExternalSecretSpecDataFromFindConversionStrategy] = None,
    decoding_strategy: typing.Optional[ExternalSecretSpecDataFromFindDecodingStrategy] = None,
    name: typing.Optional[typing.Union[ExternalSecretSpecDataFromFindName, typing.Dict[builtins.str, typing.Any]]] = None,
    null_byte_policy: typing.Optional[ExternalSecretSpecDataFromFindNullBytePolicy] = None,
    path: typing.Optional[builtins.str] = None,
    tags: typing.Optional[typing.Mapping[builtins.str, builtins.str]] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__2e51f0ba94048fcba1af9bf78d0b379efd9e574853c52555f3c81052e7a44e0d(
    *,
    regexp: typing.Optional[builtins.str] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__34a7ea8664e4d3b6a1f3e0ff5e2df2f0dac77ecad4d9e29405fde21c45dcf3f4(
    *,
    merge: typing.Optional[typing.Union[ExternalSecretSpecDataFromRewriteMerge, typing.Dict[builtins.str, typing.Any]]] = None,
    regexp: typing.Optional[typing.Union[ExternalSecretSpecDataFromRewriteRegexp, typing.Dict[builtins.str, typing.Any]]] = None,
    transform: typing.Optional[typing.Union[ExternalSecretSpecDataFromRewriteTransform, typing.Dict[builtins.str, typing.Any]]] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__d20754036ee89fd6b0bcd20b5875dee410e09b933e08e4664815ce85715431df(
    *,
    conflict_policy: typing.Optional[ExternalSecretSpecDataFromRewriteMergeConflictPolicy] = None,
    into: typing.Optional[builtins.str] = None,
    priority: typing.Optional[typing.Sequence[builtins.str]] = None,
    priority_policy: typing.Optional[ExternalSecretSpecDataFromRewriteMergePriorityPolicy] = None,
    strategy: typing.Optional[ExternalSecretSpecDataFromRewriteMergeStrategy] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__07bb68a64c1898dfd9e6d9598ac03e0577691ae09139179a55d7a71e87a2a001(
    *,
    source: builtins.str,
    target: builtins.str,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__ea77cb2fa93be64a812dd1b6f1c4d5a3c14a8077b583881a578654ce0f1efbe9(
    *,
    template: builtins.str,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__6bdacd781fe4a8fdd7dba12242f261be35b0741dfecfc6cad806edac31244739(
    *,
    generator_ref: typing.Optional[typing.Union[ExternalSecretSpecDataFromSourceRefGeneratorRef, typing.Dict[builtins.str, typing.Any]]] = None,
    store_ref: typing.Optional[typing.Union[ExternalSecretSpecDataFromSourceRefStoreRef, typing.Dict[builtins.str, typing.Any]]] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__5de20fbeaa188a66ea77f30598485617164e180abadf40ceea35c89fcb3a3de0(
    *,
    kind: ExternalSecretSpecDataFromSourceRefGeneratorRefKind,
    name: builtins.str,
    api_version: typing.Optional[builtins.str] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__3d42eeaaa91f59431f0eccdb8fa40fd12da13f9e7dd734564ff4c548604fd749(
    *,
    kind: typing.Optional[ExternalSecretSpecDataFromSourceRefStoreRefKind] = None,
    name: typing.Optional[builtins.str] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__8fa135eb71c3b0e514a59fb4221d3694ecf54b320c828591b0435c574fdfb02c(
    *,
    key: builtins.str,
    conversion_strategy: typing.Optional[ExternalSecretSpecDataRemoteRefConversionStrategy] = None,
    decoding_strategy: typing.Optional[ExternalSecretSpecDataRemoteRefDecodingStrategy] = None,
    metadata_policy: typing.Optional[ExternalSecretSpecDataRemoteRefMetadataPolicy] = None,
    null_byte_policy: typing.Optional[ExternalSecretSpecDataRemoteRefNullBytePolicy] = None,
    property: typing.Optional[builtins.str] = None,
    version: typing.Optional[builtins.str] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__7be84602ab6a48aa2f02f1f2788d8e8c0f04bbaeb305a58dc5aa9893b3b36afd(
    *,
    generator_ref: typing.Optional[typing.Union[ExternalSecretSpecDataSourceRefGeneratorRef, typing.Dict[builtins.str, typing.Any]]] = None,
    store_ref: typing.Optional[typing.Union[ExternalSecretSpecDataSourceRefStoreRef, typing.Dict[builtins.str, typing.Any]]] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__b555942e78a0d71b49c937e2b35f2d46f77dcb9c587f0bf0826b60ba87744e15(
    *,
    kind: ExternalSecretSpecDataSourceRefGeneratorRefKind,
    name: builtins.str,
    api_version: typing.Optional[builtins.str] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__dabc81d7c49ec321cf533cf9fc3ff20618ebb29f3711a3be2ce659f592a9b743(
    *,
    kind: typing.Optional[ExternalSecretSpecDataSourceRefStoreRefKind] = None,
    name: typing.Optional[builtins.str] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__6387a5fae9528a5204090c40d2c2889305f5e0931cd3c9f56f16b857a47f6aab(
    *,
    kind: typing.Optional[ExternalSecretSpecSecretStoreRefKind] = None,
    name: typing.Optional[builtins.str] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__641ba6dad04362af5e55bcf31fb7e2d331e5c55078b1e5a7f389f1be4e8a4068(
    *,
    kind: ExternalSecretSpecSyncWindowsKind,
    windows: typing.Sequence[typing.Union[ExternalSecretSpecSyncWindowsWindows, typing.Dict[builtins.str, typing.Any]]],
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__ba080faada01ec11a3d50bde37c100a2858953b9b8de74b904326393115c9575(
    *,
    duration: builtins.str,
    schedule: builtins.str,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__827bc50a1daa2c072beabe447d39f5aa425b2533370b434284005378aa9a35c4(
    *,
    creation_policy: typing.Optional[ExternalSecretSpecTargetCreationPolicy] = None,
    deletion_policy: typing.Optional[ExternalSecretSpecTargetDeletionPolicy] = None,
    immutable: typing.Optional[builtins.bool] = None,
    manifest: typing.Optional[typing.Union[ExternalSecretSpecTargetManifest, typing.Dict[builtins.str, typing.Any]]] = None,
    name: typing.Optional[builtins.str] = None,
    template: typing.Optional[typing.Union[ExternalSecretSpecTargetTemplate, typing.Dict[builtins.str, typing.Any]]] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__1f1537c634fadc74d0ebff0dadab1c87af05e2ac7c9474483010bc3e9016fb08(
    *,
    api_version: builtins.str,
    kind: builtins.str,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__8a97a9d748a88e76340582885a47a889666e169b36bf601e948fa8fbaf8eacb8(
    *,
    data: typing.Optional[typing.Mapping[builtins.str, builtins.str]] = None,
    engine_version: typing.Optional[ExternalSecretSpecTargetTemplateEngineVersion] = None,
    merge_policy: typing.Optional[ExternalSecretSpecTargetTemplateMergePolicy] = None,
    metadata: typing.Optional[typing.Union[ExternalSecretSpecTargetTemplateMetadata, typing.Dict[builtins.str, typing.Any]]] = None,
    template_from: typing.Optional[typing.Sequence[typing.Union[ExternalSecretSpecTargetTemplateTemplateFrom, typing.Dict[builtins.str, typing.Any]]]] = None,
    type: typing.Optional[builtins.str] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__fd5588a79e0c2ae668496ad557535214d7832b67410c55764b5ebcb0df34aa6e(
    *,
    annotations: typing.Optional[typing.Mapping[builtins.str, builtins.str]] = None,
    finalizers: typing.Optional[typing.Sequence[builtins.str]] = None,
    labels: typing.Optional[typing.Mapping[builtins.str, builtins.str]] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__31faa86a5c98b99d6ee0e61c7febcb6d057f4f2d66a77088ff59e58fd22c0e21(
    *,
    config_map: typing.Optional[typing.Union[ExternalSecretSpecTargetTemplateTemplateFromConfigMap, typing.Dict[builtins.str, typing.Any]]] = None,
    literal: typing.Optional[builtins.str] = None,
    secret: typing.Optional[typing.Union[ExternalSecretSpecTargetTemplateTemplateFromSecret, typing.Dict[builtins.str, typing.Any]]] = None,
    target: typing.Optional[builtins.str] = None,
    values_decoding_strategy: typing.Optional[ExternalSecretSpecTargetTemplateTemplateFromValuesDecodingStrategy] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__02bb153304316c1d27d8cc2666b4bffdf0b5ee46f914eb90f501ff4d279aff79(
    *,
    items: typing.Sequence[typing.Union[ExternalSecretSpecTargetTemplateTemplateFromConfigMapItems, typing.Dict[builtins.str, typing.Any]]],
    name: builtins.str,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__183828d27464f0cb7be30c7fcfa871d537b68ad5d70c9895876220619c3ee123(
    *,
    key: builtins.str,
    template_as: typing.Optional[ExternalSecretSpecTargetTemplateTemplateFromConfigMapItemsTemplateAs] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__a0091308b64027190e4220f919c8b9fe8606081a83a7cac89b8d6f66850f27d9(
    *,
    items: typing.Sequence[typing.Union[ExternalSecretSpecTargetTemplateTemplateFromSecretItems, typing.Dict[builtins.str, typing.Any]]],
    name: builtins.str,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__dd62afc90b918a7a93df148a8f114e0416daaaa6276fbdd86d8d0b7a8b3a5886(
    *,
    key: builtins.str,
    template_as: typing.Optional[ExternalSecretSpecTargetTemplateTemplateFromSecretItemsTemplateAs] = None,
) -> None:
    """Type checking stubs"""
    pass
