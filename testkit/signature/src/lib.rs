//! Reading an `Authorization` header as a verifier does: the checks of the
//! signer's test vectors need its parts, users of the client never do.

/// The parts of an `Authorization` header, for verifiers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedAuthorization {
    /// The algorithm.
    pub algorithm: String,
    /// The access key (for the derived scheme, the `Credential` before the first `/`).
    pub access_key: String,
    /// The signed header names.
    pub signed_headers: Vec<String>,
    /// The hex signature.
    pub signature: String,
}

/// Parses `SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex`.
pub fn parse_authorization(value: &str) -> Option<ParsedAuthorization> {
    let (algorithm, rest) = value.split_once(' ')?;
    let mut access_key = None;
    let mut signed_headers = None;
    let mut signature = None;
    for item in rest.split(',') {
        let (key, val) = item.trim().split_once('=')?;
        match key {
            "Access" => access_key = Some(val.to_string()),
            "Credential" => access_key = Some(val.split('/').next()?.to_string()),
            "SignedHeaders" => signed_headers = Some(val.split(';').map(str::to_string).collect()),
            "Signature" => signature = Some(val.to_string()),
            _ => return None,
        }
    }
    Some(ParsedAuthorization {
        algorithm: algorithm.to_string(),
        access_key: access_key?,
        signed_headers: signed_headers?,
        signature: signature?,
    })
}
