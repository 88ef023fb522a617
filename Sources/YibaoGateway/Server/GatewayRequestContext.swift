import Hummingbird
import NIOCore

/// The request context of the gateway's routes: Hummingbird's basic context plus the peer's
/// address, which the per-source refusal limit keys on.
public struct GatewayRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The client's address (nil in in-process route tests).
    public let remoteAddress: SocketAddress?
    /// The connection (the lost-answer persona closes it instead of answering).
    let channel: (any Channel)?
    /// What the request turned out to be, for the request log and the metrics.
    let annotations = RequestAnnotations()

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        channel = source.channel
    }

    /// The source an abuse limit is kept for: the peer's IPv4 address, or the /64 network of its
    /// IPv6 address (one host holds a whole /64), without the port.
    var sourceKey: String {
        guard let address = remoteAddress?.ipAddress else { return "local" }
        guard address.contains(":") else { return address }
        // Expand "::" to count the groups, then keep the first four.
        let halves = address.split(separator: "::", maxSplits: 1, omittingEmptySubsequences: false).map { $0.split(separator: ":").map(String.init) }
        var groups = halves.first ?? []
        if halves.count == 2 { groups += Array(repeating: "0", count: max(0, 8 - groups.count - halves[1].count)) + halves[1] }
        return groups.prefix(4).joined(separator: ":") + "::/64"
    }
}
