"""Drives Huawei Cloud's official Python SDK (huaweicloudsdkprojectman),
unchanged, through a Scrum work item's life: create an iteration, create a
story in it (CreateIssueV4), read it back (ShowIssueV4), find it
(ListIssuesV4), move it on (UpdateIssueV4), read the iteration
(ShowIterationV4), comment on the story and list its comments, delete it
(DeleteIssueV4) and list again. Prints
one JSON object per step on stdout. Run by tests/tests/scrum.rs against the
emulator.

usage: official_sdk_scrum.py ENDPOINT AK SK PROJECT_ID
"""

import json
import sys

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions import exceptions
from huaweicloudsdkcore.utils.http_utils import sanitize_for_serialization
from huaweicloudsdkprojectman.v4 import (
    AddCommentsRequest,
    CreateIssueRequestV4,
    CreateIssueV4Request,
    CreateIterationRequestV4,
    CreateIterationV4Request,
    DeleteIssueV4Request,
    IssueRequestV4,
    ListIssueCommentsV4Request,
    ListIssueRequestV4,
    ListIssuesV4Request,
    ProjectManClient,
    ShowIssueV4Request,
    ShowIterationV4Request,
    UpdateIssueV4Request,
    UpdateScrumIssueNotesRequest,
)


def step(name, response):
    # `decoded`: what the SDK's model kept of the answer.
    print(json.dumps({
        "step": name,
        "status": response.status_code,
        "decoded": sanitize_for_serialization(response),
    }))


def main():
    endpoint, ak, sk, project_id = sys.argv[1:5]
    credentials = BasicCredentials(ak, sk, project_id="0123456789abcdef0123456789abcdef")
    client = ProjectManClient.new_builder().with_credentials(credentials).with_endpoints([endpoint]).build()
    try:
        request = CreateIterationV4Request(project_id=project_id)
        request.body = CreateIterationRequestV4(name="Sprint 1", begin_time="2026-12-01", end_time="2026-12-14")
        created = client.create_iteration_v4(request)
        step("create_iteration", created)
        iteration_id = created.id

        request = CreateIssueV4Request(project_id=project_id)
        request.body = CreateIssueRequestV4(
            name="Checkout times out", tracker_id=7, priority_id=3, iteration_id=iteration_id,
            description="Seen on the payment page.",
        )
        created = client.create_issue_v4(request)
        step("create_issue", created)
        issue_id = created.id

        step("show_issue", client.show_issue_v4(ShowIssueV4Request(project_id=project_id, issue_id=issue_id)))

        request = ListIssuesV4Request(project_id=project_id)
        request.body = ListIssueRequestV4(tracker_ids=[7], iteration_ids=[iteration_id], offset=0, limit=20)
        step("list_issues", client.list_issues_v4(request))

        request = UpdateIssueV4Request(project_id=project_id, issue_id=issue_id)
        request.body = IssueRequestV4(status_id=2, done_ratio=50)
        step("update_issue", client.update_issue_v4(request))

        step("show_iteration", client.show_iteration_v4(ShowIterationV4Request(iteration_id=iteration_id)))

        request = UpdateScrumIssueNotesRequest()
        request.body = AddCommentsRequest(
            id=str(issue_id), notes="Reproduced%20on%20staging.", inner_text="Reproduced on staging.",
            project_uu_id=project_id, type="scrum",
        )
        step("add_comment", client.update_scrum_issue_notes(request))
        request = ListIssueCommentsV4Request(project_id=project_id, issue_id=issue_id, offset=0, limit=20)
        step("list_comments", client.list_issue_comments_v4(request))

        step("delete_issue", client.delete_issue_v4(DeleteIssueV4Request(project_id=project_id, issue_id=issue_id)))

        request = ListIssuesV4Request(project_id=project_id)
        request.body = ListIssueRequestV4(tracker_ids=[7], offset=0, limit=20)
        step("list_after_delete", client.list_issues_v4(request))
    except exceptions.ClientRequestException as e:
        print(json.dumps({"step": "error", "status": e.status_code, "code": e.error_code, "message": e.error_msg}))


if __name__ == "__main__":
    main()
