use codearts_ipd::forms::CreateIpdProjectIssueAttachmentForm;

fn main() {
    // A file field takes a FilePart, not the text of a path.
    let _ = CreateIpdProjectIssueAttachmentForm::new("report.pdf".to_string());
}
