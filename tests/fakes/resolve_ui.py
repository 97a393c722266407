"""The Fusion UI Manager as a Resolve script sees it (``fusion.UIManager``, ``bmd.UIDispatcher``),
for the window flow of plugins/resolve/Dubline.py; its dispatcher plays a script of user actions."""
from __future__ import annotations


class _Element:
    def __init__(self, kind, props=None, children=None):
        self.kind = kind
        self.props = dict(props or {})
        self.children = children or []
        self.ID = self.props.get("ID")
        self.Text = self.props.get("Text", "")
        self.CurrentIndex = 0
        self.entries: list[str] = []
        self.lines: list[str] = []

    def AddItem(self, text):
        self.entries.append(text)

    def Append(self, text):
        self.lines.append(text)


class FakeUIManager:
    """Builds element trees the way ``fusion.UIManager`` does: ui.VGroup([...]), ui.Button({...})."""

    def __getattr__(self, kind):
        def make(props=None, children=None):
            if isinstance(props, list):
                props, children = None, props
            return _Element(kind, props, children)
        return make


class _Handlers:
    def __init__(self):
        self._by_id = {}

    def __getattr__(self, element_id):
        if element_id.startswith("_"):
            raise AttributeError(element_id)
        return self._by_id.setdefault(element_id, type("On", (), {})())


class FakeWindow:
    def __init__(self, props, root):
        self.props = props
        self.root = root
        self.On = _Handlers()
        self.shown = False

    def GetItems(self):
        out, stack = {}, [self.root]
        while stack:
            el = stack.pop()
            if isinstance(el, list):
                stack.extend(el)
                continue
            if el.ID:
                out[el.ID] = el
            stack.extend(el.children)
        return out

    def Show(self):
        self.shown = True

    def Hide(self):
        self.shown = False


class FakeDispatcher:
    """RunLoop plays a script of user actions: ('set', id, attr, value) | ('click', id)."""

    def __init__(self, script):
        self.script = script
        self.window = None
        self.exited = False

    def AddWindow(self, props, children):
        self.window = FakeWindow(props, children)
        return self.window

    def ExitLoop(self):
        self.exited = True

    def RunLoop(self):
        items = self.window.GetItems()
        for step in self.script:
            if step[0] == "set":
                setattr(items[step[1]], step[2], step[3])
            else:
                getattr(self.window.On, step[1]).Clicked({"who": step[1]})
            if self.exited:
                return


class FakeBmd:
    def __init__(self, script, resolve=None):
        self.dispatcher = FakeDispatcher(script)
        self.resolve = resolve

    def UIDispatcher(self, ui):
        return self.dispatcher

    def scriptapp(self, name):
        return self.resolve if name == "Resolve" else None
