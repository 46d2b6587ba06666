"""Sends logical requests through Huawei Cloud's official Python SDK
(huaweicloudsdkprojectman), unchanged, for the conformance suite
(tests/tests/conformance.rs), which sends the same ones through our client.

Reads a JSON plan from the file named by its one argument:
  {"endpoint", "ak", "sk", "calls": [{"operation", "method",
   "params": {wire name: value}, "body": JSON or null,
   "files": {"name": file name, "content": latin-1 text} or null}]}
and prints one JSON object per call on stdout:
  {"operation", "status", "raw": the answer's text (null for a download),
   "decoded": the SDK's model of it, as JSON (its attribute_map's keys),
   "error": {...} for an error answer, "dropped": what of the request the
   SDK's models cannot hold (so never send), "missing": true if the SDK has
   no such operation}.

Request models are built from the JSON through the SDK's own
`openapi_types` and `attribute_map`, as a caller would build them.
"""

import datetime
import json
import os
import re
import shutil
import sys
import tempfile

import huaweicloudsdkprojectman.v4 as v4
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions import exceptions
from huaweicloudsdkcore.http.formdata import FormFile
from huaweicloudsdkcore.utils.http_utils import sanitize_for_serialization
from huaweicloudsdkprojectman.v4 import ProjectManAsyncClient


def build_value(sdk_type, value, at, dropped):
    """A JSON value as the SDK type `sdk_type` holds it; `at` names it as
    the audit does (`body.page.page_no`, `body[]`), and what the SDK's
    models cannot hold is added to `dropped`."""
    if value is None:
        return None
    m = re.fullmatch(r"list\[(.*)\]", sdk_type)
    if m and isinstance(value, list):
        return [build_value(m.group(1), v, at + "[]", dropped) for v in value]
    m = re.fullmatch(r"dict\(str, (.*)\)", sdk_type)
    if m and isinstance(value, dict):
        return {k: build_value(m.group(1), v, at + "[]", dropped) for k, v in value.items()}
    cls = getattr(v4, sdk_type, None)
    if isinstance(cls, type) and hasattr(cls, "openapi_types"):
        return build_model(cls, value, at, dropped)
    return value


def build_model(cls, value, at, dropped):
    """A model instance from its JSON (keys as attribute_map gives them);
    keys the model does not know are dropped, as the SDK would drop them."""
    if not isinstance(value, dict):
        return value
    by_json = {j: a for a, j in cls.attribute_map.items()}
    obj = cls.__new__(cls)
    for attr in cls.openapi_types:
        setattr(obj, "_" + attr, None)
    obj.discriminator = None
    for key, v in value.items():
        attr = by_json.get(key)
        if attr is None:
            dropped.append(f"{at}.{key}")
        else:
            setattr(obj, attr, build_value(cls.openapi_types[attr], v, f"{at}.{key}", dropped))
    return obj


SCRATCH = tempfile.mkdtemp()


def sample_file(name, content):
    """A file opened for reading in binary mode, as the SDK's FormFile
    requires, named `name` (a directory of its own per file)."""
    directory = tempfile.mkdtemp(dir=SCRATCH)
    path = os.path.join(directory, os.path.basename(name))
    with open(path, "wb") as f:
        f.write(content.encode("latin-1"))
    return open(path, "rb")


def request_for(call, dropped):
    cls = getattr(v4, call["operation"] + "Request")
    req = cls()
    by_wire = {j: a for a, j in cls.attribute_map.items()}
    for name, value in (call.get("params") or {}).items():
        attr = by_wire.get(name)
        if attr is None:
            dropped.append(f"parameter `{name}`")
            continue
        setattr(req, attr, build_value(cls.openapi_types[attr], value, name, dropped))
    body_type = cls.openapi_types.get("body")
    if call.get("files") is not None and body_type:
        body_cls = getattr(v4, body_type)
        body = body_cls()
        f = call["files"]
        for attr, t in body_cls.openapi_types.items():
            if t == "file":
                setattr(body, attr, FormFile(sample_file(f["name"], f["content"])))
        req.body = body
    elif call.get("body") is not None and body_type:
        req.body = build_value(body_type, call["body"], "body", dropped)
    return req


def decoded(response):
    data = sanitize_for_serialization(response)
    if isinstance(data, dict):
        data.pop("status_code", None)
        data.pop("raw_content", None)
    return data


def default(o):
    if isinstance(o, (datetime.date, datetime.datetime)):
        return o.isoformat()
    if isinstance(o, bytes):
        return o.decode("latin-1")
    return str(o)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        plan = json.load(f)
    credentials = BasicCredentials(plan["ak"], plan["sk"], project_id="0123456789abcdef0123456789abcdef")
    # The async client: the sync one (3.1.219) drops the query string of
    # POSTs such as ListIpdProjectIssues.
    client = (
        ProjectManAsyncClient.new_builder()
        .with_credentials(credentials)
        .with_endpoints([plan["endpoint"]])
        .build()
    )
    for call in plan["calls"]:
        out = {"operation": call["operation"]}
        method = getattr(client, call["method"] + "_async", None)
        if method is None:
            out["missing"] = True
            print(json.dumps(out))
            continue
        dropped = []
        request = request_for(call, dropped)
        out["dropped"] = dropped
        try:
            response = method(request).result()
            out["status"] = response.status_code
            raw = getattr(response, "raw_content", None)
            try:
                text = raw.decode("utf-8") if isinstance(raw, bytes) else None
                json.loads(text or "null")
            except ValueError:
                text = None  # bytes (an image, a file), not JSON
            if hasattr(response, "consume_download_stream") or text is None:
                out["raw"] = None
                out["decoded"] = None
            else:
                out["raw"] = text
                out["decoded"] = decoded(response)
        except exceptions.ClientRequestException as e:
            out["status"] = e.status_code
            out["error"] = {"error_code": e.error_code, "error_msg": e.error_msg}
        except exceptions.ServerResponseException as e:
            out["status"] = e.status_code
            out["error"] = {"error_code": e.error_code, "error_msg": e.error_msg}
        print(json.dumps(out, ensure_ascii=False, default=default), flush=True)


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(SCRATCH, ignore_errors=True)
