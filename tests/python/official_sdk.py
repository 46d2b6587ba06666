"""Drives Huawei Cloud's official Python SDK (huaweicloudsdkprojectman)
against a service endpoint, unchanged: upload a file, list the work item's
attachments, download the file again. Prints one JSON object per step on
stdout. Run by tests/tests/official_sdk.rs against the emulator.

usage: official_sdk.py ENDPOINT AK SK PROJECT_ID ISSUE_ID FILE DOWNLOAD_TO
"""

import json
import sys

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions import exceptions
from huaweicloudsdkcore.http.formdata import FormFile
from huaweicloudsdkprojectman.v4 import (
    CreateIpdProjectIssueAttachmentRequest,
    CreateIpdProjectIssueAttachmentRequestBody,
    DownloadIpdIssueAttachmentRequest,
    ProjectManClient,
    ShowIpdAttachmentByWorkItemIdRequest,
)


def main():
    endpoint, ak, sk, project_id, issue_id, path, download_to = sys.argv[1:8]
    credentials = BasicCredentials(ak, sk, project_id="0123456789abcdef0123456789abcdef")
    client = (
        ProjectManClient.new_builder()
        .with_credentials(credentials)
        .with_endpoints([endpoint])
        .build()
    )
    try:
        with open(path, "rb") as f:
            request = CreateIpdProjectIssueAttachmentRequest()
            request.project_id = project_id
            request.issue_id = issue_id
            request.body = CreateIpdProjectIssueAttachmentRequestBody(attachment=FormFile(f))
            uploaded = client.create_ipd_project_issue_attachment(request)
        print(json.dumps({"step": "upload", "status": uploaded.status_code, "body": uploaded.to_json_object()}))
        attachment_id = uploaded.result[0].id

        request = ShowIpdAttachmentByWorkItemIdRequest()
        request.project_id = project_id
        request.issue_id = issue_id
        listed = client.show_ipd_attachment_by_work_item_id(request)
        print(json.dumps({"step": "list", "status": listed.status_code, "body": listed.to_json_object()}))

        request = DownloadIpdIssueAttachmentRequest()
        request.project_id = project_id
        request.id = attachment_id
        downloaded = client.download_ipd_issue_attachment(request)
        with open(download_to, "wb") as out:
            out.write(downloaded.raw_content or b"")
        print(json.dumps({"step": "download", "status": downloaded.status_code, "bytes": len(downloaded.raw_content or b"")}))
    except exceptions.ClientRequestException as e:
        print(json.dumps({
            "step": "error",
            "status": e.status_code,
            "error_code": e.error_code,
            "error_msg": e.error_msg,
            "request_id": e.request_id,
        }))


if __name__ == "__main__":
    main()
