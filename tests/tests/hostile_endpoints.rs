//! A corpus of endpoints a user or a configuration file might give: each is
//! accepted as an http(s) base URL, or refused with a reason that never
//! repeats a password.

use codearts_req::{BuildError, Client, Credentials};

const PASSWORD: &str = "hunter2secret";

fn build(endpoint: &str) -> Result<Client, BuildError> {
    Client::builder()
        .endpoint(endpoint)
        .credentials(Credentials::new("AK", "SK"))
        .build()
}

#[test]
fn every_endpoint_is_accepted_or_refused_as_expected() {
    let pw = PASSWORD;
    let cases: Vec<(String, bool)> = vec![
        (
            "https://projectman-ext.cn-north-4.myhuaweicloud.com".into(),
            true,
        ),
        ("http://127.0.0.1:8080".into(), true),
        ("http://127.0.0.1:8080/".into(), true),
        ("http://[::1]:8080".into(), true),
        ("HTTPS://EXAMPLE.COM/prefix".into(), true),
        ("http://localhost/base/path".into(), true),
        ("127.0.0.1:9".into(), false),
        ("localhost".into(), false),
        (format!("ftp://user:{pw}@h"), false),
        (format!("http://user:{pw}@h"), false),
        (format!("https://:{pw}@h"), false),
        ("https://user@h".into(), false),
        ("http://h/?x=1".into(), false),
        ("http://h/path?".into(), false),
        ("http://h/#f".into(), false),
        ("http://h#".into(), false),
        ("file:///etc/passwd".into(), false),
        ("javascript:alert(1)".into(), false),
        ("data:text/plain,x".into(), false),
        ("ws://h".into(), false),
        ("http://".into(), false),
        ("http://h:99999".into(), false),
        ("".into(), false),
        (format!("http://u:{pw}@[::1"), false),
        (format!("ht!tp://u:{pw}@h"), false),
        (format!("user:{pw}@host:8080"), false),
    ];
    assert!(cases.len() >= 20);
    let mut wrong = Vec::new();
    for (endpoint, accepted) in &cases {
        match build(endpoint) {
            Ok(client) => {
                if !accepted {
                    wrong.push(format!(
                        "{endpoint:?} was accepted as {}",
                        client.base_url()
                    ));
                }
            }
            Err(error) => {
                let shown = format!("{error} {error:?}");
                if shown.contains(PASSWORD) {
                    wrong.push(format!(
                        "{endpoint:?}: the error shows the password: {shown}"
                    ));
                }
                if *accepted {
                    wrong.push(format!("{endpoint:?} was refused: {error}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn a_url_without_a_scheme_gets_a_hint() {
    let error = build("127.0.0.1:9").unwrap_err().to_string();
    assert!(error.contains("add the scheme"), "{error}");
}
