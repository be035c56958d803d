//! The gRPC management API (proto/management.proto): server and client.
//!
//! Served by the control thread's tokio runtime on a unix socket, so that only
//! local users with access to the socket file can use it (the file is created
//! with the daemon's umask under `/run/dmsc/` by default); no TCP port to
//! secure. The handlers take the control state's mutex briefly; the lcores
//! never touch it.
//!
//! Alternatives rejected: a text protocol over the socket (every client would
//! re-implement parsing; gRPC gives typed, versioned messages and clients in
//! any language); HTTP/JSON (no schema, and tonic is already a dependency of
//! the planned SCSC interface [draft-li-dmsc-architecture §4.1 Type 4]).

// tonic's handlers return `Result<_, Status>` by value (the generated trait's
// signature); the helpers that build those errors do the same.
#![allow(clippy::result_large_err)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use dmsc_fib::{FibChange, NextHop, UpdateStats};
use dmsc_wire::ethernet::MacAddr;
use dmsc_wire::name::Name;
use tonic::{Request, Response, Status};

use crate::driver::Shared;
use crate::routes::Source;

/// Generated protobuf and gRPC code (`dmsc.management.v1`).
#[allow(missing_docs, clippy::all)]
pub mod pb {
    tonic::include_proto!("dmsc.management.v1");
}

use pb::management_server::{Management, ManagementServer};

/// The service over the control state.
pub struct Service {
    shared: Arc<Mutex<Shared>>,
}

