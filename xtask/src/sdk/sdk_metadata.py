#!/usr/bin/env python3
"""Dump the operations and models of huaweicloudsdkprojectman's v4 client as JSON.

Usage: python sdk_metadata.py  > sdk.json

The output is compared by an xtask (Rust) against the OpenAPI spec. Only the SDK and
the standard library are imported; output is deterministic (sorted where order carries
no meaning, SDK field order kept where it does).
"""
import ast
import importlib.metadata
import inspect
import json
import re
import sys
import textwrap

import huaweicloudsdkprojectman.v4 as v4
from huaweicloudsdkcore.sdk_stream_response import SdkStreamResponse
from huaweicloudsdkprojectman.v4.projectman_client import ProjectManClient

PACKAGE = "huaweicloudsdkprojectman"
FORM_CONTENT_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
# Capitalised identifiers inside an SDK type string are model class names
# ('list[Foo]', 'dict(str, list[Bar])'); primitives ('str', 'datetime', 'file') are lowercase.
MODEL_NAME_RE = re.compile(r"\b[A-Z]\w*")


def squash(text):
    """Collapse all whitespace so descriptions compare stably."""
    return " ".join((text or "").split())


def param_docs(cls):
    """`:param x: desc` lines of __init__'s docstring -> {attr: desc}.
    A description may wrap onto following lines until the next ':type'/':param'."""
    docs, current = {}, None
    for line in (cls.__init__.__doc__ or "").splitlines():
        s = line.strip()
        m = re.match(r":param (\w+):(.*)", s)
        if m:
            current = m.group(1)
            docs[current] = m.group(2)
        elif s.startswith(":") or not s:
            current = None
        elif current:
            docs[current] += " " + s
    return {k: squash(v) for k, v in docs.items()}


