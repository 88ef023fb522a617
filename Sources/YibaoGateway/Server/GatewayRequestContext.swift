import Hummingbird
import NIOCore

/// The request context of the gateway's routes: Hummingbird's basic context plus the peer's
/// address, which the per-source refusal limit keys on.
public struct GatewayRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The client's address (nil in in-process route tests).
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The source an abuse limit is kept for: the peer's IP address without its port.
    var sourceKey: String { remoteAddress?.ipAddress ?? "local" }
}
