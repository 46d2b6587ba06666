"""Drives Huawei Cloud's official Python SDK (huaweicloudsdkprojectman),
unchanged, through a session on an existing work item: create and list
labels, add and list comments, query work items, then create a raw
requirement, an initial requirement, a bug and a task and read each back. Prints one JSON object per
step on stdout. Run by tests/tests/python_tools.rs against the emulator.

The work item query uses the SDK's async client: its sync client (3.1.219)
drops the query string of ListIpdProjectIssues, so `issue_type`, which is
required, never reaches the service.

usage: official_sdk_scenario.py ENDPOINT AK SK PROJECT_ID ISSUE_ID
"""

import json
import sys

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions import exceptions
from huaweicloudsdkcore.utils.http_utils import sanitize_for_serialization
from huaweicloudsdkprojectman.v4 import (
    CommentCreateVO,
    ConditionVO,
    CreateIpdIssueCommentsRequest,
    CreateIpdLabelRequest,
    CreateIpdProjectIssueParam,
    CreateIpdProjectIssueRequest,
    LabelParam,
    ListIpdIssueCommentsRequest,
    ListIpdLabelsRequest,
    ListIpdProjectIssuesRequest,
    PageInfoVO,
    ProjectManAsyncClient,
    ProjectManClient,
    SearchIpdIssuesRequestBody,
    ShowIssueDetailRequest,
)


def build(client_class, endpoint, ak, sk):
    credentials = BasicCredentials(ak, sk, project_id="0123456789abcdef0123456789abcdef")
    return client_class.new_builder().with_credentials(credentials).with_endpoints([endpoint]).build()


def step(name, response):
    # `decoded`: what the SDK's model kept of the answer (`body`: the answer).
    print(json.dumps({
        "step": name,
        "status": response.status_code,
        "body": response.to_json_object(),
        "decoded": sanitize_for_serialization(response),
    }))


def main():
    endpoint, ak, sk, project_id, issue_id = sys.argv[1:6]
    client = build(ProjectManClient, endpoint, ak, sk)
    async_client = build(ProjectManAsyncClient, endpoint, ak, sk)
    try:
        for title, color in [("urgent", "#F66F6A"), ("ux", "#5E7CE0")]:
            request = CreateIpdLabelRequest(project_id=project_id)
            request.body = LabelParam(title=title, color=color, category_types=["Bug"])
            step("create_label", client.create_ipd_label(request))
        step("list_labels", client.list_ipd_labels(ListIpdLabelsRequest(project_id=project_id)))

        request = CreateIpdIssueCommentsRequest(project_id=project_id, issue_id=issue_id)
        request.body = CommentCreateVO(category="comment", issue_category="Bug", description="Seen on 17.2.")
        step("create_comment", client.create_ipd_issue_comments(request))
        request = ListIpdIssueCommentsRequest(
            project_id=project_id, issue_id=issue_id, page_no=1, page_size=20, category="comment"
        )
        step("list_comments", client.list_ipd_issue_comments(request))

        request = ListIpdProjectIssuesRequest(project_id=project_id, issue_type="Bug")
        request.body = SearchIpdIssuesRequestBody(
            filter=[{"title": ConditionVO(values=["Login"])}],
            page=PageInfoVO(page_no=1, page_size=20),
        )
        step("query_issues", async_client.list_ipd_project_issues_async(request).result())

        for category in ["RR", "IR", "Bug", "Task"]:
            request = CreateIpdProjectIssueRequest(project_id=project_id)
            request.body = CreateIpdProjectIssueParam(
                title=f"A {category} from the official SDK", description="-", category=category
            )
            created = client.create_ipd_project_issue(request)
            step("create_work_item", created)
            issue = created.result[0]["id"]
            request = ShowIssueDetailRequest(project_id=project_id, issue_id=issue, issue_type=category)
            step("show_work_item", client.show_issue_detail(request))
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