def required_attrs(cls):
    """Attrs assigned unconditionally (`self.x = x`) at the top level of __init__.
    Optional ones are nested in `if x is not None:`, so they are not top-level statements."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls.__init__)))
    func = tree.body[0]
    req = set()
    for stmt in func.body:
        if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Attribute)
                and isinstance(stmt.targets[0].value, ast.Name) and stmt.targets[0].value.id == "self"
                and isinstance(stmt.value, ast.Name) and stmt.value.id == stmt.targets[0].attr):
            req.add(stmt.targets[0].attr)
    return req


def model_fields(cls):
    """Fields of a model in openapi_types order (the SDK's, i.e. the spec's, order)."""
    docs, req = param_docs(cls), required_attrs(cls)
    return [{"attr": a, "json": cls.attribute_map[a], "type": t, "required": a in req,
             "description": docs.get(a, "")} for a, t in cls.openapi_types.items()]


def split_doc(doc):
    """Client method docstring -> (summary, description); description stops at 'Please refer to'."""
    lines = inspect.cleandoc(doc or "").splitlines()
    summary = lines[0].strip() if lines else ""
    rest = "\n".join(lines[1:]).split("Please refer to")[0]
    return squash(summary), squash(rest)


def model_names(type_str):
    return [n for n in MODEL_NAME_RE.findall(type_str or "") if inspect.isclass(getattr(v4, n, None))]


def new_request(cls):
    """An empty request instance: every __init__ arg defaults to None, but fall back to
    object.__new__ (plus private slots) in case a future SDK makes some arg mandatory."""
    try:
        return cls()
    except TypeError:
        obj = object.__new__(cls)
        for a in cls.openapi_types:
            setattr(obj, "_" + a, None)
        return obj


def probe(op, req_cls):
    """Run the SDK's own _<op>_http_info on a request whose attrs hold unique markers and
    see where each marker lands; this is exactly what the SDK puts on the wire."""
    req = new_request(req_cls)
    markers = {}
    for a in req_cls.openapi_types:
        markers[a] = f"\x00marker:{a}\x00"
        setattr(req, a, markers[a])
    info = getattr(ProjectManClient, f"_{op}_http_info")(req)
    located = {}  # attr -> (location, wire name)
    by_marker = {m: a for a, m in markers.items()}
    for loc, pairs in (("path", info["path_params"].items()), ("query", info["query_params"]),
                       ("header", info["header_params"].items()), ("form", info["post_params"].items())):
        for name, val in pairs:
            if val in by_marker:
                located[by_marker[val]] = (loc, name)
    if info["body"] in by_marker:
        located[by_marker[info["body"]]] = ("body", None)
    return info, located


def operations():
    ops = []
    for attr in sorted(vars(ProjectManClient)):
        m = re.fullmatch(r"_(\w+)_http_info", attr)
        if m and callable(getattr(ProjectManClient, m.group(1), None)):
            ops.append(m.group(1))
    return ops


def main():
    out_ops, roots, resp_headers, problems = [], set(), {}, []
    for op in operations():
        method = getattr(ProjectManClient, op)
        # The request class is named in the docstring (":type request: :class:`...v4.FooRequest`").
        m = re.search(r":type request: :class:`[\w.]*?(\w+Request)`", method.__doc__ or "")
        req_cls = getattr(v4, m.group(1))
        info, located = probe(op, req_cls)
        docs, req = param_docs(req_cls), required_attrs(req_cls)
        params, form, body = [], [], None
        for a, t in req_cls.openapi_types.items():
            loc, wire = located.get(a, (None, None))
            d = {"name": wire, "attr": a, "in": loc, "type": t, "required": a in req,
                 "description": docs.get(a, "")}
            if loc in ("path", "query", "header"):
                d["collection_format"] = info["collection_formats"].get(wire)
                params.append(d)
            elif loc == "form":
                del d["in"]
                form.append(d)
            elif loc == "body":
                body = {"type": t, "required": a in req, "description": docs.get(a, "")}
            else:
                problems.append(f"{op}: request attr {a!r} not sent anywhere")
        ctype = info["header_params"].get("Content-Type")
        # Upload operations carry their parts in a body *model* whose fields the core client
        # serialises into the multipart/urlencoded form (post_params stays empty), so list
        # those fields as form parts too; `body` still names the model.
        if body and ctype in FORM_CONTENT_TYPES and body["type"] in vars(v4):
            for f in model_fields(getattr(v4, body["type"])):
                form.append({"name": f["json"], "attr": f["attr"], "type": f["type"],
                             "required": f["required"], "description": f["description"]})
        resp = info["response_type"]
        resp_headers.setdefault(resp, set()).update(info["response_headers"] or [])
        roots.update(model_names(resp))
        if body:
            roots.update(model_names(body["type"]))
        for f in form:
            roots.update(model_names(f["type"]))
        summary, description = split_doc(method.__doc__)
        out_ops.append({
            "name": req_cls.__name__[:-len("Request")], "method_name": op,
            "method": info["method"], "path": info["resource_path"],
            "summary": summary, "description": description,
            "parameters": params, "content_type": ctype, "body": body, "form": form,
            # A stream response is the body's bytes (a download), not JSON.
            "response": {"type": resp, "headers": sorted(resp_headers[resp]),
                         "stream": issubclass(getattr(v4, resp), SdkStreamResponse)},
        })

    # Walk field types to collect every reachable model.
    models, todo = {}, sorted(roots)
    while todo:
        name = todo.pop()
        if name in models:
            continue
        cls = getattr(v4, name)
        fields = model_fields(cls)
        entry = {"fields": fields}
        if name in resp_headers:  # an operation's response class (not e.g. IssueDetailResponseV2)
            # Header attrs are ordinary openapi_types entries whose attribute_map value is a
            # header name listed in the op's response_headers (the core client copies them
            # from the HTTP response); also accept X-* keys in case the list is incomplete.
            hdrs = resp_headers.get(name, set())
            is_hdr = [f["json"] in hdrs or f["json"].lower().startswith("x-") for f in fields]
            entry["fields"] = [f for f, h in zip(fields, is_hdr) if not h]
            entry["header_fields"] = [{"attr": f["attr"], "json": f["json"], "type": f["type"]}
                                      for f, h in zip(fields, is_hdr) if h]
        if len({f["json"] for f in fields}) != len(fields):
            problems.append(f"{name}: duplicate json key")
        models[name] = entry
        for f in fields:
            todo.extend(n for n in model_names(f["type"]) if n not in models)

    for p in problems:  # stderr only: stdout must stay a single JSON document
        print("warning:", p, file=sys.stderr)
    doc = {"package": PACKAGE, "version": importlib.metadata.version(PACKAGE),
           "operations": sorted(out_ops, key=lambda o: o["name"]), "models": models}
    sys.stdout.buffer.write(json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8"))
    sys.stdout.buffer.write(b"\n")


if __name__ == "__main__":
    main()
