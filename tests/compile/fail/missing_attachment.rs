use codearts_ipd::forms::CreateIpdProjectIssueAttachmentForm;

fn main() {
    // The attachment is required: there is no form without it.
    let _ = CreateIpdProjectIssueAttachmentForm::new();
}
