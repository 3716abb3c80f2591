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


class Manifest(
    _cdk8s_d3d9af27.ApiObject,
    metaclass=jsii.JSIIMeta,
    jsii_type="jupyterhub_cdk8s_manifest.Manifest",
):
    '''A ``cdk8s.ApiObject`` created whole in one call from Python.

    The body goes in as one JSON patch per key, as ``addJsonPatch(JsonPatch.add('/<key>', v))``
    per key would from Python: the output is the same (keys in the order given, not sorted as
    props are), and patches added later apply after these.
    '''

    def __init__(
        self,
        scope: "_constructs_77d1e7e8.Construct",
        id: builtins.str,
        *,
        api_version: builtins.str,
        kind: builtins.str,
        cluster_scoped: typing.Optional[builtins.bool] = None,
        metadata: typing.Optional[typing.Union["_cdk8s_d3d9af27.ApiObjectMetadata", typing.Dict[builtins.str, typing.Any]]] = None,
    ) -> None:
        '''
        :param scope: -
        :param id: -
        :param api_version: -
        :param kind: -
        :param cluster_scoped: No ``metadata.namespace``, whatever the chart's namespace (a PriorityClass).
        :param metadata: -
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__d95e7961a9cce338915088239e1e474ef0eeff847f61d10014286d4086645ebd)
            check_type(argname="argument scope", value=scope, expected_type=type_hints["scope"])
            check_type(argname="argument id", value=id, expected_type=type_hints["id"])
        props = ManifestProps(
            api_version=api_version,
            kind=kind,
            cluster_scoped=cluster_scoped,
            metadata=metadata,
        )

        jsii.create(self.__class__, self, [scope, id, props])

    @jsii.member(jsii_name="manifestsOf")
    @builtins.classmethod
    def manifests_of(
        cls,
        scopes: typing.Sequence["_constructs_77d1e7e8.Construct"],
        kinds: typing.Sequence[builtins.str],
    ) -> builtins.str:
        '''What ``toJson()`` gives of each ApiObject under ``scopes`` (themselves included, in preorder as ``node.findAll()`` walks) whose kind is one of ``kinds``, as one JSON array. Text for the reason ``many`` takes text; and one call rather than one per object.

        :param scopes: -
        :param kinds: -
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__70736e9f1c34136b4f0da8ea3ef9bff6db32a3681b2cdb456d166e6d5a1839dd)
            check_type(argname="argument scopes", value=scopes, expected_type=type_hints["scopes"])
            check_type(argname="argument kinds", value=kinds, expected_type=type_hints["kinds"])
        return typing.cast(builtins.str, jsii.sinvoke(cls, "manifestsOf", [scopes, kinds]))

    @jsii.member(jsii_name="many")
    @builtins.classmethod
    def many(
        cls,
        scope: "_constructs_77d1e7e8.Construct",
        specs_json: builtins.str,
    ) -> typing.List["Manifest"]:
        '''Several objects in ``scope``, in the order given, in one call: ``specsJson`` is a JSON array of objects with ``id`` and the fields of ``ManifestProps``, the body inline (``body``).

        JSON text
        rather than structs and mappings: jsii walks those value by value on both sides of its
        pipe, which cost more than all else a create does; text crosses as one string.

        :param scope: -
        :param specs_json: -
        '''
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__ca4d81290b82634353893a4c9b6e1193c7b4f42d4c684a166afa84d60e7fedfc)
            check_type(argname="argument scope", value=scope, expected_type=type_hints["scope"])
            check_type(argname="argument specs_json", value=specs_json, expected_type=type_hints["specs_json"])
        return typing.cast(typing.List["Manifest"], jsii.sinvoke(cls, "many", [scope, specs_json]))


