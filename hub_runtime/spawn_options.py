"""What a spawn request may ask for: the chosen profile and, for each of that profile's options,
one of its choices, all as strings (KubeSpawner's ``profile_list`` and ``user_options``).

KubeSpawner itself checks only free-form ("unlisted") values and the profile's slug
(kubespawner 7.0 and 7.1 ``spawner.py``, ``KubeSpawner._validate_user_options`` and
``_get_profile``), raising a bare ``ValueError``; a choice it does not list is a ``KeyError``
in ``_load_profile``, a list or dict where it wants a string a ``TypeError``, and keys it does
not know, options without a profile included, it ignores or applies to the default profile.
Here every such request is named and refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from tornado import web

from hub_runtime.log_values import shown

__all__ = [
    "OPTION_FIELD_PREFIX",
    "PROFILE_KEY",
    "UNLISTED_SUFFIX",
    "json_type",
    "options_problem",
    "refused",
]

# KubeSpawner's names (kubespawner/spawner.py, _options_from_form and _load_profile): the
# form's field of an option is "profile-option-<profile slug>--<option key>", a free-form
# value's key is "<option key>--unlisted-choice".
OPTION_FIELD_PREFIX = "profile-option-"
UNLISTED_SUFFIX = "--unlisted-choice"
PROFILE_KEY = "profile"
# What a client sent, by its JSON type: named, never echoed, where another type was wanted.
_JSON_TYPES: tuple[tuple[type, str], ...] = (
    (Mapping, "an object"),
    (list, "an array"),
    (str, "a string"),
    (bool, "true or false"),
    (int, "a number"),
    (float, "a number"),
    (type(None), "null"),
)


def refused(problem: str) -> web.HTTPError:
    """A 400 whose reason JupyterHub shows (its ``jupyterhub_message``) on the spawn form, the
    spawn page and in the REST API's JSON. The problem is an argument, not the format: it
    quotes what the client sent."""
    error = web.HTTPError(400, "%s", problem)
    error.jupyterhub_message = problem  # type: ignore[attr-defined]
    return error


def options_problem(profile_list: Sequence[Mapping[str, Any]], options: object) -> str | None:
    """Why ``options`` (a spawn request's ``user_options``) ask for what ``profile_list`` does
    not offer, naming the option; None when they do not. No options (``{}``) is the default
    profile with its defaults. A choice left empty (``""``) is the option's default, as
    KubeSpawner reads it."""
    if not isinstance(options, Mapping):
        return "Spawn options must be a JSON object of option names and choices, got " + json_type(
            options
        )
    if not options:
        return None
    profiles = [p for p in profile_list if isinstance(p, Mapping)]
    slugs = [str(p.get("slug")) for p in profiles]
    known = f"choose one of {', '.join(slugs)}" if slugs else "this hub has no profiles"
    if PROFILE_KEY not in options or options[PROFILE_KEY] == "":
        return f"Spawn option 'profile': missing ({known})"
    slug = options[PROFILE_KEY]
    if not isinstance(slug, str):
        return f"Spawn option 'profile': must be a string ({known}), got {json_type(slug)}"
    profile = next((p for p in profiles if p.get("slug") == slug), None)
    if profile is None:
        return f"Spawn option 'profile': no profile {shown(slug)} ({known})"
    offered: Mapping[str, Any] = profile.get("profile_options") or {}
    for key, value in options.items():
        if key == PROFILE_KEY:
            continue
        free_form = isinstance(key, str) and key.endswith(UNLISTED_SUFFIX)
        option_key = key[: -len(UNLISTED_SUFFIX)] if free_form else key
        option = offered.get(option_key)
        if not isinstance(option, Mapping):
            problem: str | None = _unknown(profiles, slug, offered, option_key)
        elif free_form:
            problem = _free_form_problem(slug, option_key, option, value)
        else:
            problem = _choice_problem(slug, option_key, option, value)
        if problem:
            return f"Spawn option {shown(key)}: {problem}"
    return None


def json_type(value: object) -> str:
    """What ``value`` is in JSON ("an array"), to name it without echoing it."""
    return next((name for kind, name in _JSON_TYPES if isinstance(value, kind)), "not JSON")


def _choices(option: Mapping[str, Any]) -> str:
    return f"choose one of {', '.join(option.get('choices') or {})}"


def _choice_problem(slug: str, key: str, option: Mapping[str, Any], value: object) -> str | None:
    if not isinstance(value, str):
        return f"must be a string ({_choices(option)}), got {json_type(value)}"
    if value and value not in (option.get("choices") or {}):
        name = option.get("display_name", key)
        return f"profile {shown(slug)} has no {name} {shown(value)} ({_choices(option)})"
    return None


def _free_form_problem(slug: str, key: str, option: Mapping[str, Any], value: object) -> str | None:
    unlisted = option.get("unlisted_choice") or {}
    name = option.get("display_name", key)
    if not unlisted.get("enabled"):
        return f"profile {shown(slug)} takes no free-form {name} ({_choices(option)})"
    if not isinstance(value, str):
        return f"must be a string, got {json_type(value)}"
    pattern = unlisted.get("validation_regex")
    # re.match, as KubeSpawner's _validate_user_options matches it.
    if pattern and not re.match(pattern, value):
        return (
            f"{shown(value)} is not a free-form {name} this profile takes (it must match {pattern})"
        )
    return None


def _unknown(
    profiles: Sequence[Mapping[str, Any]], slug: str, offered: Mapping[str, Any], key: object
) -> str:
    keys = ", ".join(offered)
    mine = f"its options: {keys}" if keys else "it has none"
    owners = [
        shown(p.get("slug"))
        for p in profiles
        if p.get("slug") != slug and key in (p.get("profile_options") or {})
    ]
    whose = f"; {shown(key)} is an option of {', '.join(owners)}" if owners else ""
    return f"profile {shown(slug)} has no such option ({mine}{whose})"
