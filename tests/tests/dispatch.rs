//! Every operation through its typed builder, chosen by name at run time:
//! the generated `send` (one arm per operation) with the values a JSON
//! request gives, for the tests that walk every operation (`conformance`,
//! `tables`).

use codearts_req::{ApiError, ByteStream, Client, FilePart, Response, forms, types};
use futures_util::StreamExt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// What our client got: a status, and the answer as its model keeps it.
pub(crate) struct Sent {
    pub(crate) status: u16,
}

impl Sent {
    fn json<T: Serialize>(response: &Response<T>) -> Sent {
        Sent {
            status: response.status().as_u16(),
        }
    }

    #[allow(dead_code)] // for operations without a body; none has one today
    fn empty(response: &Response<()>) -> Sent {
        Sent {
            status: response.status().as_u16(),
        }
    }

    async fn raw(response: Response<ByteStream>) -> Sent {
        let status = response.status().as_u16();
        let mut stream = response.into_inner();
        while let Some(chunk) = stream.next().await {
            chunk.unwrap();
        }
        Sent { status }
    }
}

fn param<T: DeserializeOwned>(request: &Value, name: &str) -> Option<T> {
    let value = request["params"].get(name)?;
    Some(
        serde_json::from_value(value.clone())
            .unwrap_or_else(|e| panic!("parameter {name}: {value} does not decode: {e}")),
    )
}

fn body<T: DeserializeOwned>(request: &Value) -> Option<T> {
    let value = request.get("body").filter(|b| !b.is_null())?;
    Some(
        serde_json::from_value(value.clone())
            .unwrap_or_else(|e| panic!("body: {value} does not decode: {e}")),
    )
}

/// The one file of a form, the same bytes the SDK sends.
fn file(request: &Value) -> FilePart {
    let f = &request["files"];
    let bytes: Vec<u8> = f["content"]
        .as_str()
        .unwrap()
        .chars()
        .map(|c| c as u8)
        .collect();
    FilePart::from_bytes(f["name"].as_str().unwrap().to_string(), bytes)
}

include!("../generated/dispatch.rs");
