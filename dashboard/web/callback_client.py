"""Call the app's callbacks over HTTP exactly as the browser does, without a browser.

``POST /_dash-update-component`` with the JSON body Dash's renderer sends: the callback's
outputs, its inputs and state with their current values, and which property changed. The
values not given come from the app's and pages' layouts, as on a freshly opened page. Used by
``python -m dashboard bench ui`` and by the tests of page logic, through Flask's test client
(sign-in, roles and every request hook apply as in production).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import dash
from flask.testing import FlaskClient

from dashboard import ids

ValueKey = tuple[str, str]  # (component id, property)


def initial_values(app: dash.Dash) -> dict[ValueKey, Any]:
    """Every component's initial property values, read from the app and page layouts."""
    trees: list[Any] = [app.layout() if callable(app.layout) else app.layout]
    for page in dash.page_registry.values():
        layout = page["layout"]
        trees.append(layout() if callable(layout) else layout)
    values: dict[ValueKey, Any] = {}
    stack = trees
    while stack:
        node = stack.pop()
        if isinstance(node, list | tuple):
            stack.extend(node)
            continue
        if not hasattr(node, "to_plotly_json"):
            continue
        props = node.to_plotly_json()["props"]
        component_id = props.get("id")
        if isinstance(component_id, str):
            for prop, value in props.items():
                values[(component_id, prop)] = value
        if props.get("children") is not None:
            stack.append(props["children"])
    return values


def view_callbacks(app: dash.Dash) -> Iterator[tuple[str, dict]]:
    """(output key, callback spec) for every server callback with VIEW_STORE.data as an input."""
    for output, spec in app.callback_map.items():
        inputs = spec.get("inputs", [])
        if any(i["id"] == ids.VIEW_STORE and i["property"] == "data" for i in inputs):
            if spec.get("background") or "callback" not in spec:
                continue  # background jobs and clientside callbacks run elsewhere
            yield output, spec


def output_parts(output: str) -> list[str]:
    """``["a.children", "b.figure"]`` from a callback-map key (``..a.children...b.figure..``)."""
    return [part.split("@")[0] for part in output.strip(".").split("...") if part]


def _outputs_payload(output: str) -> Any:
    specs = []
    for part in output_parts(output):
        component_id, prop = part.rsplit(".", 1)
        specs.append({"id": component_id, "property": prop})
    return specs if output.startswith("..") else specs[0]


def request_body(
    output: str,
    spec: dict,
    values: Mapping[ValueKey, Any],
    changed: list[str],
) -> dict:
    """The JSON body the browser posts for this callback, with ``values`` for its arguments
    and ``changed`` the ``id.property`` triggers it reports."""

    def item_payload(item: dict) -> dict:
        key = (item["id"], item["property"])
        return {"id": item["id"], "property": item["property"], "value": values.get(key)}

    inputs = [item_payload(item) for item in spec["inputs"]]
    return {
        "output": output,
        "outputs": _outputs_payload(output),
        "inputs": inputs,
        "changedPropIds": changed,
        "state": [item_payload(item) for item in spec.get("state", [])],
    }


class CallbackError(AssertionError):
    """The server answered a callback with something other than 200 or 204."""


class CallbackClient:
    """Posts callback requests to one app through a Flask test client (cookies kept)."""

    def __init__(self, app: dash.Dash, client: FlaskClient | None = None) -> None:
        self.app = app
        self.client = client or app.server.test_client()
        self.client.get("/")  # Dash registers its routes and scripts on the first page
        with app.server.test_request_context("/"):
            self.values = initial_values(app)

    def callback_for(self, output: str) -> tuple[str, dict]:
        """The callback that writes ``output`` (``"component-id.property"``)."""
        for key, spec in self.app.callback_map.items():
            if output in output_parts(key):
                return key, spec
        raise KeyError(f"no callback writes {output}")

    def post(
        self,
        output: str,
        values: Mapping[ValueKey, Any] | None = None,
        changed: list[str] | None = None,
    ):
        """The raw response of the callback writing ``output``, given argument ``values``.

        Values not given are the layouts' initial values; ``changed`` defaults to the keys of
        ``values`` that are inputs of the callback (what the browser reports as triggers).
        """
        key, spec = self.callback_for(output)
        given = dict(values or {})
        if changed is None:
            inputs = {(i["id"], i["property"]) for i in spec["inputs"]}
            changed = [f"{c}.{p}" for c, p in given if (c, p) in inputs]
        body = request_body(key, spec, {**self.values, **given}, changed)
        return self.client.post("/_dash-update-component", json=body)

    def poll(
        self,
        output: str,
        handles: Mapping[str, str],
        values: Mapping[ValueKey, Any] | None = None,
    ) -> dict[str, Any]:
        """One poll of a background job as the browser sends it: the started job's signed
        ``handles`` (``cacheKey``, ``job``) on the same request. The JSON answer: ``progress``
        while it runs, ``response`` once it has a result (``{}`` for no update)."""
        key, spec = self.callback_for(output)
        body = request_body(key, spec, {**self.values, **(values or {})}, [])
        query = {name: handles[name] for name in ("cacheKey", "job")}
        response = self.client.post("/_dash-update-component", json=body, query_string=query)
        if response.status_code == 204:
            return {}
        if response.status_code != 200:
            raise CallbackError(
                f"{output}: HTTP {response.status_code} {response.get_data(as_text=True)[:300]}"
            )
        return response.get_json()

    def call(
        self,
        output: str,
        values: Mapping[ValueKey, Any] | None = None,
        changed: list[str] | None = None,
    ) -> dict[str, dict[str, Any]]:
        """``{component id: {property: value}}`` the callback returned ({} for no update)."""
        response = self.post(output, values, changed)
        if response.status_code == 204:
            return {}
        if response.status_code != 200:
            raise CallbackError(
                f"{output}: HTTP {response.status_code} {response.get_data(as_text=True)[:300]}"
            )
        return response.get_json()["response"]

    def view(
        self, output: str, view: dict, values: Mapping[ValueKey, Any] | None = None
    ) -> dict[str, dict[str, Any]]:
        """:meth:`call` after a filter change: VIEW_STORE set to ``view`` and reported changed."""
        given = {**(values or {}), (ids.VIEW_STORE, "data"): view}
        return self.call(output, given, changed=[f"{ids.VIEW_STORE}.data"])
