//! gRPC server reflection, in both versions clients speak: `grpc.reflection.v1` (grpcurl ≥ 1.8.8)
//! and `grpc.reflection.v1alpha` (older grpcurl, Postman, evans, grpcio-reflection).

use anyhow::Context;
use tonic::transport::server::Router;

/// Adds both reflection services over the same descriptors, unless `server.reflection = false`.
pub fn add<L>(router: Router<L>, enabled: bool) -> anyhow::Result<Router<L>> {
    if !enabled {
        return Ok(router);
    }
    let builder = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(crate::pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let v1 = builder().build_v1().context("building reflection v1")?;
    let v1alpha = builder()
        .build_v1alpha()
        .context("building reflection v1alpha")?;
    Ok(router.add_service(v1).add_service(v1alpha))
}
