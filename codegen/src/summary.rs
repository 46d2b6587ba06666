//! What a caller writes to call each operation, as Rust text: for tests
//! generated from the spec (one end-to-end call per operation), so that a
//! new operation is covered without a test written by hand.

use crate::naming::{snake_ident, type_name};
use crate::operation::model::{BodyKind, FieldKind, Operation, ResponseKind, Scalar};

/// One operation, as the generated client spells it.
#[derive(Clone, Debug)]
pub struct OperationCall {
    /// The spec's `operationId`.
    pub operation_id: String,
    /// The `Client` method that starts the call.
    pub method: String,
    /// The operation's builder, in module `builder`.
    pub builder: String,
    /// Whether the builder pages (`into_paginator()`).
    pub paged: bool,
    /// The status the spec documents for success.
    pub success_status: Option<u16>,
    /// Every parameter and the body, with the setter that takes it.
    pub inputs: Vec<Input>,
    /// What `send()` decodes a success into.
    pub success: Success,
}

/// A parameter or the body of a call.
#[derive(Clone, Debug)]
pub struct Input {
    /// The spec's name (`body` for the body).
    pub name: String,
    /// The builder's setter.
    pub setter: String,
    /// Whether the call is refused without it.
    pub required: bool,
    /// What the setter takes.
    pub kind: InputKind,
}

/// What a setter takes.
#[derive(Clone, Debug)]
pub enum InputKind {
    /// A value of this Rust type (`String`, `i64`, `types::X`...).
    Value(String),
    /// A `forms::X` built with `new(...)` from these required fields.
    Form {
        /// The form type, in module `forms`.
        type_name: String,
        /// Its required fields, in `new`'s order.
        required: Vec<FormField>,
    },
}

/// A field `forms::X::new` takes.
#[derive(Clone, Debug)]
pub enum FormField {
    /// One `FilePart`.
    File,
    /// A `Vec<FilePart>`.
    Files,
    /// A text value of this Rust type, named in the spec.
    Text(String, String),
}

/// What a success decodes into.
#[derive(Clone, Debug)]
pub enum Success {
    /// A model in `types`.
    Json(String),
    /// Nothing.
    Empty,
    /// A byte stream.
    Raw,
}

fn rust_type(scalar: &Scalar) -> String {
    match scalar {
        Scalar::Str => "String".into(),
        Scalar::I32 => "i32".into(),
        Scalar::I64 => "i64".into(),
        Scalar::F64 => "f64".into(),
        Scalar::Bool => "bool".into(),
        Scalar::Named(name) => format!("types::{name}"),
    }
}

pub(crate) fn summarise(op: &Operation) -> OperationCall {
    let mut inputs: Vec<Input> = op
        .params
        .iter()
        .map(|p| Input {
            name: p.name.clone(),
            setter: snake_ident(&p.name).to_string(),
            required: p.required,
            kind: InputKind::Value(rust_type(&p.ty)),
        })
        .collect();
    if let Some(body) = &op.body {
        let kind = match &body.kind {
            BodyKind::Json(name) => InputKind::Value(format!("types::{name}")),
            BodyKind::Form(fields) => InputKind::Form {
                type_name: format!("{}Form", type_name(&op.id)),
                required: fields
                    .iter()
                    .filter(|f| f.required)
                    .map(|f| match &f.kind {
                        FieldKind::File => FormField::File,
                        FieldKind::Files => FormField::Files,
                        FieldKind::Text(scalar) => {
                            FormField::Text(f.name.clone(), rust_type(scalar))
                        }
                    })
                    .collect(),
            },
        };
        inputs.push(Input {
            name: "body".into(),
            setter: "body".into(),
            required: body.required,
            kind,
        });
    }
    OperationCall {
        operation_id: op.id.clone(),
        method: snake_ident(&op.id).to_string(),
        builder: type_name(&op.id),
        paged: op.pagination.is_some(),
        success_status: op
            .responses
            .iter()
            .find_map(|(status, success)| match status {
                crate::operation::model::Status::Code(code) if *success => Some(*code),
                _ => None,
            }),
        inputs,
        success: match &op.success {
            ResponseKind::Json(name) => Success::Json(name.clone()),
            ResponseKind::Empty => Success::Empty,
            ResponseKind::Raw => Success::Raw,
        },
    }
}
