"""OpenAPI links: how an answer leads to the next request (register → read → label → alias →
resolve → delete; create a user → log in → refresh → log out; pages → the next page).

A version document names its asset as ``namespace/name`` while paths take the two apart: those
links split it with a ``#regex:`` extractor (one capturing group) after the JSON pointer, as
schemathesis reads them; other tools see a pointer and take the link as documentation.
"""

from __future__ import annotations

from typing import Any

Link = dict[str, Any]

_NAMESPACE = "$response.body#/name#regex:^([^/]+)/"
_NAME = "$response.body#/name#regex:/([^/]+)$"
_REF = "{$response.body#/kind}:{$response.body#/name}@{$response.body#/version}"
_SAME_ASSET = {"kinds": "$request.path.kinds", "namespace": "$request.path.namespace", "name": "$request.path.name"}
_SAME_VERSION = {**_SAME_ASSET, "version": "$request.path.version"}


def _to(operation: str, parameters: dict[str, str] | None = None, body: Any = None, what: str = "") -> Link:
    link: Link = {"operationId": operation}
    if parameters:
        link["parameters"] = parameters
    if body is not None:
        link["requestBody"] = body
    if what:
        link["description"] = what
    return link


def _from_document(kinds: str, *, new: bool = False) -> dict[str, Link]:
    """Links from an answer that is a version document (``kinds`` names its collection). From a
    ``new`` one, only those of its life (read, label, alias, resolve, delete): the others follow
    from reading it, where it may also have aliases."""
    asset = {"kinds": kinds, "namespace": _NAMESPACE, "name": _NAME}
    version = {**asset, "version": "$response.body#/version"}
    links = {
        "GetVersion": _to("get_version", version, what="The version document"),
        "UpdateVersion": _to("update_version", version, what="Change its labels or status"),
        "DeleteVersion": _to("delete_version", version, what="Delete it"),
        "LabelHistory": _to("list_label_history", version, what="Its label revisions"),
        "GetAsset": _to("get_asset", asset, what="Its asset"),
        "ListVersions": _to("list_versions", asset, what="The asset's versions"),
        "ListAliases": _to("list_aliases", asset, what="The asset's aliases"),
        "SetAlias": _to("set_alias", asset, {"version": "$response.body#/version"}, "Point an alias at it"),
        "Resolve": _to("resolve", {"ref": _REF}, what="Resolve its exact reference"),
        "ResolveAlias": _to("resolve", {"ref": "{$response.body#/kind}:{$response.body#/name}@"
                                               "{$response.body#/aliases/0}"}, what="Resolve its first alias"),
        "Lineage": _to("lineage", {"ref": _REF}, what="Its lineage"),
        "Impact": _to("impact", {"ref": _REF}, what="What depends on it"),
        "Render": _to("render_prompt", {k: v for k, v in version.items() if k != "kinds"},
                      what="Render it (prompts)"),
    }
    if new:
        return {name: links[name] for name in ("GetVersion", "UpdateVersion", "SetAlias", "Resolve", "DeleteVersion")}
    return links


_NEXT_PAGE = {"cursor": "$response.body#/next_cursor"}


def _next_page(operation: str, same: dict[str, str] | None = None) -> dict[str, Link]:
    return {"NextPage": _to(operation, {**(same or {}), **_NEXT_PAGE}, what="The next page")}


LINKS: dict[str, dict[str, dict[str, Link]]] = {
    # operationId → response status → links
    "register_version": {"201": _from_document("$request.path.kinds", new=True),
                         "200": _from_document("$request.path.kinds", new=True)},
    "get_version": {"200": _from_document("$request.path.kinds")},
    "update_version": {"200": _from_document("$request.path.kinds")},
    "delete_version": {"200": {"GetDeleted": _to("get_version", _SAME_VERSION, what="It is gone (404)")}},
    "set_alias": {"200": {
        "GetAlias": _to("get_alias", {**_SAME_ASSET, "alias": "$request.path.alias"}, what="The alias"),
        "RemoveAlias": _to("remove_alias", {**_SAME_ASSET, "alias": "$request.path.alias"}, what="Remove it"),
        "GetVersion": _to("get_version", {**_SAME_ASSET, "version": "$response.body#/version"},
                          what="The version it points at"),
    }},
    "remove_alias": {"204": {"GetRemoved": _to("get_alias", {**_SAME_ASSET, "alias": "$request.path.alias"},
                                               what="It is gone (404)")}},
    "list_all_assets": {"200": _next_page("list_all_assets")},
    "list_assets": {"200": _next_page("list_assets", {"kinds": "$request.path.kinds"})},
    "list_versions": {"200": _next_page("list_versions", _SAME_ASSET)},
    "list_aliases": {"200": _next_page("list_aliases", _SAME_ASSET)},
    "list_label_history": {"200": _next_page("list_label_history", _SAME_VERSION)},
    "list_events": {"200": {"NextPage": _to("list_events", {"after": "$response.body#/next_cursor"},
                                            what="Events after these")}},
    "search": {"200": _next_page("search")},
    "create_user": {"201": {
        "UpdateUser": _to("update_user", {"username": "$response.body#/username"}, what="Change the user"),
        "Login": _to("login", body={"username": "$request.body#/username", "password": "$request.body#/password"},
                     what="Log in as the user"),
    }},
    "login": {"200": {
        "Refresh": _to("refresh", body={"refresh_token": "$response.body#/refresh_token"},
                       what="A new pair for the refresh token"),
        "Logout": _to("logout", {"header.Authorization": "Bearer {$response.body#/access_token}"},
                      what="End the session"),
    }},
    "refresh": {"200": {
        "Refresh": _to("refresh", body={"refresh_token": "$response.body#/refresh_token"},
                       what="A new pair again (the one given is spent)"),
        "Logout": _to("logout", {"header.Authorization": "Bearer {$response.body#/access_token}"},
                      what="End the session"),
    }},
    "create_api_key": {"201": {
        "WhoAmI": _to("whoami", {"header.Authorization": "Bearer {$response.body#/key}"},
                      what="Who the key acts for"),
        "Revoke": _to("revoke_api_key", {"key_id": "$response.body#/id"}, what="Revoke it"),
    }},
    "grant_namespace": {"200": {
        "Revoke": _to("revoke_namespace", {"namespace": "$request.path.namespace",
                                           "username": "$request.path.username"}, what="Revoke the grant"),
    }},
}