@jsii.data_type(
    jsii_type="jupyterhub_cdk8s_manifest.ManifestProps",
    jsii_struct_bases=[],
    name_mapping={
        "api_version": "apiVersion",
        "kind": "kind",
        "cluster_scoped": "clusterScoped",
        "metadata": "metadata",
    },
)
class ManifestProps:
    def __init__(
        self,
        *,
        api_version: builtins.str,
        kind: builtins.str,
        cluster_scoped: typing.Optional[builtins.bool] = None,
        metadata: typing.Optional[typing.Union["_cdk8s_d3d9af27.ApiObjectMetadata", typing.Dict[builtins.str, typing.Any]]] = None,
    ) -> None:
        '''An object's ``apiVersion``, ``kind`` and ``metadata``;

        its body comes through ``Manifest.many``.

        :param api_version: -
        :param kind: -
        :param cluster_scoped: No ``metadata.namespace``, whatever the chart's namespace (a PriorityClass).
        :param metadata: -
        '''
        if isinstance(metadata, dict):
            metadata = _cdk8s_d3d9af27.ApiObjectMetadata(**metadata)
        if __debug__:
            type_hints = cached_type_hints(_typecheckingstub__9d7abdd0ec52ec92b91ef82cd6c0a0c3625f783c7c9ab2f29f7cc572379e8ade)
            check_type(argname="argument api_version", value=api_version, expected_type=type_hints["api_version"])
            check_type(argname="argument kind", value=kind, expected_type=type_hints["kind"])
            check_type(argname="argument cluster_scoped", value=cluster_scoped, expected_type=type_hints["cluster_scoped"])
            check_type(argname="argument metadata", value=metadata, expected_type=type_hints["metadata"])
        self._values: typing.Dict[builtins.str, typing.Any] = {
            "api_version": api_version,
            "kind": kind,
        }
        if cluster_scoped is not None:
            self._values["cluster_scoped"] = cluster_scoped
        if metadata is not None:
            self._values["metadata"] = metadata

    @builtins.property
    def api_version(self) -> builtins.str:
        result = self._values.get("api_version")
        assert result is not None, "Required property 'api_version' is missing"
        return typing.cast(builtins.str, result)

    @builtins.property
    def kind(self) -> builtins.str:
        result = self._values.get("kind")
        assert result is not None, "Required property 'kind' is missing"
        return typing.cast(builtins.str, result)

    @builtins.property
    def cluster_scoped(self) -> typing.Optional[builtins.bool]:
        '''No ``metadata.namespace``, whatever the chart's namespace (a PriorityClass).'''
        result = self._values.get("cluster_scoped")
        return typing.cast(typing.Optional[builtins.bool], result)

    @builtins.property
    def metadata(self) -> typing.Optional["_cdk8s_d3d9af27.ApiObjectMetadata"]:
        result = self._values.get("metadata")
        return typing.cast(typing.Optional["_cdk8s_d3d9af27.ApiObjectMetadata"], result)

    def __eq__(self, rhs: typing.Any) -> builtins.bool:
        return isinstance(rhs, self.__class__) and rhs._values == self._values

    def __ne__(self, rhs: typing.Any) -> builtins.bool:
        return not (rhs == self)

    def __repr__(self) -> str:
        return "ManifestProps(%s)" % ", ".join(
            k + "=" + repr(v) for k, v in self._values.items()
        )


__all__ = [
    "Manifest",
    "ManifestProps",
]

publication.publish()

def _typecheckingstub__d95e7961a9cce338915088239e1e474ef0eeff847f61d10014286d4086645ebd(
    scope: _constructs_77d1e7e8.Construct,
    id: builtins.str,
    *,
    api_version: builtins.str,
    kind: builtins.str,
    cluster_scoped: typing.Optional[builtins.bool] = None,
    metadata: typing.Optional[typing.Union[_cdk8s_d3d9af27.ApiObjectMetadata, typing.Dict[builtins.str, typing.Any]]] = None,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__70736e9f1c34136b4f0da8ea3ef9bff6db32a3681b2cdb456d166e6d5a1839dd(
    scopes: typing.Sequence[_constructs_77d1e7e8.Construct],
    kinds: typing.Sequence[builtins.str],
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__ca4d81290b82634353893a4c9b6e1193c7b4f42d4c684a166afa84d60e7fedfc(
    scope: _constructs_77d1e7e8.Construct,
    specs_json: builtins.str,
) -> None:
    """Type checking stubs"""
    pass

def _typecheckingstub__9d7abdd0ec52ec92b91ef82cd6c0a0c3625f783c7c9ab2f29f7cc572379e8ade(
    *,
    api_version: builtins.str,
    kind: builtins.str,
    cluster_scoped: typing.Optional[builtins.bool] = None,
    metadata: typing.Optional[typing.Union[_cdk8s_d3d9af27.ApiObjectMetadata, typing.Dict[builtins.str, typing.Any]]] = None,
) -> None:
    """Type checking stubs"""
    pass
