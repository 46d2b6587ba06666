use codearts_ipd::forms::CreateIpdProjectIssueAttachmentForm;

fn main() {
    let _ = CreateIpdProjectIssueAttachmentForm {};
}
