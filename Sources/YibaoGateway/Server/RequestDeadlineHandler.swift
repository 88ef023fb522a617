import NIOCore
import NIOHTTPTypes

/// Closes a connection whose next request head does not arrive within `headTimeout` (of the
/// connection opening or of the previous answer), or whose body does not arrive within
/// `bodyTimeout` of its head. The idle timeout alone lets a client that trickles one byte every
/// few seconds hold a connection forever; this bounds the whole request.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let headTimeout: TimeAmount
    private let bodyTimeout: TimeAmount
    private var deadline: Scheduled<Void>?
    private var requestsInProgress = 0
    /// Between a request's head and its end, unless answered early (then its end no longer matters).
    private var readingBody = false

    init(headTimeout: Duration, bodyTimeout: Duration) {
        self.headTimeout = TimeAmount(headTimeout)
        self.bodyTimeout = TimeAmount(bodyTimeout)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        arm(context, headTimeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            requestsInProgress += 1
            readingBody = true
            arm(context, bodyTimeout)
        case .end:
            // The request is in; answering it is the application's business, not a deadline's.
            // (An end arriving after an early answer leaves the next head's timer alone.)
            if readingBody {
                readingBody = false
                deadline?.cancel()
                deadline = nil
            }
        case .body: break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            requestsInProgress = max(0, requestsInProgress - 1)
            readingBody = false
            if requestsInProgress == 0 { arm(context, headTimeout) }
        }
        context.write(data, promise: promise)
    }

    private func arm(_ context: ChannelHandlerContext, _ timeout: TimeAmount) {
        deadline?.cancel()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            loopBound.value.close(promise: nil)
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
