//! What the generated API accepts and rejects at compile time.

#[test]
fn generated_api() {
    let t = trybuild::TestCases::new();
    t.pass("compile/pass/*.rs");
    t.compile_fail("compile/fail/*.rs");
}