impl Service {
    /// A service answering from `shared`.
    pub fn new(shared: Arc<Mutex<Shared>>) -> Service {
        Service { shared }
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Shared>, Status> {
        self.shared.lock().map_err(|_| Status::internal("control state poisoned"))
    }
}

fn mac_str(m: MacAddr) -> String {
    m.to_string()
}

fn hop_pb(h: &NextHop, names: &[String]) -> pb::NextHop {
    pb::NextHop {
        port: u32::from(h.port),
        port_name: names.get(usize::from(h.port)).cloned().unwrap_or_default(),
        mac: mac_str(h.mac),
        cost: h.cost,
    }
}

/// Turns one API route update into a next-hop list, resolving port names.
///
/// # Errors
/// `InvalidArgument` naming the bad prefix, port or MAC.
fn parse_update(u: &pb::RouteUpdate, names: &[String]) -> Result<(Name, Option<Vec<NextHop>>), Status> {
    let prefix: Name = u.prefix.parse().map_err(|e| Status::invalid_argument(format!("prefix {:?}: {e}", u.prefix)))?;
    if u.remove {
        return Ok((prefix, None));
    }
    if u.next_hops.is_empty() {
        return Err(Status::invalid_argument(format!("route {prefix}: no next hop (use remove to withdraw)")));
    }
    let mut hops = Vec::with_capacity(u.next_hops.len());
    for h in &u.next_hops {
        let port = if h.port_name.is_empty() {
            usize::try_from(h.port).ok().filter(|p| *p < names.len())
        } else {
            names.iter().position(|n| *n == h.port_name)
        }
        .ok_or_else(|| {
            Status::invalid_argument(format!("route {prefix}: unknown port {:?}/{}", h.port_name, h.port))
        })?;
        let mac: MacAddr =
            h.mac.parse().map_err(|_| Status::invalid_argument(format!("route {prefix}: bad MAC {:?}", h.mac)))?;
        hops.push(NextHop { port: port as u16, mac, cost: h.cost.max(1) });
    }
    Ok((prefix, Some(hops)))
}

#[tonic::async_trait]
impl Management for Service {
    async fn show_neighbors(&self, _: Request<pb::ShowRequest>) -> Result<Response<pb::NeighborsReply>, Status> {
        let s = self.lock()?;
        let neighbors = s
            .router
            .as_ref()
            .map(|r| {
                r.neighbors()
                    .into_iter()
                    .map(|n| pb::Neighbor {
                        port: u32::from(n.port),
                        port_name: s.port_names.get(usize::from(n.port)).cloned().unwrap_or_default(),
                        router_id: n.id.0,
                        hostname: n.hostname.clone(),
                        mac: mac_str(n.mac),
                        state: format!("{:?}", n.state).to_lowercase(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Response::new(pb::NeighborsReply { node: Some(s.node.clone()), neighbors }))
    }

    async fn show_lsdb(&self, _: Request<pb::ShowRequest>) -> Result<Response<pb::LsdbReply>, Status> {
        let s = self.lock()?;
        let Some(r) = s.router.as_ref() else {
            return Ok(Response::new(pb::LsdbReply {
                node: Some(s.node.clone()),
                digest: String::new(),
                lsas: vec![],
                spf_pending: false,
                spf_state: String::new(),
            }));
        };
        let now = Instant::now();
        let lsas = r.lsdb(now).iter().map(crate::driver::lsa_pb).collect();
        Ok(Response::new(pb::LsdbReply {
            node: Some(s.node.clone()),
            digest: format!("{:016x}", r.lsdb_digest()),
            lsas,
            spf_pending: r.spf_pending(),
            spf_state: r.spf_state(now).as_str().to_owned(),
        }))
    }

    async fn show_rib(&self, _: Request<pb::ShowRequest>) -> Result<Response<pb::RibReply>, Status> {
        let s = self.lock()?;
        let routes = s
            .router
            .as_ref()
            .map(|r| {
                r.rib()
                    .routes
                    .iter()
                    .map(|(p, e)| pb::RibRoute {
                        prefix: p.to_string(),
                        metric: e.metric,
                        next_hops: e.next_hops.iter().map(|h| h.0).collect(),
                        origins: e.origins.iter().map(|h| h.0).collect(),
                        backups: e.backups.iter().map(|h| h.0).collect(),
                        backup_metric: e.backup_metric,
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Response::new(pb::RibReply { node: Some(s.node.clone()), routes }))
    }

    async fn show_fib(&self, req: Request<pb::FibRequest>) -> Result<Response<pb::FibReply>, Status> {
        let req = req.into_inner();
        let under: Name = if req.under.is_empty() {
            Name::root()
        } else {
            req.under.parse().map_err(|e| Status::invalid_argument(format!("under {:?}: {e}", req.under)))?
        };
        let s = self.lock()?;
        let mut routes: Vec<(&Name, Source, &[NextHop])> =
            s.table.iter().filter(|(p, _, _)| p.starts_with(under.as_ref())).collect();
        routes.sort_by(|a, b| a.0.cmp(b.0));
        if req.limit > 0 {
            routes.truncate(req.limit as usize);
        }
        let routes = routes
            .into_iter()
            .map(|(p, src, hops)| pb::FibRoute {
                prefix: p.to_string(),
                source: src.as_str().to_owned(),
                next_hops: hops.iter().map(|h| hop_pb(h, &s.port_names)).collect(),
            })
            .collect();
        Ok(Response::new(pb::FibReply {
            node: Some(s.node.clone()),
            version: s.writer.generation(),
            total: s.writer.len() as u64,
            routes,
        }))
    }

    async fn show_counters(&self, _: Request<pb::ShowRequest>) -> Result<Response<pb::CountersReply>, Status> {
        let s = self.lock()?;
        Ok(Response::new(pb::CountersReply {
            node: Some(s.node.clone()),
            dataplane_json: (s.dataplane_json)(),
            control: s.control_counters(),
        }))
    }

    async fn update_routes(&self, req: Request<pb::RouteBatch>) -> Result<Response<pb::RouteBatchReply>, Status> {
        let batch = req.into_inner();
        let mut s = self.lock()?;
        update_routes(&mut s, &batch).map(|(reply, _)| Response::new(reply))
    }
}

/// The `UpdateRoutes` call on the control state, without the transport: validates
/// every update of `batch` (a bad one rejects the batch, the table and FIB
/// untouched), merges them into the route table as [`Source::Api`] routes and
/// publishes the resulting FIB changes in one update.
///
/// Returns the reply (`publish_us`: the wall time of this call, µs) and the FIB
/// update's step times (`None` when nothing changed).
///
/// # Errors
/// `InvalidArgument` naming the first bad prefix, port or MAC;
/// `ResourceExhausted` when the FIB refuses the batch (too many entries; the live
/// FIB is untouched, the route table holds the batch).
pub fn update_routes(
    s: &mut Shared,
    batch: &pb::RouteBatch,
) -> Result<(pb::RouteBatchReply, Option<UpdateStats>), Status> {
    let t0 = Instant::now();
    let parsed: Vec<(Name, Option<Vec<NextHop>>)> =
        batch.updates.iter().map(|u| parse_update(u, &s.port_names)).collect::<Result<_, _>>()?;

    let mut changes: Vec<FibChange> = Vec::new();
    for (prefix, hops) in parsed {
        s.table.set(Source::Api, prefix, hops, &mut changes);
    }
    let changed = changes.len() as u32;
    let stats = s.apply(changes).map_err(|e| Status::resource_exhausted(e.to_string()))?;
    let reply = pb::RouteBatchReply {
        changed,
        fib_version: s.writer.generation(),
        publish_us: t0.elapsed().as_micros() as u64,
        grace_period_us: stats.map_or(0, |st| st.grace_period.as_micros() as u64),
    };
    Ok((reply, stats))
}

/// Binds the management socket at `path` (removing a stale socket file left by
/// a previous run, creating the directory) and serves until the runtime stops.
///
/// # Errors
/// The directory cannot be created or the socket cannot be bound (e.g. another
/// dmscd serves it: its socket file is live).
pub fn serve(path: &Path, shared: Arc<Mutex<Shared>>) -> std::io::Result<tokio::task::JoinHandle<()>> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    if path.exists() {
        // A live socket answers a connect: refuse to steal it from a running daemon.
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AddrInUse,
                format!("{} is in use by another process", path.display()),
            ));
        }
        std::fs::remove_file(path)?;
    }
    let listener = tokio::net::UnixListener::bind(path)?;
    let incoming = tokio_stream::wrappers::UnixListenerStream::new(listener);
    let svc = ManagementServer::new(Service::new(shared));
    let shown = path.display().to_string();
    Ok(tokio::spawn(async move {
        if let Err(e) = tonic::transport::Server::builder().add_service(svc).serve_with_incoming(incoming).await {
            tracing::warn!(socket = %shown, error = %e, "management API stopped");
        }
    }))
}

/// A client of the management API on the unix socket `path`.
///
/// # Errors
/// The socket does not exist or nothing listens on it.
pub async fn connect(
    path: PathBuf,
) -> Result<pb::management_client::ManagementClient<tonic::transport::Channel>, tonic::transport::Error> {
    Ok(pb::management_client::ManagementClient::new(channel(path).await?))
}

/// A connection to the management API on the unix socket `path`, for
/// [`pb::management_client::ManagementClient::new`] or [`update_routes_encoded`]
/// (cheap to clone: clones share the connection).
///
/// # Errors
/// The socket does not exist or nothing listens on it.
pub async fn channel(path: PathBuf) -> Result<tonic::transport::Channel, tonic::transport::Error> {
    // The URI is required by the API but unused: the connector dials the socket.
    tonic::transport::Endpoint::from_static("http://[::1]:0")
        .connect_with_connector(tower::service_fn(move |_| {
            let path = path.clone();
            async move {
                let s = tokio::net::UnixStream::connect(path).await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(s))
            }
        }))
        .await
}

/// gRPC path of `UpdateRoutes` (proto/management.proto, package `dmsc.management.v1`).
pub const UPDATE_ROUTES_PATH: &str = "/dmsc.management.v1.Management/UpdateRoutes";

/// `UpdateRoutes` with a request already encoded: `batch` is the protobuf encoding of
/// a [`pb::RouteBatch`] (for example the concatenation of encoded one-route batches:
/// repeated fields concatenate). For a load generator that replays the same updates
/// many times (`bench/`'s FIB churn client): it skips building and encoding the
/// messages, which cost the client more than the call itself.
///
/// # Errors
/// As [`pb::management_client::ManagementClient::update_routes`]: the connection
/// failed, or the daemon rejected the batch (`INVALID_ARGUMENT` for bytes that do not
/// decode or updates that do not validate; nothing is applied then).
pub async fn update_routes_encoded(
    channel: tonic::transport::Channel,
    batch: bytes::Bytes,
) -> Result<pb::RouteBatchReply, Status> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.map_err(|e| Status::unavailable(format!("management API not ready: {e}")))?;
    let path = tonic::codegen::http::uri::PathAndQuery::from_static(UPDATE_ROUTES_PATH);
    Ok(grpc.unary(Request::new(batch), path, EncodedCodec).await?.into_inner())
}

/// Request codec of [`update_routes_encoded`]: writes the bytes as they are; the reply
/// is decoded by prost as in the generated client.
struct EncodedCodec;

/// The generated client's codec for `UpdateRoutes`, whose decoder [`EncodedCodec`] uses.
type RouteBatchCodec = tonic::codec::ProstCodec<pb::RouteBatch, pb::RouteBatchReply>;

impl tonic::codec::Codec for EncodedCodec {
    type Encode = bytes::Bytes;
    type Decode = pb::RouteBatchReply;
    type Encoder = EncodedEncoder;
    type Decoder = <RouteBatchCodec as tonic::codec::Codec>::Decoder;

