"""Recomputes the Authorization of requests with the official Python SDK's
own signer (huaweicloudsdkcore.signer.Signer), as an independent check of
our signer. Reads one JSON request per line on stdin: method, host, path
(as sent), query (decoded pairs), headers (the signed ones, by name), and
has_body. Prints the SDK's Authorization for each, one per line.

usage: verify_signature.py AK SK < requests.jsonl
"""

import json
import sys

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer


def main():
    ak, sk = sys.argv[1:3]
    signer = Signer(BasicCredentials(ak, sk))
    for line in sys.stdin:
        r = json.loads(line)
        request = SdkRequest(
            method=r["method"],
            schema="http",
            host=r["host"],
            resource_path=r["path"],
            query_params=[tuple(p) for p in r["query"]],
            header_params=dict(r["headers"]),
            # The body's bytes do not matter: non-empty bodies here carry
            # X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD.
            body=b"body" if r["has_body"] else None,
        )
        signer.sign(request)
        print(json.dumps({"authorization": request.header_params["Authorization"]}))


if __name__ == "__main__":
    main()
