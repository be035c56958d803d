//! Generates the gRPC management API (proto/management.proto) with tonic-build.
//! Needs `protoc` (Debian: protobuf-compiler; scripts/setup.sh installs it).

fn main() {
    println!("cargo:rerun-if-changed=proto/management.proto");
    if let Err(e) = tonic_build::configure().compile_protos(&["proto/management.proto"], &["proto"]) {
        panic!("generating the management API from proto/management.proto failed: {e}\n(is protoc installed? Debian: apt install protobuf-compiler, or run scripts/setup.sh)");
    }
}
