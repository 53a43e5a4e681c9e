"""What one API request's handler gets: the state, its views, the caller and the params."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from billing_tui.sandbox.auth import Principal
from billing_tui.sandbox.expand import Renderer
from billing_tui.sandbox.query import Query
from billing_tui.sandbox.resources.lists import list_object
from billing_tui.sandbox.state import JSON, SandboxState


@dataclass
class Context:
    state: SandboxState
    query: Query
    renderer: Renderer
    principal: Principal
    params: JSON
    method: str
    path: str
    expand: list[list[str]] = field(default_factory=list)
    #: Ids of objects this request created or changed (the engine re-indexes their kinds).
    touched: set[str] = field(default_factory=set)

    def now(self) -> int:
        return self.state.now()

    def render(self, obj: JSON) -> JSON:
        return self.renderer.render(obj, self.expand)

    def render_list(self, url: str, objs: list[JSON], has_more: bool) -> JSON:
        node = list_object(url, [self.renderer.bare(o) for o in objs], has_more)
        for segs in self.expand:
            self.renderer.apply(node, segs)
        return node

    def param(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)

    def touch(self, kind: str) -> None:
        self.touched.add(kind)