    fn encoder(&mut self) -> EncodedEncoder {
        EncodedEncoder
    }

    fn decoder(&mut self) -> Self::Decoder {
        tonic::codec::Codec::decoder(&mut RouteBatchCodec::default())
    }
}

/// See [`EncodedCodec`].
struct EncodedEncoder;

impl tonic::codec::Encoder for EncodedEncoder {
    type Item = bytes::Bytes;
    type Error = Status;

    fn encode(&mut self, item: bytes::Bytes, dst: &mut tonic::codec::EncodeBuf<'_>) -> Result<(), Status> {
        use bytes::BufMut;
        dst.put_slice(&item);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::RouteTable;
    use crate::ControlCounters;
    use dmsc_fib::{Fib, FibWriter};
    use prost::Message;

    fn one_route(prefix: &str, mac: &str) -> Vec<u8> {
        let hop = pb::NextHop { port: 0, port_name: "p0".into(), mac: mac.into(), cost: 1 };
        let update = pb::RouteUpdate { prefix: prefix.into(), remove: false, next_hops: vec![hop] };
        pb::RouteBatch { updates: vec![update] }.encode_to_vec()
    }

    /// A served management API: pre-encoded batches (concatenated one-route batches)
    /// change the FIB as the typed call would, and bytes that do not decode are
    /// refused with the FIB untouched.
    #[test]
    fn encoded_batches_reach_update_routes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sock = dir.path().join("mgmt.sock");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            let (writer, _fib) = FibWriter::new(Fib::empty());
            let shared = Shared {
                node: pb::NodeInfo::default(),
                port_names: vec!["p0".into()],
                router: None,
                table: RouteTable::new(),
                writer,
                counters: Arc::new(ControlCounters::default()),
                dataplane_json: Box::new(String::new),
            };
            let server = serve(&sock, Arc::new(Mutex::new(shared))).expect("serve");
            let ch = channel(sock.clone()).await.expect("connect");
            let mut typed = pb::management_client::ManagementClient::new(ch.clone());
            let routes = |reply: pb::FibReply| -> Vec<(String, String)> {
                reply.routes.into_iter().map(|r| (r.prefix, r.next_hops[0].mac.clone())).collect()
            };

            let mut batch = one_route("/a/b", "02:00:00:00:00:01");
            batch.extend(one_route("/c", "02:00:00:00:00:02"));
            let r = update_routes_encoded(ch.clone(), batch.into()).await.expect("UpdateRoutes");
            assert_eq!((r.changed, r.fib_version), (2, 1));
            assert!(r.grace_period_us <= r.publish_us, "{r:?}");
            let fib = typed.show_fib(pb::FibRequest::default()).await.expect("ShowFib").into_inner();
            assert_eq!(
                routes(fib),
                vec![("/a/b".into(), "02:00:00:00:00:01".into()), ("/c".into(), "02:00:00:00:00:02".into())]
            );

            // A replacement, then a field that runs past the end of the message.
            let r =
                update_routes_encoded(ch.clone(), one_route("/c", "02:00:00:00:00:03").into()).await.expect("replace");
            assert_eq!((r.changed, r.fib_version), (1, 2));
            let e = update_routes_encoded(ch.clone(), bytes::Bytes::from_static(&[0x0a, 0x40, 0x0a])).await;
            assert!(e.is_err(), "truncated request accepted: {e:?}");
            let fib = typed.show_fib(pb::FibRequest::default()).await.expect("ShowFib").into_inner();
            assert_eq!(fib.version, 2);
            assert_eq!(routes(fib)[1], ("/c".into(), "02:00:00:00:00:03".into()));
            server.abort();
        });
    }
}
